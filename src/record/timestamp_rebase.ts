/**
 * RTMP timestamps (ms mod 2^32) turned into a timeline that starts at 0 and keeps counting
 * past a wrap: what an FLV output writes. Shared by the recording and the HTTP-FLV player.
 * @module
 */

/**
 * Unwraps RTMP timestamps by adding signed 32-bit deltas (unsigned subtraction, read as
 * signed), so a wrap past 2^32 keeps counting up and a timestamp slightly older than the one
 * before (audio/video interleave) steps back a little. The first timestamp is 0; the timeline
 * never goes below 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimestampRebase } from "./timestamp_rebase.ts";
 *
 * const t = new TimestampRebase();
 * assert.equal(t.rebase(0xffffff00), 0);
 * assert.equal(t.rebase(0x40), 0x140); // wrapped past 2^32, still counting up
 * assert.equal(t.maxTime, 0x140);
 * ```
 */
export class TimestampRebase {
  #started = false;
  #lastRaw = 0;
  #time = 0;
  #maxTime = 0;

  /** Whether a first timestamp was given. */
  get started(): boolean {
    return this.#started;
  }

  /** The highest rebased time given out so far, in ms. */
  get maxTime(): number {
    return this.#maxTime;
  }

  /** The time of `raw` (an RTMP timestamp) on the timeline, in ms (not wrapped). */
  rebase(raw: number): number {
    if (!this.#started) {
      this.#started = true;
      this.#lastRaw = raw;
      return 0;
    }
    this.#time += (raw - this.#lastRaw) | 0;
    this.#lastRaw = raw;
    const time = Math.max(0, this.#time);
    this.#maxTime = Math.max(this.#maxTime, time);
    return time;
  }
}
