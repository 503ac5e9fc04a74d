/**
 * Turns a stream's figures into a status and reasons in words.
 * @module
 */

import type { StreamHealth } from "./stream_health.ts";
import type { HealthThresholds } from "./thresholds.ts";

/** The figures {@linkcode judgeHealth} reads, plus when the last irregularities happened. */
export interface HealthFacts {
  readonly figures: Omit<StreamHealth, "status" | "reasons">;
  /** Wall time now and of the last jump or backward step, and the last gap (ms). */
  readonly now: number;
  readonly lastIrregularAt: number;
  readonly lastGapAt: number;
  readonly lastGapMs: number;
  /** Wall time since the last frame of either track, or since the publish began (ms). */
  readonly quietMs: number;
  /** The track `behindMs` and `speed` are of. */
  readonly mainTrack: "video" | "audio";
}

/**
 * The status and reasons for `facts` under `t`; bad reasons come first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { judgeHealth } from "./judge.ts";
 * import { DEFAULT_HEALTH_THRESHOLDS } from "./thresholds.ts";
 * import { emptyFigures } from "./health_tracker.ts";
 *
 * const figures = { ...emptyFigures(), keyframeIntervalSeconds: 8 };
 * const facts = { figures, now: 0, lastIrregularAt: -Infinity, lastGapAt: -Infinity, lastGapMs: 0, quietMs: 0, mainTrack: "video" as const };
 * const verdict = judgeHealth(facts, DEFAULT_HEALTH_THRESHOLDS);
 * assert.equal(verdict.status, "warning");
 * assert.deepEqual(verdict.reasons, ["keyframe interval 8.0 s (> 4 s)"]);
 * ```
 */
export function judgeHealth(
  facts: HealthFacts,
  t: HealthThresholds,
): Pick<StreamHealth, "status" | "reasons"> {
  const bad: string[] = [];
  const warn: string[] = [];
  const f = facts.figures;
  const v = f.videoSilentMs;
  const a = f.audioSilentMs;
  if (facts.quietMs > t.stoppedMs) {
    bad.push(`no media for ${s(facts.quietMs)}`);
  } else if (v !== null && a !== null && v > t.stoppedMs) {
    bad.push(`video stopped ${s(v)} ago while audio goes on`);
  } else if (v !== null && a !== null && a > t.stoppedMs) {
    bad.push(`audio stopped ${s(a)} ago while video goes on`);
  }
  const k = f.keyframeIntervalSeconds;
  if (k !== null) {
    const ms = k * 1000;
    if (ms > t.keyframeBadMs) {
      bad.push(`keyframe interval ${k.toFixed(1)} s (> ${s0(t.keyframeBadMs)})`);
    } else if (ms > t.keyframeWarnMs) {
      warn.push(`keyframe interval ${k.toFixed(1)} s (> ${s0(t.keyframeWarnMs)})`);
    }
  }
  const behind = `${facts.mainTrack} behind real time by ${s(f.behindMs)}`;
  if (f.behindMs > t.behindBadMs) bad.push(behind);
  else if (f.behindMs > t.behindWarnMs) warn.push(behind);
  if (f.speed !== null && f.speed > 1.2) {
    warn.push(`${facts.mainTrack} ahead of real time (${f.speed.toFixed(1)}x speed)`);
  }
  const d = f.avDriftMs;
  if (d !== null) {
    const drift = `audio/video timestamps ${Math.round(Math.abs(d))} ms apart`;
    if (Math.abs(d) > t.driftBadMs) bad.push(drift);
    else if (Math.abs(d) > t.driftWarnMs) warn.push(drift);
  }
  const o = f.avStartOffsetMs;
  if (o !== null) {
    const start = `audio timestamps start ${s(Math.abs(o))} ${o > 0 ? "after" : "before"} video`;
    if (Math.abs(o) > t.driftBadMs) bad.push(start);
    else if (Math.abs(o) > t.driftWarnMs) warn.push(start);
  }
  const recent = facts.now - t.recentMs;
  if (facts.lastIrregularAt > recent) {
    warn.push(
      `timestamps stepped back ${f.backwardSteps} times (largest ${f.largestBackwardMs} ms), ` +
        `jumped ${f.timestampJumps} times (largest ${f.largestJumpMs} ms)`,
    );
  }
  if (facts.lastGapAt > recent && facts.lastGapMs > t.gapWarnMs) {
    warn.push(`${facts.mainTrack} gap of ${s(facts.lastGapMs)}`);
  }
  if (f.fps !== null && f.metadataFps !== null) {
    const off = Math.abs(f.fps - f.metadataFps) / f.metadataFps * 100;
    if (off > t.fpsTolerancePercent) {
      warn.push(`fps ${f.fps.toFixed(1)} vs ${f.metadataFps} in metadata`);
    }
  }
  const reasons = [...bad, ...warn];
  return { status: bad.length > 0 ? "bad" : warn.length > 0 ? "warning" : "good", reasons };
}

/** Milliseconds as seconds with one decimal. */
function s(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A threshold in whole seconds when it is one. */
function s0(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : s(ms);
}
