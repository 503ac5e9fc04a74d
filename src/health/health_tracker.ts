/**
 * The health of one publish, fed frame by frame from the publish path: O(1) per frame and no
 * allocation; the figures and the verdict are made only when asked.
 * @module
 */

import type { Clock } from "../clock.ts";
import { judgeHealth } from "./judge.ts";
import { NumberRing } from "./number_ring.ts";
import { RateWindow } from "./rate_window.ts";
import type { StreamHealth } from "./stream_health.ts";
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from "./thresholds.ts";
import { TrackClock, tsDelta } from "./track_clock.ts";

/** GOP lengths kept for their variation. */
const GOPS = 8;
/** The byte-rate window (the longest bitrate reported). */
const RATE_WINDOW_MS = 10_000;
/** Weight of a new A/V drift sample in the running average. */
const DRIFT_WEIGHT = 1 / 8;

/**
 * A health object with no figures yet (status `good`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyFigures } from "./health_tracker.ts";
 *
 * assert.equal(emptyFigures().fps, null);
 * ```
 */
export function emptyFigures(): StreamHealth {
  return {
    status: "good",
    reasons: [],
    bitrate1s: 0,
    bitrate10s: 0,
    fps: null,
    metadataFps: null,
    gopFrames: null,
    gopSeconds: null,
    gopVariationSeconds: null,
    keyframeIntervalSeconds: null,
    avDriftMs: null,
    avStartOffsetMs: null,
    timestampJumps: 0,
    largestJumpMs: 0,
    backwardSteps: 0,
    largestBackwardMs: 0,
    gaps: 0,
    longestGapMs: 0,
    jitterMs: 0,
    behindMs: 0,
    speed: null,
    videoSilentMs: null,
    audioSilentMs: null,
  };
}

/** Options for {@linkcode HealthTracker}. */
export interface HealthTrackerOptions {
  /** Wall time; the publish starts at its now. */
  readonly clock: Clock;
  /** Levels of `warning` and `bad` (default {@linkcode DEFAULT_HEALTH_THRESHOLDS}). */
  readonly thresholds?: HealthThresholds;
}

/**
 * Keeps one publish's timing: feed it every coded frame, ask it for {@linkcode report}.
 *
 * @example A steady 25 fps stream with a keyframe every 2 s is good
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../clock.ts";
 * import { HealthTracker } from "./health_tracker.ts";
 *
 * const clock = new FakeClock(0);
 * const health = new HealthTracker({ clock });
 * for (let i = 0; i < 250; i++) {
 *   health.video(i * 40, 5_000, i % 50 === 0);
 *   clock.advance(40);
 * }
 * const report = health.report();
 * assert.equal(report.status, "good");
 * assert.equal(report.fps, 25);
 * assert.equal(report.gopFrames, 50);
 * ```
 */
export class HealthTracker {
  readonly #clock: Clock;
  readonly #t: HealthThresholds;
  readonly #startedAt: number;
  readonly #video: TrackClock;
  readonly #audio: TrackClock;
  readonly #rate: RateWindow;
  readonly #gops: NumberRing;
  #metadataFps: number | null = null;
  #lastKeyTs = 0;
  #lastKeyFrame = -1;
  #gopFrames: number | null = null;
  #gopMs: number | null = null;
  #drift: number | null = null;
  #firstVideoTs = 0;
  #firstAudioTs = 0;

  /** Starts tracking a publish that begins now. */
  constructor(options: HealthTrackerOptions) {
    this.#clock = options.clock;
    this.#t = options.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;
    this.#startedAt = options.clock.now();
    // Every figure's numbers in one array: one heap object and one buffer instead of nine.
    const rateFloats = RateWindow.floats(RATE_WINDOW_MS);
    const v = new Float64Array(2 * TrackClock.FLOATS + rateFloats + GOPS);
    this.#video = new TrackClock(this.#t, v, 0);
    this.#audio = new TrackClock(this.#t, v, TrackClock.FLOATS);
    this.#rate = new RateWindow(RATE_WINDOW_MS, this.#startedAt, v, 2 * TrackClock.FLOATS);
    this.#gops = new NumberRing(GOPS, v, 2 * TrackClock.FLOATS + rateFloats);
  }

  /** The frame rate the metadata announced. */
  metadataFps(fps: number): void {
    this.#metadataFps = fps;
  }

  /** Takes one coded video frame (not a sequence header) of `bytes` bytes that arrived at `now`. */
  video(ts: number, bytes: number, keyframe: boolean, now: number = this.#clock.now()): void {
    const v = this.#video;
    if (v.frames === 0) this.#firstVideoTs = ts;
    v.add(ts, now);
    this.#rate.add(now, bytes);
    if (keyframe) {
      if (this.#lastKeyFrame >= 0) {
        const ms = tsDelta(this.#lastKeyTs, ts);
        if (ms > 0) {
          this.#gopMs = ms;
          this.#gopFrames = v.frames - this.#lastKeyFrame;
          this.#gops.push(ms);
        }
      }
      this.#lastKeyTs = ts;
      this.#lastKeyFrame = v.frames;
    } else if (this.#lastKeyFrame < 0 && v.frames === 1) {
      this.#lastKeyTs = ts; // the open GOP runs from the first frame until a keyframe
    }
    if (this.#audio.frames > 0) {
      const sample = tsDelta(ts, this.#audio.lastTs);
      this.#drift = this.#drift === null
        ? sample
        : this.#drift + (sample - this.#drift) * DRIFT_WEIGHT;
    }
  }

  /** Takes one coded audio frame (not a sequence header) of `bytes` bytes that arrived at `now`. */
  audio(ts: number, bytes: number, now: number = this.#clock.now()): void {
    if (this.#audio.frames === 0) this.#firstAudioTs = ts;
    this.#audio.add(ts, now);
    this.#rate.add(now, bytes);
  }

  /** The figures and verdict at `now` (default: the clock's now). */
  report(now: number = this.#clock.now()): StreamHealth {
    const v = this.#video;
    const a = this.#audio;
    const main = v.frames > 0 || a.frames === 0 ? v : a;
    const gops = this.#gops.stats();
    const openGopMs = v.frames > 0 ? tsDelta(this.#lastKeyTs, v.lastTs) : null;
    const keyMs = openGopMs === null ? null : Math.max(openGopMs, this.#gopMs ?? 0);
    const fps = v.fps();
    const speed = main.speed();
    // A silence still going on counts as a gap once it is one.
    const silence = now - main.lastArrival;
    const interval = main.intervalMs();
    const ongoing = interval !== null && silence > 2 * interval ? silence : 0;
    const figures = {
      bitrate1s: this.#rate.bitsPerSecond(now, 1_000),
      bitrate10s: this.#rate.bitsPerSecond(now, 10_000),
      fps: fps === null ? null : round(fps, 2),
      metadataFps: this.#metadataFps,
      gopFrames: this.#gopFrames,
      gopSeconds: this.#gopMs === null ? null : this.#gopMs / 1000,
      gopVariationSeconds: this.#gops.size < 2 ? null : round(gops.stddev / 1000, 3),
      keyframeIntervalSeconds: keyMs === null ? null : keyMs / 1000,
      avDriftMs: this.#drift === null ? null : Math.round(this.#drift),
      avStartOffsetMs: v.frames > 0 && a.frames > 0
        ? tsDelta(this.#firstVideoTs, this.#firstAudioTs)
        : null,
      timestampJumps: v.jumps + a.jumps,
      largestJumpMs: Math.max(v.largestJumpMs, a.largestJumpMs),
      backwardSteps: v.backwardSteps + a.backwardSteps,
      largestBackwardMs: Math.max(v.largestBackwardMs, a.largestBackwardMs),
      gaps: main.gaps + (ongoing > 0 ? 1 : 0),
      longestGapMs: Math.round(Math.max(main.longestGapMs, ongoing)),
      jitterMs: round(main.jitterMs, 1),
      behindMs: Math.round(main.behindMs()),
      speed: speed === null ? null : round(speed, 2),
      videoSilentMs: v.frames === 0 ? null : Math.max(0, now - v.lastArrival),
      audioSilentMs: a.frames === 0 ? null : Math.max(0, now - a.lastArrival),
    };
    const lastFrame = Math.max(v.lastArrival, a.lastArrival, this.#startedAt);
    const verdict = judgeHealth({
      figures,
      now,
      lastIrregularAt: Math.max(v.lastIrregularAt, a.lastIrregularAt),
      lastGapAt: main.lastGapAt,
      lastGapMs: main.lastGapMs,
      quietMs: Math.max(0, now - lastFrame),
      mainTrack: main === v ? "video" : "audio",
    }, this.#t);
    return { ...verdict, ...figures };
  }
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
