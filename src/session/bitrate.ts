/**
 * Incoming bit rate over a short sliding window, from per-second byte buckets.
 * @module
 */

import type { Clock } from "../clock.ts";

/** Options for {@linkcode BitrateMeter}. */
export interface BitrateMeterOptions {
  /** Where time comes from. */
  readonly clock: Clock;
  /** Window length in whole seconds (default 5, at least 1). */
  readonly windowSeconds?: number;
}

/**
 * Counts bytes into one bucket per wall-clock second and reports the rate over the last
 * `windowSeconds`. Memory is fixed at `windowSeconds + 1` buckets; {@linkcode add} is O(1)
 * and allocates nothing.
 *
 * The window `(now - window, now]` covers the newest buckets whole and the oldest one in
 * part, weighted by how much of its second is still inside. Before the meter is a full
 * window old, the rate is over its age instead.
 *
 * @example Steady 1 000 bytes a second is 8 kbit/s
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../clock.ts";
 * import { BitrateMeter } from "./bitrate.ts";
 *
 * const clock = new FakeClock(0);
 * const meter = new BitrateMeter({ clock });
 * for (let i = 0; i < 10; i++) {
 *   meter.add(1_000);
 *   clock.advance(1_000);
 * }
 * assert.equal(meter.kbps(), 8);
 * ```
 */
export class BitrateMeter {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #startedAt: number;
  /** The second (ms / 1000, floored) each bucket holds; -Infinity when empty. */
  readonly #seconds: Float64Array;
  readonly #bytes: Float64Array;
  /** The bucket being filled and the wall time (ms) its second ends. */
  #index = 0;
  #endsAt = -Infinity;

  /** Creates a meter whose age starts now. */
  constructor(opts: BitrateMeterOptions) {
    const windowSeconds = opts.windowSeconds ?? 5;
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
      throw new RangeError(
        `Bitrate window must be a whole number of seconds >= 1: got ${windowSeconds}`,
      );
    }
    this.#clock = opts.clock;
    this.#windowMs = windowSeconds * 1000;
    this.#startedAt = opts.clock.now();
    this.#seconds = new Float64Array(windowSeconds + 1).fill(-Infinity);
    this.#bytes = new Float64Array(windowSeconds + 1);
  }

  /** Counts `n` bytes as received at `now` (default: the clock's now). */
  add(n: number, now: number = this.#clock.now()): void {
    if (now >= this.#endsAt || now < this.#endsAt - 1000) this.#turn(now);
    this.#bytes[this.#index]! += n;
  }

  /** Moves to the bucket of `now`'s second, emptying it when it held an older second. */
  #turn(now: number): void {
    const second = Math.floor(now / 1000);
    const i = bucketIndex(second, this.#seconds.length);
    if (this.#seconds[i] !== second) {
      this.#seconds[i] = second;
      this.#bytes[i] = 0;
    }
    this.#index = i;
    this.#endsAt = (second + 1) * 1000;
  }

  /** The rate over the window ending at `now` (default: the clock's now), in whole kbit/s. */
  kbps(now: number = this.#clock.now()): number {
    const span = Math.min(this.#windowMs, now - this.#startedAt);
    if (!(span > 0)) return 0;
    const nowSecond = Math.floor(now / 1000);
    const windowSeconds = this.#seconds.length - 1;
    const oldest = nowSecond - windowSeconds;
    // The oldest bucket holds bytes from [max(its second, start), its end); count the share
    // of that stretch inside the window, as if the bytes arrived evenly.
    const windowStart = now - this.#windowMs;
    const oldestEnd = (oldest + 1) * 1000;
    const oldestStart = Math.max(oldest * 1000, this.#startedAt);
    const oldestShare = windowStart <= oldestStart
      ? 1
      : Math.max(0, oldestEnd - windowStart) / (oldestEnd - oldestStart);
    let bytes = 0;
    for (let i = 0; i < this.#seconds.length; i++) {
      const second = this.#seconds[i]!;
      if (second > oldest && second <= nowSecond) bytes += this.#bytes[i]!;
      else if (second === oldest) bytes += this.#bytes[i]! * oldestShare;
    }
    // bytes * 8 bits / span ms = kbit/s.
    return Math.round((bytes * 8) / span);
  }
}

function bucketIndex(second: number, length: number): number {
  return ((second % length) + length) % length;
}
