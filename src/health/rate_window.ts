/**
 * Bytes per wall-clock time over a sliding window, in 100 ms buckets.
 * @module
 */

const BUCKET_MS = 100;

/**
 * Counts bytes into 100 ms buckets and gives bits per second over every window up to its length.
 * {@linkcode add} is O(1) and allocates nothing.
 *
 * @example 1 000 bytes every 100 ms is 80 kbit/s
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateWindow } from "./rate_window.ts";
 *
 * const rate = new RateWindow(10_000, 0);
 * for (let t = 0; t < 5_000; t += 100) rate.add(t, 1_000);
 * assert.equal(rate.bitsPerSecond(5_000, 1_000), 80_000);
 * ```
 */
export class RateWindow {
  /** Numbers a window of `lengthMs` keeps (for a shared `store`). */
  static floats(lengthMs: number): number {
    return 2 * buckets(lengthMs);
  }

  /** Each bucket's slot (wall time / 100 ms) at `#base + i`, its bytes at `#base + #n + i`. */
  readonly #v: Float64Array;
  readonly #base: number;
  readonly #n: number;
  readonly #startedAt: number;
  /** The bucket being filled: its index and the wall time it ends. */
  #index = 0;
  #endsAt = -Infinity;

  /**
   * A window of `lengthMs` (whole 100 ms buckets) whose age starts at `startedAt` (ms), in its
   * own array or in `store` from `offset` ({@linkcode RateWindow.floats} numbers).
   */
  constructor(lengthMs: number, startedAt: number, store?: Float64Array, offset = 0) {
    const n = buckets(lengthMs);
    if (store !== undefined && !(offset >= 0 && offset + 2 * n <= store.length)) {
      throw new RangeError(
        `Window of ${2 * n} at ${offset} is outside its store (${store.length})`,
      );
    }
    this.#v = store ?? new Float64Array(2 * n);
    this.#base = store === undefined ? 0 : offset;
    this.#n = n;
    this.#v.fill(-1, this.#base, this.#base + n);
    this.#v.fill(0, this.#base + n, this.#base + 2 * n);
    this.#startedAt = startedAt;
  }

  /** Counts `bytes` as arrived at `now` (ms). */
  add(now: number, bytes: number): void {
    if (now >= this.#endsAt || now < this.#endsAt - BUCKET_MS) this.#turn(now);
    this.#v[this.#base + this.#n + this.#index]! += bytes;
  }

  /** Moves to the bucket of `now`, emptying it when it held an older slot. */
  #turn(now: number): void {
    const slot = Math.floor(now / BUCKET_MS);
    const i = slot % this.#n;
    const v = this.#v;
    const at = this.#base + i;
    if (v[at] !== slot) {
      v[at] = slot;
      v[at + this.#n] = 0;
    }
    this.#index = i;
    this.#endsAt = (slot + 1) * BUCKET_MS;
  }

  /** Bits per second over the last `windowMs` before `now` (over the age when younger). */
  bitsPerSecond(now: number, windowMs: number): number {
    const n = this.#n;
    const whole = Math.min(n - 1, Math.max(1, Math.round(windowMs / BUCKET_MS)));
    const nowSlot = Math.floor(now / BUCKET_MS);
    const oldest = nowSlot - whole;
    const v = this.#v;
    const base = this.#base;
    let bytes = 0;
    for (let i = base; i < base + n; i++) {
      const slot = v[i]!;
      if (slot >= oldest && slot < nowSlot) bytes += v[i + n]!;
    }
    // Whole buckets before the current one: the current one is still filling.
    const span = Math.min(whole * BUCKET_MS, nowSlot * BUCKET_MS - this.#startedAt);
    if (!(span > 0)) return 0;
    return Math.round(bytes * 8 * 1000 / span);
  }
}

/** Buckets of a window of `lengthMs`: one more than it spans, the one still filling. */
function buckets(lengthMs: number): number {
  return Math.max(1, Math.ceil(lengthMs / BUCKET_MS)) + 1;
}
