/**
 * A fixed ring of numbers: push is O(1) and allocates nothing.
 * @module
 */

/**
 * Keeps the last `capacity` numbers pushed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NumberRing } from "./number_ring.ts";
 *
 * const ring = new NumberRing(2);
 * ring.push(1);
 * ring.push(2);
 * ring.push(3);
 * assert.equal(ring.oldest(), 2);
 * assert.equal(ring.newest(), 3);
 * assert.equal(ring.size, 2);
 * ```
 */
export class NumberRing {
  /** Where the numbers are: `#capacity` of them from `#base` (the array may be shared). */
  readonly #values: Float64Array;
  readonly #base: number;
  readonly #capacity: number;
  #next = 0;
  #size = 0;

  /**
   * Makes an empty ring of `capacity` (at least 1) numbers, in its own array or in `store`
   * from `offset` (one array for several rings: each array costs a heap object and a buffer).
   */
  constructor(capacity: number, store?: Float64Array, offset = 0) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Ring capacity must be a whole number >= 1: got ${capacity}`);
    }
    if (store !== undefined && !(offset >= 0 && offset + capacity <= store.length)) {
      throw new RangeError(
        `Ring of ${capacity} at ${offset} is outside its store (${store.length})`,
      );
    }
    this.#values = store ?? new Float64Array(capacity);
    this.#base = store === undefined ? 0 : offset;
    this.#capacity = capacity;
  }

  /** How many numbers it holds. */
  get size(): number {
    return this.#size;
  }

  /** Adds `value`, dropping the oldest when full. */
  push(value: number): void {
    this.#values[this.#base + this.#next] = value;
    if (++this.#next === this.#capacity) this.#next = 0;
    if (this.#size < this.#capacity) this.#size++;
  }

  /** The oldest number held (NaN when empty). */
  oldest(): number {
    const values = this.#values;
    if (this.#size < this.#capacity) return this.#size === 0 ? NaN : values[this.#base]!;
    return values[this.#base + this.#next]!;
  }

  /** The newest number held (NaN when empty). */
  newest(): number {
    if (this.#size === 0) return NaN;
    return this.#values[this.#base + (this.#next === 0 ? this.#capacity : this.#next) - 1]!;
  }

  /** Mean and standard deviation of what it holds (NaN when empty). */
  stats(): { mean: number; stddev: number } {
    if (this.#size === 0) return { mean: NaN, stddev: NaN };
    let sum = 0;
    for (let i = 0; i < this.#size; i++) sum += this.#at(i);
    const mean = sum / this.#size;
    let sq = 0;
    for (let i = 0; i < this.#size; i++) sq += (this.#at(i) - mean) ** 2;
    return { mean, stddev: Math.sqrt(sq / this.#size) };
  }

  /** Forgets everything. */
  clear(): void {
    this.#next = 0;
    this.#size = 0;
  }

  /** The i-th held number, oldest first. */
  #at(i: number): number {
    const start = this.#next - this.#size + this.#capacity;
    return this.#values[this.#base + (start + i) % this.#capacity]!;
  }
}
