/**
 * One track's timestamps (audio or video) against their arrival times: rate, jitter, how far
 * behind real time, timestamp jumps and gaps. O(1) per frame, no allocation.
 * @module
 */

import { NumberRing } from "./number_ring.ts";

/** Frames kept for the measured frame rate. */
const FPS_FRAMES = 64;
/** Samples of (arrival, media time) kept for the speed, one a second. */
const SPEED_SAMPLES = 11;
/**
 * How fast a lag that holds still is forgotten, in ms per ms of wall time: a sender that burst
 * ahead at its start (a relay's GOP cache) is not "behind" for good; one falling behind by more
 * than 1 % of real time still shows.
 */
const BEHIND_FORGET = 0.01;

/**
 * The signed difference `b - a` of two 32-bit RTMP timestamps (which wrap).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tsDelta } from "./track_clock.ts";
 *
 * assert.equal(tsDelta(0xffff_fff0, 0x10), 0x20);
 * assert.equal(tsDelta(100, 40), -60);
 * ```
 */
export function tsDelta(a: number, b: number): number {
  return (b - a) | 0;
}

/** What counts as a timestamp jump, for {@linkcode TrackClock.add}. */
export interface TrackLimits {
  /** A step forward larger than this (ms) is a jump. */
  readonly jumpMs: number;
}

/** The timing of one track. Read its fields; only {@linkcode add} changes them. */
export class TrackClock {
  /** Numbers a track's rings keep (for a shared store). */
  static readonly FLOATS = FPS_FRAMES + 2 * SPEED_SAMPLES;

  /** Frames seen. */
  frames = 0;
  /** The last frame's RTMP timestamp (ms, 32-bit). */
  lastTs = 0;
  /** Wall time of the last frame (ms), -Infinity before one. */
  lastArrival = -Infinity;
  /** The media clock without wraps, jumps or backward steps (ms). */
  mediaMs = 0;
  /** The last frame's arrival minus its media time. */
  offsetMs = 0;
  /** The least arrival-minus-media offset seen (the frame that came soonest), slowly forgotten. */
  minOffsetMs = Infinity;
  /** Interarrival jitter (RFC 3550's running estimate, ms). */
  jitterMs = 0;
  /** Forward steps above the jump limit, and the largest. */
  jumps = 0;
  largestJumpMs = 0;
  /** Steps back in time, and the largest (as a positive ms). */
  backwardSteps = 0;
  largestBackwardMs = 0;
  /** Wall time of the last jump or backward step. */
  lastIrregularAt = -Infinity;
  /** Arrival gaps above two frame intervals, the longest, and when the last one ended. */
  gaps = 0;
  longestGapMs = 0;
  lastGapMs = 0;
  lastGapAt = -Infinity;
  readonly #limits: TrackLimits;
  readonly #media: NumberRing;
  readonly #speedArrival: NumberRing;
  readonly #speedMedia: NumberRing;
  #speedSampleAt = -Infinity;

  /**
   * A track with no frames yet; its rings in one array of their own, or in `store` from
   * `offset` ({@linkcode TrackClock.FLOATS} numbers).
   */
  constructor(limits: TrackLimits, store?: Float64Array, offset = 0) {
    this.#limits = limits;
    const v = store ?? new Float64Array(TrackClock.FLOATS);
    const at = store === undefined ? 0 : offset;
    this.#media = new NumberRing(FPS_FRAMES, v, at);
    this.#speedArrival = new NumberRing(SPEED_SAMPLES, v, at + FPS_FRAMES);
    this.#speedMedia = new NumberRing(SPEED_SAMPLES, v, at + FPS_FRAMES + SPEED_SAMPLES);
  }

  /** Takes one frame with RTMP timestamp `ts` that arrived at wall time `arrival` (ms). */
  add(ts: number, arrival: number): void {
    if (this.frames > 0) {
      this.#step(ts, arrival);
      this.minOffsetMs += Math.max(0, arrival - this.lastArrival) * BEHIND_FORGET;
    }
    this.frames++;
    this.lastTs = ts;
    this.lastArrival = arrival;
    this.offsetMs = arrival - this.mediaMs;
    if (this.offsetMs < this.minOffsetMs) this.minOffsetMs = this.offsetMs;
    this.#media.push(this.mediaMs);
    if (!(arrival - this.#speedSampleAt < 1000)) {
      this.#speedSampleAt = arrival;
      this.#speedArrival.push(arrival);
      this.#speedMedia.push(this.mediaMs);
    }
  }

  /** The average frame interval over the last frames (ms), or null before two. */
  intervalMs(): number | null {
    const n = this.#media.size;
    const span = this.#media.newest() - this.#media.oldest();
    return n < 2 || !(span > 0) ? null : span / (n - 1);
  }

  /** Frames per second over the last frames' timestamps, or null before two. */
  fps(): number | null {
    const interval = this.intervalMs();
    return interval === null ? null : 1000 / interval;
  }

  /** Media time per wall time over the last 10 s (1 is real time), or null before 2 s. */
  speed(): number | null {
    const wall = this.lastArrival - this.#speedArrival.oldest();
    if (!(wall >= 2000)) return null;
    return (this.mediaMs - this.#speedMedia.oldest()) / wall;
  }

  /** How much later than the soonest frame's pace the last frame came (ms). */
  behindMs(): number {
    return this.frames === 0 ? 0 : this.offsetMs - this.minOffsetMs;
  }

  #step(ts: number, arrival: number): void {
    const delta = tsDelta(this.lastTs, ts);
    const wall = arrival - this.lastArrival;
    // Frames of one read share its arrival (wall 0): only a later read can open a gap.
    const interval = wall > 0 ? this.intervalMs() : null;
    if (interval !== null && wall > 2 * interval) {
      this.gaps++;
      this.lastGapMs = wall;
      this.lastGapAt = arrival;
      if (wall > this.longestGapMs) this.longestGapMs = wall;
    }
    if (delta < 0) {
      this.backwardSteps++;
      this.lastIrregularAt = arrival;
      if (-delta > this.largestBackwardMs) this.largestBackwardMs = -delta;
      return; // the media clock holds still
    }
    if (delta > this.#limits.jumpMs) {
      this.jumps++;
      this.lastIrregularAt = arrival;
      if (delta > this.largestJumpMs) this.largestJumpMs = delta;
      // Carry on from where real time says the clock should be.
      this.mediaMs += Math.max(0, wall);
      return;
    }
    this.mediaMs += delta;
    // RFC 3550 A.8: J += (|D| - J) / 16, D the change in transit time.
    this.jitterMs += (Math.abs(wall - delta) - this.jitterMs) / 16;
  }
}
