/**
 * The hostile-input suite's runner. A group is one server start and a table of cases;
 * each case runs its bad client while a well-behaved publisher streams a real clip, and
 * is then checked on its own: the bad client's fate, one log line naming the reason, the
 * good publisher's recording frame for frame, a server that still serves, and RSS.
 * @module
 */

import { configure, type LogRecord, reset } from "@logtape/logtape";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import type { Config } from "../../src/config.ts";
import { have, missing, testServer } from "../interop/harness.ts";
import {
  checkAlive,
  checkBadRecording,
  type CheckEnv,
  checkExpect,
  checkGood,
  checkLogVolume,
  type Expect,
  Verdict,
} from "./checks.ts";
import { type Clip, type FrameCount, makeClip, streamGood } from "./clip.ts";
import { RawClient, type RawClientOptions } from "./raw_client.ts";

export type { Expect } from "./checks.ts";

/** The limits issue 5 adds to Config; spread over it so this compiles before and after. */
export interface HostileLimits {
  readonly handshakeTimeoutMs?: number;
  readonly publishTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly maxMessageSize?: number;
  readonly maxChunkStreams?: number;
  readonly maxPartialBytes?: number;
  readonly maxConnections?: number;
  readonly maxConnectionsPerIp?: number;
  readonly maxOutgoingBytes?: number;
  readonly playWaitMs?: number;
  readonly maxPlayersPerStream?: number;
  readonly playerQueueBytes?: number;
  readonly playerMaxLagMs?: number;
  /** Every connection starts with a PROXY header (the good publisher sends `goodPreamble`). */
  readonly proxyProtocol?: boolean;
}

/** What a case's `run` gets. */
export interface CaseContext {
  /**
   * Opens a raw TCP connection (to the RTMPS port with `rtmps`); the last one opened is the bad
   * client the checks look at.
   */
  open(options?: RawClientOptions & { readonly rtmps?: boolean }): Promise<RawClient>;
  /** The clip, for cases that publish. */
  readonly clip: Clip;
  /** The stream name (app `live`) the good publisher is live on during this case. */
  readonly goodName: string;
}

/** One row of the suite: a bad client and what the server should do with it. */
export interface HostileCase {
  /** A sentence: what the client does. */
  readonly name: string;
  readonly expect: Expect;
  /** Drives the bad client; returns once the bad bytes are out (or refused). */
  run(ctx: CaseContext): Promise<void>;
}

/** How a group runs. */
export interface GroupOptions {
  /** Limits for this server; tests use short timeouts. */
  readonly limits: HostileLimits;
  /** Cases in flight at once (default 4); 1 for cases whose RSS is measured alone. */
  readonly concurrency?: number;
  /** Bytes the good publisher sends before its handshake (a PROXY header). */
  readonly goodPreamble?: Uint8Array;
  /** More config for this server (e.g. an RTMPS listener). */
  readonly config?: Partial<Config>;
}

/** Peak RSS growth allowed during one case. */
export const RSS_BOUND_BYTES = 200 * 1024 * 1024;
/** A case whose run has not finished by then is cut short and fails. */
const CASE_DEADLINE_MS = 20_000;
/** The good publisher streams at least this long per case. */
const MIN_GOOD_MS = 600;
const MIB = 1024 * 1024;

/** True (and a loud message) when FFmpeg or ffprobe is missing. */
export const noFfmpeg: boolean = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);

interface CaseResult {
  readonly name: string;
  readonly verdict: Verdict;
  readonly rss: { readonly base: number; readonly peak: number };
}

/** Runs `cases` against one server and reports each as its own test step. */
export async function runGroup(
  t: Deno.TestContext,
  cases: readonly HostileCase[],
  options: GroupOptions,
): Promise<void> {
  const logs: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { capture: (r: LogRecord) => void logs.push(r) },
    loggers: [
      { category: ["rtmp-edge-test"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  const clipDir = await Deno.makeTempDir({ prefix: "rtmp-edge-hostile-clip-" });
  const results: CaseResult[] = [];
  try {
    const clip = await makeClip(clipDir);
    const config: Partial<Config> = { ...options.limits, ...options.config };
    await using s = await testServer({ config });
    const env: CheckEnv = {
      s,
      logs,
      ...(options.goodPreamble === undefined ? {} : { preamble: options.goodPreamble }),
    };
    const before = rss();
    results.push(
      ...await pool(
        cases,
        options.concurrency ?? 4,
        (c, i) => runCase(env, clip, c, i, options.goodPreamble),
      ),
    );
    console.log(report(results, before));
  } finally {
    await reset();
    await Deno.remove(clipDir, { recursive: true });
  }
  for (const r of results) {
    await t.step(r.name, () => {
      if (r.verdict.failures.length > 0) {
        throw new Error(`${r.verdict.failures.join("\n")}\n(server: ${r.verdict.outcome})`);
      }
    });
  }
}

async function runCase(
  env: CheckEnv,
  clip: Clip,
  c: HostileCase,
  i: number,
  preamble?: Uint8Array,
): Promise<CaseResult> {
  const v = new Verdict();
  const sampler = rssSampler();
  const goodName = `good-${i}`;
  let good: RtmpPublisher | null = null;
  try {
    good = await RtmpPublisher.connect(
      `${env.s.rtmpUrl}/live/${goodName}`,
      preamble === undefined ? {} : { preamble },
    );
  } catch (e) {
    v.fail(`The good publisher could not publish: ${message(e)}`);
  }
  let stopped = false;
  const streaming: Promise<FrameCount | null> = good === null
    ? Promise.resolve(null)
    : streamGood(good, clip, () => stopped, MIN_GOOD_MS).catch((e) => {
      v.fail(`The good publisher failed while streaming: ${message(e)}`);
      return null;
    });
  const clients: RawClient[] = [];
  const ctx: CaseContext = {
    clip,
    goodName,
    async open(opts) {
      const port = opts?.rtmps === true ? env.s.server.rtmpsPort : env.s.server.rtmpPort;
      if (port === null) throw new Error("This group's server has no RTMPS listener");
      const client = await RawClient.open(port, opts);
      clients.push(client);
      return client;
    },
  };
  const closeAll = () => Promise.all(clients.map((x) => x.close()));
  const error = await withDeadline(c.run(ctx), CASE_DEADLINE_MS, closeAll);
  if (error !== null) v.fail(`The case's client failed: ${error}`);
  const bad = clients.at(-1);
  if (bad === undefined) v.fail("The case opened no connection");
  else {
    await checkExpect(env, c.expect, bad, v);
    checkLogVolume(env, bad, v);
  }
  stopped = true;
  const sent = await streaming;
  await good?.close();
  await closeAll();
  if (bad !== undefined && c.expect.kind === "accepted" && c.expect.probe) {
    await checkBadRecording(env, bad, v);
  }
  if (sent !== null) await checkGood(env, goodName, sent, v);
  await checkAlive(env, v);
  const mem = sampler.stop();
  if (mem.peak - mem.base > RSS_BOUND_BYTES) {
    v.fail(`RSS grew by ${mb(mem.peak - mem.base)} MiB, bound ${mb(RSS_BOUND_BYTES)} MiB`);
  }
  return { name: c.name, verdict: v, rss: mem };
}

/** Resolves to null when `p` settles in time, else to why not; on a timeout calls `cancel`. */
async function withDeadline(
  p: Promise<void>,
  ms: number,
  cancel: () => Promise<unknown>,
): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = p.then(() => null, (e) => message(e));
  const late = new Promise<string>((r) => {
    timer = setTimeout(() => r(`did not finish within ${ms} ms`), ms);
  });
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  if (result !== null && result.startsWith("did not finish")) {
    await cancel();
    await settled;
  }
  return result;
}

async function pool<T, R>(
  items: readonly T[],
  n: number,
  f: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

function rss(): number {
  return Deno.memoryUsage().rss;
}

function rssSampler(): { stop(): { base: number; peak: number } } {
  const base = rss();
  let peak = base;
  const timer = setInterval(() => peak = Math.max(peak, rss()), 20);
  return {
    stop() {
      clearInterval(timer);
      return { base, peak: Math.max(peak, rss()) };
    },
  };
}

function report(results: readonly CaseResult[], before: number): string {
  const lines = [`hostile cases (RSS before: ${mb(before)} MiB, after: ${mb(rss())} MiB):`];
  for (const r of results) {
    const mark = r.verdict.failures.length === 0 ? "PASS" : "FAIL";
    const grew = mb(r.rss.peak - r.rss.base);
    lines.push(
      `  ${mark} ${r.name}\n       rss +${grew} MiB (peak ${mb(r.rss.peak)}); ${r.verdict.outcome}`,
    );
    for (const f of r.verdict.failures) lines.push(`       - ${f}`);
  }
  return lines.join("\n");
}

function mb(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
