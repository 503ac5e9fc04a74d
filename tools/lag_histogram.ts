/**
 * A fixed-size latency histogram: 0.1 ms buckets up to 10 s, one overflow bucket, the exact
 * maximum. Adding a sample allocates nothing, so one histogram can take every frame of 500
 * players.
 * @module
 */

const BUCKET_MS = 0.1;
const BUCKETS = 100_000;

/** Counts latency samples in milliseconds. */
export class LagHistogram {
  #counts = new Uint32Array(BUCKETS + 1);
  #n = 0;
  #max = 0;

  /** Adds one sample (negative values count as 0). */
  add(ms: number): void {
    const i = Math.min(BUCKETS, Math.max(0, Math.floor(ms / BUCKET_MS)));
    this.#counts[i]!++;
    this.#n++;
    if (ms > this.#max) this.#max = ms;
  }

  /** Samples added. */
  get count(): number {
    return this.#n;
  }

  /** The largest sample; null when empty. */
  get max(): number | null {
    return this.#n === 0 ? null : this.#max;
  }

  /**
   * Nearest-rank percentile, as the upper edge of its bucket (capped at the maximum); null
   * when empty.
   *
   * @example
   * ```ts
   * import { LagHistogram } from "./lag_histogram.ts";
   * const h = new LagHistogram();
   * for (const ms of [1, 2, 3, 40]) h.add(ms);
   * console.assert(h.percentile(0.5) === 2.1);
   * ```
   */
  percentile(q: number): number | null {
    if (this.#n === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#n));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen < rank) continue;
      // The overflow bucket's only known value is the maximum.
      return i === BUCKETS
        ? this.#max
        : Math.round(Math.min(this.#max, (i + 1) * BUCKET_MS) * 100) / 100;
    }
    return this.#max;
  }
}
