/**
 * What one load publisher sent and when: per track, each frame's RTMP timestamp and the wall
 * time (performance.now) its write was issued, in sending order. Players look their frames up
 * here to measure delivery lag and to know how many frames were due to them.
 * @module
 */

import type { Segment } from "./load_stream.ts";

/** A track: 0 video, 1 audio. */
export type Track = 0 | 1;

/** The two tracks' frame logs of one publisher. */
export class SendLog {
  #tracks = [new TrackLog(), new TrackLog()] as const;

  /** Records messages `from..to-1` of `seg`, pass `pass` (timestamps + pass × periodMs), at `atMs`. */
  sent(
    opts: { seg: Segment; pass: number; periodMs: number; from: number; to: number },
    atMs: number,
  ): void {
    const { seg, from, to } = opts;
    const shift = opts.pass * opts.periodMs;
    for (let k = from; k < to; k++) {
      const ts = (seg.times[k]! + shift) >>> 0;
      if (seg.videoBefore[k + 1] !== seg.videoBefore[k]) this.#tracks[0].add(ts, atMs);
      else if (seg.audioBefore[k + 1] !== seg.audioBefore[k]) this.#tracks[1].add(ts, atMs);
    }
  }

  /** The wall time frame `ts` of `track` was written at; NaN if it was not sent. */
  sendTime(track: Track, ts: number): number {
    return this.#tracks[track].sendTime(ts);
  }

  /** Frames of `track` sent at timestamp `ts` or later. */
  framesFrom(track: Track, ts: number): number {
    return this.#tracks[track].framesFrom(ts);
  }

  /** Frames of `track` whose write was issued at `ms` or later. */
  framesSentSince(track: Track, ms: number): number {
    return this.#tracks[track].framesSentSince(ms);
  }

  /** Frames of `track` sent so far. */
  count(track: Track): number {
    return this.#tracks[track].count;
  }

  /** Timestamp of the last frame of `track` sent; NaN before the first. */
  lastTimestamp(track: Track): number {
    const t = this.#tracks[track];
    return t.count === 0 ? NaN : t.timestampAt(t.count - 1);
  }
}

/** One track's timestamps and send times, in growing typed arrays (timestamps ascend). */
class TrackLog {
  count = 0;
  #ts: Float64Array<ArrayBuffer> = new Float64Array(1024);
  #at: Float64Array<ArrayBuffer> = new Float64Array(1024);

  add(ts: number, atMs: number): void {
    if (this.count === this.#ts.length) {
      this.#ts = grow(this.#ts);
      this.#at = grow(this.#at);
    }
    this.#ts[this.count] = ts;
    this.#at[this.count] = atMs;
    this.count++;
  }

  timestampAt(i: number): number {
    return this.#ts[i]!;
  }

  sendTime(ts: number): number {
    const i = lowerBound(this.#ts, this.count, ts);
    return i < this.count && this.#ts[i] === ts ? this.#at[i]! : NaN;
  }

  framesFrom(ts: number): number {
    return this.count - lowerBound(this.#ts, this.count, ts);
  }

  framesSentSince(ms: number): number {
    return this.count - lowerBound(this.#at, this.count, ms);
  }
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

/** First index in ascending `a[0..n)` whose value is >= `x`. */
function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
