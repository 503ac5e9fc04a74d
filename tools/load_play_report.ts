/**
 * The player mode's report: per player frames received against frames due, and the run's
 * delivery lag and play → first keyframe percentiles.
 * @module
 */

import type { LagHistogram } from "./lag_histogram.ts";
import type { LoadPlayer } from "./load_player.ts";
import { type LoadReport, percentile } from "./load_run.ts";
import type { SendLog } from "./load_send_log.ts";

/** One player's result. */
export interface PlayerSummary {
  readonly video: number;
  readonly audio: number;
  /** Frames sent on its stream from the first it received, per track; null without a log. */
  readonly due: number | null;
  readonly bytes: number;
  readonly firstKeyMs: number | null;
  readonly error: string | null;
}

/** What the player mode measured. */
export interface PlayReport {
  readonly mode: "play";
  /** The publishers' report when they ran in this process. */
  readonly publish: LoadReport | null;
  readonly players: number;
  /** Players that started playing without an error. */
  readonly started: number;
  /** Frames received over frames due, per player, in %: lowest and median. */
  readonly deliveredMinPercent: number | null;
  readonly deliveredMedianPercent: number | null;
  /** Players that received exactly the frames due. */
  readonly complete: number;
  readonly framesReceived: number;
  readonly framesDue: number | null;
  /** Arrival − the publisher's write time, over every frame written after the player's play. */
  readonly lagSamples: number;
  readonly lagP50Ms: number | null;
  readonly lagP99Ms: number | null;
  readonly lagMaxMs: number | null;
  /** Frames whose timestamp the publisher never sent (a server that rewrites timestamps). */
  readonly unmatched: number;
  readonly firstKeyP50Ms: number | null;
  readonly firstKeyP99Ms: number | null;
  /** Bytes the players read, in all and within the playing window. */
  readonly bytes: number;
  readonly windowBytes: number;
  readonly windowSeconds: number;
  /** This process's CPU over the window; 100 = one core. */
  readonly toolCpuPercent: number | null;
  /** How late this process's event loop ran a 10 ms timer over the window: p99 and max. */
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
  readonly errors: readonly string[];
  readonly perPlayer: readonly PlayerSummary[];
}

/** The playing window's figures. */
export interface WindowResult {
  readonly seconds: number;
  readonly bytes: number;
  readonly toolCpuPercent: number | null;
  /** The loader's event loop delay over the window. */
  readonly delay: LagHistogram;
}

/** Builds the report from the closed players. */
export function playReport(run: {
  players: readonly LoadPlayer[];
  logs: readonly SendLog[];
  lag: LagHistogram;
  publish: LoadReport | null;
  window: WindowResult;
}): PlayReport {
  const perPlayer = run.players.map((p, j) => summarize(p, run.logs[j % run.logs.length] ?? null));
  const ok = perPlayer.filter((p) => p.error === null);
  const shares = ok.flatMap((p) =>
    p.due === null ? [] : [p.due === 0 ? 100 : (100 * (p.video + p.audio)) / p.due]
  ).sort((a, b) => a - b);
  const keys = ok.flatMap((p) => p.firstKeyMs === null ? [] : [p.firstKeyMs]).sort((a, b) => a - b);
  const dues = perPlayer.flatMap((p) => p.due === null ? [] : [p.due]);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    mode: "play",
    publish: run.publish,
    players: run.players.length,
    started: ok.length,
    deliveredMinPercent: shares.length === 0 ? null : round(shares[0]!),
    deliveredMedianPercent: percentile(shares, 0.5),
    complete: ok.filter((p) => p.due !== null && p.video + p.audio === p.due).length,
    framesReceived: sum(perPlayer.map((p) => p.video + p.audio)),
    framesDue: run.logs.length === 0 ? null : sum(dues),
    lagSamples: run.lag.count,
    lagP50Ms: run.lag.percentile(0.5),
    lagP99Ms: run.lag.percentile(0.99),
    lagMaxMs: run.lag.max === null ? null : round(run.lag.max),
    unmatched: sum(run.players.map((p) => p.unmatched)),
    firstKeyP50Ms: percentile(keys, 0.5),
    firstKeyP99Ms: percentile(keys, 0.99),
    bytes: sum(perPlayer.map((p) => p.bytes)),
    windowBytes: run.window.bytes,
    windowSeconds: round(run.window.seconds),
    toolCpuPercent: run.window.toolCpuPercent === null ? null : round(run.window.toolCpuPercent),
    loopDelayP99Ms: run.window.delay.percentile(0.99),
    loopDelayMaxMs: run.window.delay.max === null ? null : round(run.window.delay.max),
    errors: perPlayer.flatMap((p, j) => p.error === null ? [] : [`player ${j + 1}: ${p.error}`]),
    perPlayer,
  };
}

function summarize(p: LoadPlayer, log: SendLog | null): PlayerSummary {
  let due: number | null = null;
  if (log !== null) {
    due = 0;
    for (const t of [0, 1] as const) {
      const first = p.firstTs[t]!;
      due += Number.isNaN(first) ? log.framesSentSince(t, p.playAtMs) : log.framesFrom(t, first);
    }
  }
  return {
    video: p.video,
    audio: p.audio,
    due,
    bytes: p.bytes,
    firstKeyMs: p.firstKeyMs === null ? null : round(p.firstKeyMs),
    error: p.error,
  };
}

/** Formats a report as lines of text. */
export function formatPlayReport(r: PlayReport): string {
  const ms = (x: number | null) => x === null ? "n/a" : `${x.toFixed(1)} ms`;
  const pct = (x: number | null) => x === null ? "n/a" : `${x.toFixed(2)}%`;
  const p = r.publish;
  const lines = [
    ...(p === null ? [] : [
      `Publishers: ${p.connected}/${p.publishers.length}, ${p.video + p.audio} frames, ` +
      `${p.mbPerSecond.toFixed(2)} MB/s, errors ${p.errors.length}`,
    ]),
    `Players: ${r.started}/${r.players} started, ${r.complete} with 100% of frames due`,
    `Delivered: min ${pct(r.deliveredMinPercent)}, median ${pct(r.deliveredMedianPercent)} ` +
    `(${r.framesReceived} of ${r.framesDue ?? "n/a"} frames due)`,
    `Delivery lag: p50 ${ms(r.lagP50Ms)}, p99 ${ms(r.lagP99Ms)}, max ${ms(r.lagMaxMs)} ` +
    `(${r.lagSamples} frames, ${r.unmatched} unmatched)`,
    `Play → first keyframe: p50 ${ms(r.firstKeyP50Ms)}, p99 ${ms(r.firstKeyP99Ms)}`,
    `Received: ${(r.bytes / 1e6).toFixed(1)} MB; ${(r.windowBytes / 1e6).toFixed(1)} MB in the ` +
    `${r.windowSeconds.toFixed(1)} s window = ${
      (r.windowBytes / 1e6 / Math.max(r.windowSeconds, 1e-9)).toFixed(1)
    } MB/s`,
    `Tool CPU: ${r.toolCpuPercent === null ? "n/a" : `${r.toolCpuPercent.toFixed(0)}%`}; ` +
    `its event loop delay p99 ${ms(r.loopDelayP99Ms)}, max ${ms(r.loopDelayMaxMs)}`,
    `Errors: ${r.errors.length}${
      r.errors.length ? "\n  " + r.errors.slice(0, 10).join("\n  ") : ""
    }`,
  ];
  return lines.join("\n");
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
