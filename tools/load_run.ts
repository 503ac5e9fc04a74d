/**
 * The load tool's core: N publishers from one process, one timer tick driving them all in
 * real time, or each writing as fast as the socket takes it (flood).
 * @module
 */

import { RtmpPublisher } from "../src/client/publisher.ts";
import type { SendLog } from "./load_send_log.ts";
import { Sender } from "./load_sender.ts";
import { encodeLoadStream, type LoadStream, planFlv } from "./load_stream.ts";

/** What {@linkcode runLoad} does. */
export interface LoadOptions {
  /** `rtmp://host:port/app/name`; publisher i publishes `name-i` (query string kept). */
  readonly url: string;
  /** The FLV file's bytes. */
  readonly flv: Uint8Array;
  readonly publishers: number;
  /** Sending time, after every publisher has connected (or failed to). */
  readonly seconds: number;
  /** Write as fast as the sockets take it instead of in real time. */
  readonly flood?: boolean;
  /**
   * Real time: write what is due on each tick even while earlier writes wait (no
   * backpressure), like one Node process writing to 1000 sockets from one timer.
   */
  readonly eager?: boolean;
  /** Real-time tick (default 20 ms). */
  readonly tickMs?: number;
  /** Publishers connecting at once (default 10). */
  readonly connectParallel?: number;
  /** Send-time logs, one per publisher (index i for publisher i + 1), for players to match. */
  readonly sendLogs?: readonly SendLog[];
  /** Stops sending before `seconds` are up once it settles (real time only). */
  readonly stop?: Promise<void>;
  /** Called when sending starts and when it stops, for a driver to sample around. */
  readonly onPhase?: (phase: "sending" | "stopped", detail: string) => void;
}

/** One publisher's result. */
export interface PublisherReport {
  readonly name: string;
  readonly video: number;
  readonly audio: number;
  readonly bytes: number;
  readonly connectMs: number | null;
  readonly error: string | null;
}

/** What {@linkcode runLoad} measured. */
export interface LoadReport {
  readonly mode: "realtime" | "flood";
  readonly publishers: readonly PublisherReport[];
  readonly connected: number;
  readonly video: number;
  readonly audio: number;
  readonly bytes: number;
  /** From the start of sending to the stop (drain not included). */
  readonly sendSeconds: number;
  /** Megabytes (10^6) per second over sendSeconds. */
  readonly mbPerSecond: number;
  readonly connectMedianMs: number | null;
  readonly connectP99Ms: number | null;
  /** Real time: frames whose time had come at the stop, sent or not; flood: frames sent. */
  readonly framesDue: number;
  /** Real time: the worst lag behind the clock at the stop. */
  readonly maxLagMs: number;
  readonly errors: readonly string[];
}

const DRAIN_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_STAGGER_MS = 1_000;

/** Runs the load; resolves once every publisher is closed. Bounded by seconds + about 20 s. */
export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  if (!(opts.publishers >= 1 && opts.seconds > 0)) {
    throw new RangeError(
      `Need publishers >= 1 and seconds > 0: got ${opts.publishers}, ${opts.seconds}`,
    );
  }
  const plan = planFlv(opts.flv);
  const senders = makeSenders(opts.url, opts.publishers);
  senders.forEach((s, i) => s.log = opts.sendLogs?.[i] ?? null);
  await connectAll(senders, opts.connectParallel ?? 10);
  const streams = new Map<number, LoadStream>();
  for (const s of senders) {
    if (s.pub === null) continue;
    const id = s.pub.streamId;
    let stream = streams.get(id);
    if (stream === undefined) streams.set(id, stream = encodeLoadStream(plan, id));
    s.attach(stream);
  }
  const live = senders.filter((s) => s.pub !== null);
  opts.onPhase?.("sending", `${live.length} of ${senders.length} publishers connected`);
  const t0 = performance.now();
  let endMs = t0 + opts.seconds * 1000;
  const stagger = Math.min(MAX_STAGGER_MS, (opts.seconds * 1000) / 4);
  live.forEach((s, i) => s.startMs = opts.flood ? t0 : t0 + (i * stagger) / live.length);
  if (live.length > 0 && opts.flood) await flood(live, endMs);
  else if (live.length > 0) {
    endMs = await realtime(live, endMs, {
      tickMs: opts.tickMs ?? 20,
      stop: opts.stop,
      eager: opts.eager ?? false,
    });
  }
  const stopMs = performance.now();
  opts.onPhase?.("stopped", `after ${((stopMs - t0) / 1000).toFixed(1)} s`);
  const stuck = !(await within(Promise.all(live.map((s) => s.pending)), DRAIN_MS));
  let framesDue = 0;
  let maxLagMs = 0;
  for (const s of live) {
    const b = opts.flood ? { lagMs: 0, frames: 0 } : s.behind(endMs - s.startMs);
    framesDue += s.video + s.audio + b.frames;
    maxLagMs = Math.max(maxLagMs, b.lagMs);
    if (s.pending !== null) s.error ??= `Write still pending ${DRAIN_MS} ms after the stop`;
  }
  await Promise.all(live.map((s) => s.pub!.close(stuck && s.pending !== null)));
  return report(senders, {
    flood: opts.flood ?? false,
    seconds: (stopMs - t0) / 1000,
    framesDue,
    maxLagMs,
  });
}

function makeSenders(url: string, n: number): Sender[] {
  const q = url.indexOf("?");
  const base = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? "" : url.slice(q);
  const stream = base.slice(base.lastIndexOf("/") + 1);
  return Array.from(
    { length: n },
    (_, i) => new Sender(`${stream}-${i + 1}`, `${base}-${i + 1}${query}`),
  );
}

async function connectAll(senders: readonly Sender[], parallel: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < senders.length) {
      const s = senders[next++]!;
      const t = performance.now();
      try {
        s.pub = await RtmpPublisher.connect(s.url, { timeoutMs: CONNECT_TIMEOUT_MS });
        s.connectMs = performance.now() - t;
      } catch (e) {
        s.error = e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
}

async function realtime(
  live: readonly Sender[],
  endMs: number,
  opts: { tickMs: number; stop: Promise<void> | undefined; eager: boolean },
): Promise<number> {
  let end = endMs;
  const eager = opts.eager;
  const tick = () => {
    const now = Math.min(performance.now(), end);
    for (const s of live) {
      if (!(eager ? s.open : s.ready) || now < s.startMs) continue;
      const to = s.dueIndex(now - s.startMs);
      if (to <= s.next) continue;
      if (eager) s.queue(to);
      else s.send(to);
    }
  };
  const timer = setInterval(tick, opts.tickMs);
  let sleep: ReturnType<typeof setTimeout> | undefined;
  try {
    tick();
    const due = new Promise<void>((r) =>
      sleep = setTimeout(r, Math.max(0, end - performance.now()))
    );
    await (opts.stop === undefined ? due : Promise.race([due, opts.stop]));
    end = Math.min(end, performance.now());
    tick(); // what fell due since the last tick, so a publisher keeping up sends all that is due
  } finally {
    clearInterval(timer);
    clearTimeout(sleep);
  }
  return end;
}

async function flood(live: readonly Sender[], endMs: number): Promise<void> {
  const one = async (s: Sender) => {
    while (s.ready && performance.now() < endMs) {
      s.send(s.floodIndex());
      await s.pending;
    }
  };
  // A stalled server leaves a write hanging: stop waiting at the end and let the drain judge.
  await within(Promise.all(live.map(one)), Math.max(0, endMs - performance.now()) + 100);
}

/** Resolves true if `p` settles within `ms`, false otherwise; clears its timer either way. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => timer = setTimeout(() => r(false), ms));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

function report(
  senders: readonly Sender[],
  run: { flood: boolean; seconds: number; framesDue: number; maxLagMs: number },
): LoadReport {
  const publishers = senders.map((s) => ({
    name: s.name,
    video: s.video,
    audio: s.audio,
    bytes: s.bytes,
    connectMs: s.connectMs === null ? null : round(s.connectMs),
    error: s.error,
  }));
  const sum = (f: (p: PublisherReport) => number) => publishers.reduce((a, p) => a + f(p), 0);
  const bytes = sum((p) => p.bytes);
  const times = senders.flatMap((s) => s.connectMs === null ? [] : [s.connectMs]).sort((a, b) =>
    a - b
  );
  return {
    mode: run.flood ? "flood" : "realtime",
    publishers,
    connected: times.length,
    video: sum((p) => p.video),
    audio: sum((p) => p.audio),
    bytes,
    sendSeconds: round(run.seconds),
    mbPerSecond: round(bytes / 1e6 / run.seconds),
    connectMedianMs: percentile(times, 0.5),
    connectP99Ms: percentile(times, 0.99),
    framesDue: run.framesDue,
    maxLagMs: round(run.maxLagMs),
    errors: publishers.flatMap((p) => p.error === null ? [] : [`${p.name}: ${p.error}`]),
  };
}

/**
 * Nearest-rank percentile of ascending `sorted`; null when empty.
 *
 * @example
 * ```ts
 * import { percentile } from "./load_run.ts";
 * console.assert(percentile([1, 2, 3, 4], 0.5) === 2);
 * ```
 */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
