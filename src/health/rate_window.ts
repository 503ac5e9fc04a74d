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
  readonly #slots: Float64Array;
  readonly #bytes: Float64Array;
  readonly #startedAt: number;
  /** The bucket being filled: its index and the wall time it ends. */
  #index = 0;
  #endsAt = -Infinity;

  /** A window of `lengthMs` (whole 100 ms buckets) whose age starts at `startedAt` (ms). */
  constructor(lengthMs: number, startedAt: number) {
    // One more bucket than the window: the one still filling.
    const n = Math.max(1, Math.ceil(lengthMs / BUCKET_MS)) + 1;
    this.#slots = new Float64Array(n).fill(-1);
    this.#bytes = new Float64Array(n);
    this.#startedAt = startedAt;
  }

  /** Counts `bytes` as arrived at `now` (ms). */
  add(now: number, bytes: number): void {
    if (now >= this.#endsAt || now < this.#endsAt - BUCKET_MS) this.#turn(now);
    this.#bytes[this.#index]! += bytes;
  }

  /** Moves to the bucket of `now`, emptying it when it held an older slot. */
  #turn(now: number): void {
    const slot = Math.floor(now / BUCKET_MS);
    const i = slot % this.#slots.length;
    if (this.#slots[i] !== slot) {
      this.#slots[i] = slot;
      this.#bytes[i] = 0;
    }
    this.#index = i;
    this.#endsAt = (slot + 1) * BUCKET_MS;
  }

  /** Bits per second over the last `windowMs` before `now` (over the age when younger). */
  bitsPerSecond(now: number, windowMs: number): number {
    const buckets = Math.min(this.#slots.length - 1, Math.max(1, Math.round(windowMs / BUCKET_MS)));
    const nowSlot = Math.floor(now / BUCKET_MS);
    const oldest = nowSlot - buckets;
    let bytes = 0;
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i]!;
      if (slot >= oldest && slot < nowSlot) bytes += this.#bytes[i]!;
    }
    // Whole buckets before the current one: the current one is still filling.
    const span = Math.min(buckets * BUCKET_MS, nowSlot * BUCKET_MS - this.#startedAt);
    if (!(span > 0)) return 0;
    return Math.round(bytes * 8 * 1000 / span);
  }
}
