/**
 * One client connection: socket → handshake → chunk parser → dispatch, until the peer
 * leaves, breaks the protocol, trips a limit or is dropped. Only this connection is
 * affected by its errors.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { PlayAuthorizer, PublishAuthorizer } from "../auth/authorizer.ts";
import type { HookEventSink } from "../hooks/events.ts";
import type { JoinMemo } from "../bytes.ts";
import type { Clock } from "../clock.ts";
import type { HealthThresholds } from "../health/thresholds.ts";
import { type AmfError, RtmpError } from "../errors.ts";
import type { ChunkParser, MessageHandler, MessageRecord } from "../parser/types.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";
import type { Command } from "../rtmp/commands.ts";
import type { RecordingFactory } from "../record/recording.ts";
import type { AmfLimits } from "../rtmp/amf_io.ts";
import { C0C1_SIZE, C2_SIZE, checkVersion, createS0S1S2 } from "../rtmp/handshake.ts";
import {
  decodeUserControl,
  decodeWindowAckSize,
  encodeU32Message,
  encodeUserControl,
  MessageType,
  UserControlEvent,
} from "../rtmp/messages.ts";
import { ChunkCache } from "../play/chunk_cache.ts";
import { PlayFlow } from "../play/play_flow.ts";
import type { PlayerSlots } from "../stream/player_slots.ts";
import type { AppPolicies } from "./app_policy.ts";
import { startTls } from "../tls/tls_accept.ts";
import type { TlsInfo } from "../tls/tls_socket_conn.ts";
import { CommandFlow } from "./command_flow.ts";
import { createDispatch, type DispatchTargets } from "./dispatch.ts";
import { LoopMonitor } from "./loop_monitor.ts";
import type { NapHolds } from "./loop_nap.ts";
import { Outbox } from "./outbox.ts";
import type { SessionHandle, SessionRegistry } from "./registry.ts";
import type { StreamHub } from "../stream/hub.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import { ReadClock } from "./read_clock.ts";
import { ReadPacer } from "./read_pacer.ts";
import { FlushPacer } from "./flush_pacer.ts";
import type { PaceTicker } from "./pace_ticker.ts";
import type { ReadScratch } from "./read_scratch.ts";
import { type Timeouts, Watchdog } from "./watchdog.ts";

/** The socket a connection needs (`Deno.Conn` fits; tests pass an in-memory pair). */
export interface RtmpConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  /** The TLS handshake; run first when {@linkcode ConnectionDeps.tls} is set. */
  handshake?(): Promise<TlsInfo>;
}

/** Per-connection limits besides the parser's. */
export interface ConnectionLimits extends Timeouts {
  /** Most bytes queued for the client before it counts as not reading. */
  readonly maxOutgoingBytes: number;
  readonly amfMaxDepth: number;
  readonly amfMaxElements: number;
  readonly amfMaxStringBytes: number;
  /** What a recording fault does to its publish (default `continue`). */
  readonly onRecordError?: "continue" | "refuse";
  /** A live name whose publisher sent nothing this long is taken over (default 0: never). */
  readonly takeoverAfterMs?: number;
  /** How long a play of a name that is not live waits for its publisher, in ms (default 5 000). */
  readonly playWaitMs?: number;
  /** Queue bytes at which a player skips to the next key frame (default 2 MiB). */
  readonly playerQueueBytes?: number;
  /** A player skipping for longer than this is dropped, in ms (default 10 000). */
  readonly playerMaxLagMs?: number;
  /**
   * Longest wait before the next read of a publisher nobody watches live, after a read that
   * did not fill the buffer, in ms (merged reads; needs {@linkcode ConnectionDeps.paceTicker};
   * default 0: off).
   */
  readonly readMergeMs?: number;
  /**
   * Longest wait of a publisher's read for the next ones to join it in its players' writes, in
   * ms, once its stream has {@linkcode ConnectionLimits.playMergePlayers} players (merged
   * writes, `FlushPacer`; needs {@linkcode ConnectionDeps.paceTicker}; default 0: off).
   */
  readonly playMergeMs?: number;
  /** Players a stream needs before its players' writes merge (default 1). */
  readonly playMergePlayers?: number;
}

/** Defaults for {@linkcode ConnectionLimits}. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  handshakeTimeoutMs: 10_000,
  publishTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  maxOutgoingBytes: 4 * 1024 * 1024,
  amfMaxDepth: 64,
  amfMaxElements: 1024,
  amfMaxStringBytes: 65536,
};

/** What every connection shares, built once in server.ts. */
export interface ConnectionDeps {
  readonly registry: SessionRegistry;
  readonly hub: StreamHub;
  readonly recordings: RecordingFactory;
  /** Makes this connection's chunk parser. */
  readonly makeParser: () => ChunkParser;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits?: ConnectionLimits;
  /** Called when a publish went live (relays attach here, with the authorizer's extra targets). */
  readonly onLive?: (
    stream: LiveStream,
    session: SessionHandle,
    extra: { readonly push?: readonly string[] },
  ) => void;
  /** The server's shared ticker for watchdogs; without it, each connection runs its own. */
  readonly loopMonitor?: LoopMonitor;
  /** The loop's naps, held off while this connection is set up (until it publishes or plays). */
  readonly loopNap?: NapHolds;
  /** The server's shared ticker for merged reads; without it, reads never wait. */
  readonly paceTicker?: PaceTicker;
  /**
   * Buffers for the read after a merged-read wait (one per server); without them, that read
   * lands in the parser's view as every other read does.
   */
  readonly readScratch?: ReadScratch;
  /** Player slots, shared with HTTP-FLV players; without them, this connection may not play. */
  readonly slots?: PlayerSlots;
  /** Media chunked once per format for every RTMP player (one per server). */
  readonly chunks?: ChunkCache;
  /** Queued shared chunks joined once for every outbox in step (one per server). */
  readonly joins?: JoinMemo;
  /** Decides each publish after its name checks; without it, anyone may publish. */
  readonly authorize?: PublishAuthorizer;
  /** Each app's rules (takeover, record dir, play); without it, the limits above for all. */
  readonly policy?: AppPolicies;
  /** Levels of a publish's health; without them, the defaults. */
  readonly health?: HealthThresholds;
  /** Decides each play after its name checks; without it, anyone may play. */
  readonly authorizePlay?: PlayAuthorizer;
  /** Told of publish_done, recording_done, play and play_done; must return at once. */
  readonly onEvent?: HookEventSink;
  /** The cluster's claim of a name after the hub's (`--cluster-redis`); without it, none. */
  readonly clusterClaim?: (req: { key: string; sessionId: string }) => Promise<string | null>;
  /** Connections come over TLS (RTMPS): its handshake runs first, within the handshake timeout. */
  readonly tls?: boolean;
}

/** How long a dropped client's connection stays open to finish what it sent and get its onStatus. */
const DROP_GRACE_MS = 500;

/** Serves one connection until it ends; never throws. */
export async function serveConnection(
  conn: RtmpConn,
  remoteAddr: string,
  deps: ConnectionDeps,
): Promise<void> {
  try {
    await runConnection(conn, remoteAddr, deps);
  } catch (e) {
    // Only setup (parser memory, registry) can get here; the session loop catches its own.
    deps.log.error("Connection from {remote} failed to start: {error}", {
      remote: remoteAddr,
      error: e,
    });
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

async function runConnection(
  conn: RtmpConn,
  remoteAddr: string,
  deps: ConnectionDeps,
): Promise<void> {
  const { registry, clock, log } = deps;
  const limits = deps.limits ?? DEFAULT_CONNECTION_LIMITS;
  let reason: string | null = null;
  let closed = false;
  /** Resolves when the connection is closed: a held read loop need not wait for the disk. */
  const closing = Promise.withResolvers<void>();
  const close = (why: string) => {
    reason ??= why;
    if (closed) return;
    closed = true;
    closing.resolve();
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const ended = Promise.withResolvers<void>();
  const parser = deps.makeParser();
  let flow: CommandFlow | null = null;
  const outbox = new Outbox(conn, {
    maxQueuedBytes: limits.maxOutgoingBytes,
    onError: (e) => close(e instanceof RtmpError ? e.message : `Write failed: ${e.message}`),
    ...(deps.joins === undefined ? {} : { joins: deps.joins }),
  });
  let session: SessionHandle;
  try {
    session = registry.open({
      remoteAddr,
      parser: parser.kind,
      tls: deps.tls === true,
      drop: (why) => {
        reason ??= why;
        flow?.notifyStop(why);
        // Keep reading for a moment: what the client already sent still lands in the recording.
        void withTimeout(ended.promise, DROP_GRACE_MS).then(() => close(why));
      },
    });
  } catch (e) {
    parser[Symbol.dispose]();
    throw e;
  }
  // Set up at full speed: no loop naps until this connection's publish reply is written, it asks
  // to play, or it ends (a second at most).
  using setup = deps.loopNap?.hold() ?? null;
  const endSetup = (afterWrites: boolean) => {
    if (setup === null) return;
    if (afterWrites) void outbox.drained().then(() => setup[Symbol.dispose]());
    else setup[Symbol.dispose]();
  };
  const monitor = deps.loopMonitor ?? new LoopMonitor({ clock });
  using _ownMonitor = monitor === deps.loopMonitor ? null : monitor;
  using watchdog = new Watchdog({
    timeouts: limits,
    clock,
    monitor,
    expire: close,
    tick: () => flow?.sync(),
  });
  const endAfterDrain = (why: string) => {
    reason ??= why;
    void withTimeout(outbox.drained(), DROP_GRACE_MS).then(() => close(why));
  };
  const playerQueueBytes = limits.playerQueueBytes ?? 2 * 1024 * 1024;
  const play = deps.slots === undefined ? undefined : new PlayFlow({
    session,
    output: outbox,
    hub: deps.hub,
    slots: deps.slots,
    chunks: deps.chunks ?? new ChunkCache(),
    limits: {
      playWaitMs: limits.playWaitMs ?? 5_000,
      playerQueueBytes,
      playerMaxLagMs: limits.playerMaxLagMs ?? 10_000,
    },
    clock,
    log,
    end: endAfterDrain,
    ...(deps.policy === undefined ? {} : { policy: deps.policy }),
    ...(deps.authorizePlay === undefined ? {} : { authorize: deps.authorizePlay }),
    ...(deps.onEvent === undefined ? {} : { onEvent: deps.onEvent }),
    peer: () => session.info,
    onPlaying: (on) => {
      if (on) endSetup(false); // it may wait seconds for its stream
      watchdog.playing(on);
      // Room above the skip threshold: the gate skips before the outbox gives up.
      if (on) outbox.maxQueuedBytes = Math.max(limits.maxOutgoingBytes, 2 * playerQueueBytes);
    },
  });
  const mergeMs = limits.readMergeMs ?? 0;
  const pacer = deps.paceTicker === undefined || mergeMs <= 0
    ? null
    : new ReadPacer({ ticker: deps.paceTicker, waitMs: mergeMs });
  const playMergeMs = limits.playMergeMs ?? 0;
  const flushes = deps.paceTicker === undefined || playMergeMs <= 0 ? null : new FlushPacer({
    ticker: deps.paceTicker,
    mergeMs: playMergeMs,
    mergePlayers: limits.playMergePlayers ?? 1,
  });
  // The publish path takes each read's time for the messages in it (one clock call per read).
  const readClock = new ReadClock(clock);
  flow = new CommandFlow({
    session,
    outbox,
    hub: deps.hub,
    recordings: deps.recordings,
    clock: readClock,
    log,
    onPublished: () => {
      endSetup(true);
      watchdog.published();
    },
    onRecordError: limits.onRecordError ?? "continue",
    ...(deps.onLive === undefined ? {} : { onLive: deps.onLive }),
    ...(deps.authorize === undefined ? {} : { authorize: deps.authorize }),
    ...(deps.policy === undefined ? {} : { policy: deps.policy }),
    ...(deps.health === undefined ? {} : { health: deps.health }),
    ...(deps.onEvent === undefined ? {} : { onEvent: deps.onEvent }),
    ...(deps.clusterClaim === undefined ? {} : { clusterClaim: deps.clusterClaim }),
    takeoverAfterMs: limits.takeoverAfterMs ?? 0,
    dropSession: (id, why) => registry.view().drop(id, why),
    ...(play === undefined ? {} : { play }),
    ...(pacer === null ? {} : { onReadsMayWait: (may: boolean) => pacer.allow(may) }),
    ...(flushes === null ? {} : { flushes }),
    end: endAfterDrain,
  });
  const scratches = deps.readScratch;
  /** A wait's backlog is read into this shared buffer (null: into the parser's view). */
  let scratch: Uint8Array | null = null;
  try {
    if (deps.tls === true) session.update({ tlsVersion: await startTls(conn) });
    await handshake(conn, outbox, clock, watchdog);
    watchdog.handshakeDone();
    session.update({ state: "connected" });
    const acks = { window: 0, received: 0, acked: 0 };
    const amf = {
      maxDepth: limits.amfMaxDepth,
      maxElements: limits.amfMaxElements,
      maxStringBytes: limits.amfMaxStringBytes,
    };
    const onMessage = dispatchFor(flow, outbox, acks, log, session.id, amf);
    for (;;) {
      const room = scratch ?? parser.writable();
      // Taken now: a WASM parser's view detaches if its memory grows during drain().
      const offered = room.length;
      const n = await conn.read(room);
      if (n === null) break;
      if (scratch === null) parser.commit(n);
      const now = clock.now();
      watchdog.read(now);
      session.addBytesIn(n, now);
      acks.received += n;
      let acked = false;
      if (acks.window > 0 && acks.received - acks.acked >= acks.window) {
        acks.acked = acks.received;
        acked = true;
        outbox.send(control(MessageType.Acknowledgement, encodeU32Message(acks.received)));
      }
      readClock.hold(now);
      try {
        if (scratch === null) parser.drain(onMessage);
        else feed(parser, scratch.subarray(0, n), onMessage);
      } finally {
        readClock.release();
        flow.readDone(); // players write what the read brought, one write each
        if (scratch !== null) scratches?.give(scratch);
        scratch = null;
      }
      // A recording behind its disk holds this publisher's reads (TCP slows it) until caught up.
      const backlog = flow.recordingBacklog();
      if (backlog !== null) {
        watchdog.holding(true);
        await Promise.race([backlog, closing.promise]);
        watchdog.holding(false);
      }
      // Merged reads: not after an acknowledgement (a client may wait for it before it sends on).
      if (!acked && !closed && pacer?.shouldWait(n, offered) === true) {
        await pacer.wait();
        // What arrived meanwhile comes in one read (null when the server's buffers are out).
        scratch = scratches?.take() ?? null;
      }
    }
    reason ??= CLIENT_CLOSED;
  } catch (e) {
    reason ??= describe(e);
    if (!(e instanceof RtmpError) && !isPeerGone(e) && !closed) {
      log.error("Session {id} failed: {error}", { id: session.id, error: e });
    }
  } finally {
    if (scratch !== null) scratches?.give(scratch); // its read has settled
    ended.resolve();
    // A refused publish says why, unless something else than the client ended the session.
    const refusal = flow.refusal;
    const why = refusal !== null && (reason === CLIENT_CLOSED || reason === PEER_RESET)
      ? refusal
      : reason ?? "Closed";
    try {
      flow.close();
    } catch (e) {
      log.error("Session {id} could not end its publications: {error}", {
        id: session.id,
        error: e,
      });
    }
    close(why);
    parser[Symbol.dispose]();
    session.close(why);
    const info = session.info;
    log.info(
      "Session {id} closed ({reason}): {bytes} bytes in, {video} video frames, {audio} audio frames",
      {
        id: session.id,
        reason: why,
        bytes: info.bytesIn,
        video: info.video.frames,
        audio: info.audio.frames,
      },
    );
  }
}

/**
 * Hands a read's bytes from a scratch buffer to the parser, one view's worth at a time, and
 * parses each (pieces its view's size, so both parsers see the same splits).
 */
function feed(parser: ChunkParser, bytes: Uint8Array, onMessage: MessageHandler): void {
  for (let at = 0; at < bytes.length;) {
    const n = parser.push(at === 0 ? bytes : bytes.subarray(at));
    // After a drain the parser holds at most an unfinished chunk header: it always has room.
    if (n === 0) throw new RangeError(`Parser took none of ${bytes.length - at} bytes`);
    at += n;
    parser.drain(onMessage);
  }
}

/** Routes messages: control handled here, the rest to the command flow. */
function dispatchFor(
  flow: CommandFlow,
  outbox: Outbox,
  acks: { window: number },
  log: Logger,
  id: string,
  amf: AmfLimits,
): MessageHandler {
  return createDispatch(new SessionTargets(flow, outbox, acks, log, id), amf);
}

/** A session's dispatch targets: one object with methods, no closures per session. */
class SessionTargets implements DispatchTargets {
  readonly #flow: CommandFlow;
  readonly #outbox: Outbox;
  readonly #acks: { window: number };
  readonly #log: Logger;
  readonly #id: string;

  constructor(
    flow: CommandFlow,
    outbox: Outbox,
    acks: { window: number },
    log: Logger,
    id: string,
  ) {
    this.#flow = flow;
    this.#outbox = outbox;
    this.#acks = acks;
    this.#log = log;
    this.#id = id;
  }

  control(rec: MessageRecord, body: Uint8Array): void {
    if (rec.type === MessageType.WindowAckSize) {
      this.#acks.window = decodeWindowAckSize(body);
    } else if (rec.type === MessageType.UserControl) {
      const uc = decodeUserControl(body);
      if (uc.event === UserControlEvent.PingRequest) {
        const pong = { event: UserControlEvent.PingResponse, value: uc.value };
        this.#outbox.send(control(MessageType.UserControl, encodeUserControl(pong)));
      }
    }
  }

  command(cmd: Command, rec: MessageRecord): void {
    this.#flow.command(cmd, rec);
  }

  data(values: AmfValue[], rec: MessageRecord): void {
    this.#flow.data(values, rec);
  }

  badData(error: AmfError): void {
    this.#log.warning("Session {id} sent a malformed data message, dropped: {error}", {
      id: this.#id,
      error: error.message,
    });
  }

  media(rec: MessageRecord, body: Uint8Array): void {
    this.#flow.media(rec, body);
  }

  other(rec: MessageRecord): void {
    this.#log.debug("Session {id} ignored a message of type {type}", {
      id: this.#id,
      type: rec.type,
    });
  }
}

function control(type: number, body: Uint8Array) {
  return { type, csid: 2, streamId: 0, timestamp: 0, body };
}

/** The close reason of a client that ended the connection itself. */
const CLIENT_CLOSED = "Client closed the connection";
/** The close reason of a client that reset the connection (also a normal way to leave). */
const PEER_RESET = "Connection reset by peer";

/** Whether `e` says the peer went away (a reset or a broken pipe): a normal close, not a fault. */
function isPeerGone(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.ConnectionAborted || e instanceof Deno.errors.UnexpectedEof ||
    e instanceof Deno.errors.NotConnected;
}

/** The close reason for an error that ended a connection. */
function describe(e: unknown): string {
  if (e instanceof RtmpError) return `${e.name}: ${e.message}`;
  if (isPeerGone(e)) return PEER_RESET;
  if (e instanceof WebAssembly.RuntimeError) return `Parser core trapped: ${e.message}`;
  return `Internal error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Reads C0C1, answers S0S1S2, reads C2; throws HandshakeError on a bad version. */
async function handshake(
  conn: RtmpConn,
  outbox: Outbox,
  clock: Clock,
  watchdog: Watchdog,
): Promise<void> {
  const c0c1 = await readExactly(conn, C0C1_SIZE, watchdog, clock, (first) => checkVersion(first));
  outbox.sendRaw(createS0S1S2(c0c1, {
    epochMs: clock.now(),
    random: (b) => crypto.getRandomValues(b),
  }));
  await readExactly(conn, C2_SIZE, watchdog, clock);
}

async function readExactly(
  conn: RtmpConn,
  size: number,
  watchdog: Watchdog,
  clock: Clock,
  onFirst?: (byte: number) => void,
): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let have = 0;
  while (have < size) {
    const n = await conn.read(buf.subarray(have));
    if (n === null) {
      throw new RtmpError(`Connection closed during the handshake after ${have} bytes`);
    }
    watchdog.read(clock.now());
    if (have === 0 && n > 0) onFirst?.(buf[0]!);
    have += n;
  }
  return buf;
}

/** Resolves when `p` settles or after `ms`, whichever is first, leaving no timer behind. */
async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => timer = setTimeout(r, ms))]);
  } finally {
    clearTimeout(timer);
  }
}
