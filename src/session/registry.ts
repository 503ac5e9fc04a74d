/**
 * The registry of live and recently closed sessions, and the read-only view the HTTP API gets.
 * @module
 */

import type { Clock } from "../clock.ts";
import { BitrateMeter } from "./bitrate.ts";
import { newAudioInfo, newVideoInfo, type SessionInfo } from "./session_info.ts";

/** Fields a connection may set through {@linkcode SessionHandle.update}. */
export type SessionPatch = Partial<
  Pick<
    SessionInfo,
    | "state"
    | "app"
    | "streamName"
    | "tcUrl"
    | "encoder"
    | "publishStartedAt"
    | "recording"
    | "role"
    | "player"
    | "tlsVersion"
  >
>;

/** What a connection holds for its own session. */
export interface SessionHandle {
  /** The session id, short and URL-safe. */
  readonly id: string;
  /** The live object; the connection mutates `info.video` / `info.audio` counters in place. */
  readonly info: SessionInfo;
  /**
   * Sets the given fields. `state: "closed"` is the same as `close("closed")`.
   * Does nothing once the session is closed.
   */
  update(patch: SessionPatch): void;
  /**
   * Counts received bytes at `now`, a reading of the registry's clock (default: read it now);
   * the read loop passes the one it took for its watchdog. O(1), allocates nothing; ignored
   * once closed.
   */
  addBytesIn(n: number, now?: number): void;
  /**
   * Marks the session closed with `closedAt` and `closeReason` and moves it to the closed
   * list. Idempotent: later calls keep the first reason.
   */
  close(reason: string): void;
}

/** The read-only view of a {@linkcode SessionRegistry} that the HTTP API gets. */
export interface RegistryView {
  /**
   * Live sessions (oldest first), then the kept closed ones (newest first), as copies
   * with `bitrateKbps` computed now.
   */
  list(): SessionInfo[];
  /** A copy of one live or kept closed session, or `undefined`. */
  get(id: string): SessionInfo | undefined;
  /** Asks a live session to disconnect; false when the id is unknown or already closed. */
  drop(id: string, reason?: string): boolean;
}

/** Options for {@linkcode SessionRegistry}. */
export interface SessionRegistryOptions {
  /** Where time comes from. */
  readonly clock: Clock;
  /** How many closed sessions to keep for the API (default 100). */
  readonly keepClosed?: number;
  /** Makes session ids (default {@linkcode randomSessionId}). */
  readonly newId?: () => string;
  /** Told once per session as it closes, with its final figures (metrics keep totals). */
  readonly onClose?: (info: Readonly<SessionInfo>) => void;
}

/** What {@linkcode SessionRegistry.open} needs to know about a new connection. */
export interface SessionInit {
  /** "host:port" of the peer. */
  readonly remoteAddr: string;
  /** Which chunk parser the connection uses (null for HTTP). */
  readonly parser: "js" | "wasm" | null;
  /** The wire protocol (default `rtmp`). */
  readonly protocol?: "rtmp" | "http-flv";
  /** Whether the connection came over TLS (default false). */
  readonly tls?: boolean;
  /** Called by {@linkcode RegistryView.drop}; the connection should close itself. */
  readonly drop: (reason: string) => void;
}

/** The reason given to a session's drop callback when the API asks it to go. */
export const DROP_REASON = "Dropped by API request";

const MAX_ID_TRIES = 8;

/**
 * Returns 12 lowercase hex characters from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { randomSessionId } from "./registry.ts";
 *
 * assert.match(randomSessionId(), /^[0-9a-f]{12}$/);
 * ```
 */
export function randomSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  let id = "";
  for (const b of bytes) id += b.toString(16).padStart(2, "0");
  return id;
}

/** Keeps every live session and the last few closed ones; connections register here. */
export class SessionRegistry {
  readonly #clock: Clock;
  readonly #keepClosed: number;
  readonly #newId: () => string;
  readonly #onClose: ((info: Readonly<SessionInfo>) => void) | undefined;
  readonly #live = new Map<string, Entry>();
  /** Insertion order is close order, oldest first. */
  readonly #closed = new Map<string, Entry>();

  /** Creates an empty registry. */
  constructor(opts: SessionRegistryOptions) {
    const keepClosed = opts.keepClosed ?? 100;
    if (!Number.isInteger(keepClosed) || keepClosed < 0) {
      throw new RangeError(`keepClosed must be a whole number >= 0: got ${keepClosed}`);
    }
    this.#clock = opts.clock;
    this.#keepClosed = keepClosed;
    this.#newId = opts.newId ?? randomSessionId;
    this.#onClose = opts.onClose;
  }

  /** How many sessions are open now. */
  get liveCount(): number {
    return this.#live.size;
  }

  /** Registers a new connection in state "handshake" and returns its handle. */
  open(init: SessionInit): SessionHandle {
    const id = this.#uniqueId();
    const info: SessionInfo = {
      id,
      state: "handshake",
      remoteAddr: init.remoteAddr,
      app: null,
      streamName: null,
      tcUrl: null,
      encoder: null,
      protocol: init.protocol ?? "rtmp",
      parser: init.parser,
      tls: init.tls ?? false,
      tlsVersion: null,
      role: null,
      startedAt: new Date(this.#clock.now()).toISOString(),
      publishStartedAt: null,
      closedAt: null,
      closeReason: null,
      bytesIn: 0,
      bitrateKbps: 0,
      video: newVideoInfo(),
      audio: newAudioInfo(),
      recording: null,
      dataMessages: 0,
      unknownCommands: 0,
      player: null,
      relays: [],
      players: 0,
      health: null,
    };
    const meter = new BitrateMeter({ clock: this.#clock });
    const entry: Entry = { info, meter, drop: init.drop, closed: false };
    this.#live.set(id, entry);
    return new Handle(entry, (e, reason) => this.#close(e, reason));
  }

  /**
   * The live sessions themselves, not copies, with `bitrateKbps` brought up to date: for
   * metrics, which read a few numbers of each and keep nothing. Callers must not change them.
   */
  *live(): IterableIterator<Readonly<SessionInfo>> {
    const now = this.#clock.now();
    for (const entry of this.#live.values()) {
      entry.info.bitrateKbps = entry.meter.kbps(now);
      yield entry.info;
    }
  }

  /** The read-only view for the HTTP API. */
  view(): RegistryView {
    return {
      list: () => this.#list(),
      get: (id) => this.#get(id),
      drop: (id, reason) => this.#drop(id, reason ?? DROP_REASON),
    };
  }

  #uniqueId(): string {
    for (let i = 0; i < MAX_ID_TRIES; i++) {
      const id = this.#newId();
      if (!this.#live.has(id) && !this.#closed.has(id)) return id;
    }
    throw new Error(`Session id generator gave ${MAX_ID_TRIES} ids in use in a row`);
  }

  #close(entry: Entry, reason: string): void {
    if (entry.closed) return;
    entry.closed = true;
    const { info } = entry;
    info.state = "closed";
    info.closedAt = new Date(this.#clock.now()).toISOString();
    info.closeReason = reason;
    info.bitrateKbps = 0;
    this.#live.delete(info.id);
    this.#onClose?.(info);
    if (this.#keepClosed === 0) return;
    this.#closed.set(info.id, entry);
    while (this.#closed.size > this.#keepClosed) {
      const oldest = this.#closed.keys().next();
      if (oldest.done) break;
      this.#closed.delete(oldest.value);
    }
  }

  #list(): SessionInfo[] {
    const now = this.#clock.now();
    const out: SessionInfo[] = [];
    for (const entry of this.#live.values()) out.push(snapshot(entry, now));
    const closed = [...this.#closed.values()];
    for (let i = closed.length - 1; i >= 0; i--) out.push(snapshot(closed[i]!, now));
    return out;
  }

  #get(id: string): SessionInfo | undefined {
    const entry = this.#live.get(id) ?? this.#closed.get(id);
    return entry === undefined ? undefined : snapshot(entry, this.#clock.now());
  }

  #drop(id: string, reason: string): boolean {
    const entry = this.#live.get(id);
    if (entry === undefined) return false;
    entry.drop(reason);
    return true;
  }
}

interface Entry {
  readonly info: SessionInfo;
  readonly meter: BitrateMeter;
  readonly drop: (reason: string) => void;
  /** Set once by #close; `info.state` is for readers and could be overwritten. */
  closed: boolean;
}

class Handle implements SessionHandle {
  readonly #entry: Entry;
  readonly #close: (entry: Entry, reason: string) => void;

  constructor(entry: Entry, close: (entry: Entry, reason: string) => void) {
    this.#entry = entry;
    this.#close = close;
  }

  get id(): string {
    return this.#entry.info.id;
  }

  get info(): SessionInfo {
    return this.#entry.info;
  }

  update(patch: SessionPatch): void {
    if (this.#entry.closed) return;
    const { info } = this.#entry;
    if (patch.app !== undefined) info.app = patch.app;
    if (patch.streamName !== undefined) info.streamName = patch.streamName;
    if (patch.tcUrl !== undefined) info.tcUrl = patch.tcUrl;
    if (patch.encoder !== undefined) info.encoder = patch.encoder;
    if (patch.publishStartedAt !== undefined) info.publishStartedAt = patch.publishStartedAt;
    if (patch.recording !== undefined) info.recording = patch.recording;
    if (patch.role !== undefined) info.role = patch.role;
    if (patch.player !== undefined) info.player = patch.player;
    if (patch.tlsVersion !== undefined) info.tlsVersion = patch.tlsVersion;
    if (patch.state === "closed") this.#close(this.#entry, "closed");
    else if (patch.state !== undefined) info.state = patch.state;
  }

  addBytesIn(n: number, now?: number): void {
    const entry = this.#entry;
    if (entry.closed) return;
    entry.info.bytesIn += n;
    entry.meter.add(n, now);
  }

  close(reason: string): void {
    this.#close(this.#entry, reason);
  }
}

function snapshot(entry: Entry, now: number): SessionInfo {
  const copy = structuredClone(entry.info);
  if (!entry.closed) copy.bitrateKbps = entry.meter.kbps(now);
  return copy;
}
