/**
 * This edge in the cluster: it mirrors the hub's live streams into the store with a
 * heartbeat, claims each new publish across edges, drops a publisher when asked through
 * the drop channel, and carries on locally (degraded) while the store is away, registering
 * its streams again when it returns.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { ClusterEntry, DropNotice } from "./entry.ts";
import type { ClusterStore } from "./store.ts";

/** A stream live on this edge, as the cluster registers it (server.ts builds these). */
export type LocalStream = Omit<ClusterEntry, "edgeId" | "at"> & { readonly key: string };

/** What the cluster reports for `/healthz`. */
export interface ClusterHealth {
  readonly edgeId: string;
  /** `ok`, or `degraded` while the store cannot be reached (publishing goes on locally). */
  readonly state: "ok" | "degraded";
  /** Why it is degraded, or null. */
  readonly reason: string | null;
}

/** A live stream of some edge, as `GET /api/cluster/streams` shows it. */
export type ClusterStreamView = Omit<ClusterEntry, "silentMs" | "at"> & { readonly key: string };

/** A claim as the publish flow asks it. */
export interface ClusterClaimRequest {
  readonly key: string;
  readonly sessionId: string;
}

/** Options for {@linkcode Cluster}. */
export interface ClusterOptions {
  readonly store: ClusterStore;
  readonly edgeId: string;
  /** The streams live on this edge now. */
  readonly local: () => LocalStream[];
  /** Drops the local publisher of `key` (only session `sessionId`, when given). */
  readonly dropLocal: (key: string, sessionId: string | null, reason: string) => boolean;
  /** A holder silent this long loses its name to a new publish (0: never). */
  readonly takeoverAfterMs: number;
  readonly log: Logger;
  /**
   * Heartbeat period in ms (default {@linkcode HEARTBEAT_MS}); entries live
   * {@linkcode TTL_HEARTBEATS} of these.
   */
  readonly heartbeatMs?: number;
}

/** The state before the first answer from Redis. */
const CONNECTING = "Connecting to Redis";

/** The default heartbeat period in ms. */
export const HEARTBEAT_MS = 1_000;

/** Entries live this many heartbeats without a refresh. */
export const TTL_HEARTBEATS = 4;

/** One edge's part of the cluster. */
export class Cluster {
  #o: ClusterOptions;
  /** Streams this edge registered (or allowed while degraded), by key: their session ids. */
  #owned = new Map<string, string>();
  #degraded: string | null = CONNECTING;
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<void> | null = null;
  #closed = false;

  /** Creates the cluster part; {@linkcode start} begins the heartbeat. */
  constructor(options: ClusterOptions) {
    this.#o = options;
  }

  /** Starts the heartbeat. */
  start(): void {
    const every = this.#o.heartbeatMs ?? HEARTBEAT_MS;
    this.#timer = setInterval(() => void this.heartbeat(), every);
  }

  /** The health state for `/healthz`. */
  health(): ClusterHealth {
    return {
      edgeId: this.#o.edgeId,
      state: this.#degraded === null ? "ok" : "degraded",
      reason: this.#degraded,
    };
  }

  /** Told by the store when its connection fails (`error`) or is back (`null`). */
  connection(error: string | null): void {
    if (error === null) return; // the next call that succeeds says so
    this.#fail(error);
  }

  /**
   * Claims `req.key` across the cluster for a publish already claimed in the hub: null
   * allows it, a string is the refusal. While the store is away the publish is allowed
   * and registered once it returns.
   */
  async claim(req: ClusterClaimRequest): Promise<string | null> {
    const stream = this.#o.local().find((s) => s.key === req.key && s.sessionId === req.sessionId);
    if (stream === undefined) return null; // gone meanwhile: the flow sees that itself
    try {
      const got = await this.#o.store.claim(req.key, this.#entry(stream), this.#o.takeoverAfterMs);
      this.#ok();
      if (got.kind === "refused") {
        const by = got.holder === null ? "another edge" : `edge ${got.holder.edgeId}`;
        return `${req.key} is already publishing on ${by}`;
      }
      this.#owned.set(req.key, req.sessionId);
      if (got.kind === "took-over") await this.#dropPrevious(req.key, got.previous);
      return null;
    } catch (e) {
      this.#fail(message(e));
      this.#owned.set(req.key, req.sessionId);
      return null;
    }
  }

  /** Every live stream of every edge (throws while the store is away). */
  async list(): Promise<ClusterStreamView[]> {
    const entries = await this.#o.store.list();
    return [...entries].map(([key, e]) => view(key, e)).sort((a, b) => a.key < b.key ? -1 : 1);
  }

  /**
   * Asks whichever edge holds `key` to drop its publisher; the holder's entry, or null when
   * no edge holds it (throws while the store is away).
   */
  async drop(key: string, reason: string): Promise<ClusterStreamView | null> {
    const e = await this.#o.store.get(key);
    if (e === null) return null;
    await this.#o.store.publishDrop({ key, edgeId: e.edgeId, sessionId: e.sessionId, reason });
    return view(key, e);
  }

  /** Handles a drop notice from the channel. */
  onDrop(n: DropNotice): void {
    if (n.edgeId !== null && n.edgeId !== this.#o.edgeId) return;
    if (this.#o.dropLocal(n.key, n.sessionId, n.reason)) {
      this.#o.log.info("Cluster: dropped the publisher of {key}: {reason}", {
        key: n.key,
        reason: n.reason,
      });
    }
  }

  /** Refreshes this edge's entries, re-registers them after an outage, releases ended ones. */
  heartbeat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => this.#beating = null);
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const local = new Map(this.#o.local().map((s) => [s.key, s]));
    try {
      for (const [key, sessionId] of [...this.#owned]) {
        const s = local.get(key);
        if (s !== undefined && s.sessionId === sessionId) continue;
        this.#owned.delete(key);
        await this.#o.store.release(key, this.#o.edgeId, sessionId);
      }
      for (const [key, sessionId] of this.#owned) {
        const s = local.get(key)!;
        const got = await this.#o.store.claim(key, this.#entry(s), this.#o.takeoverAfterMs);
        if (got.kind === "took-over") await this.#dropPrevious(key, got.previous);
        if (got.kind === "refused") {
          this.#owned.delete(key);
          const by = got.holder?.edgeId ?? "another edge";
          this.#o.dropLocal(key, sessionId, `Cluster: ${key} is owned by edge ${by}`);
          this.#o.log.warning("Cluster: {key} is owned by edge {by}; dropped the local publisher", {
            key,
            by,
          });
        }
      }
      if (this.#o.store.ready) this.#ok();
    } catch (e) {
      this.#fail(message(e));
    }
  }

  /** Asks the edge that held `key` before a takeover to drop its publisher. */
  async #dropPrevious(key: string, previous: ClusterEntry | null): Promise<void> {
    if (previous === null || previous.edgeId === this.#o.edgeId) return;
    this.#o.log.info("Cluster: {key} taken over from silent edge {edge}", {
      key,
      edge: previous.edgeId,
    });
    await this.#o.store.publishDrop({
      key,
      edgeId: previous.edgeId,
      sessionId: previous.sessionId,
      reason: `Taken over by edge ${this.#o.edgeId}`,
    });
  }

  #entry(s: LocalStream): ClusterEntry {
    const { key: _key, ...rest } = s;
    return { ...rest, edgeId: this.#o.edgeId, at: 0 };
  }

  #ok(): void {
    if (this.#degraded === null) return;
    const was = this.#degraded;
    this.#degraded = null;
    if (was === CONNECTING) {
      this.#o.log.info("Cluster: connected as edge {edge}", { edge: this.#o.edgeId });
    } else {
      this.#o.log.info("Cluster: Redis is back; {n} streams registered again", {
        n: this.#owned.size,
      });
    }
  }

  #fail(reason: string): void {
    if (this.#closed || (this.#degraded !== null && this.#degraded !== CONNECTING)) return;
    this.#degraded = `Redis unreachable: ${reason}`;
    this.#o.log.warning("Cluster degraded (publishing goes on locally): {reason}", {
      reason: this.#degraded,
    });
  }

  /** Stops the heartbeat and releases this edge's entries (best effort). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#beating;
    await Promise.allSettled(
      [...this.#owned].map(([key, id]) => this.#o.store.release(key, this.#o.edgeId, id)),
    );
    this.#owned.clear();
    this.#o.store.close();
  }
}

function view(key: string, e: ClusterEntry): ClusterStreamView {
  const { silentMs: _silent, at: _at, ...rest } = e;
  return { key, ...rest };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
