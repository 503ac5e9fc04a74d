/**
 * Shrinks a failing fuzz input: simpler read sizes first, then delta debugging on the bytes
 * (drop ever smaller ranges while the failure persists). Bounded in time and attempts.
 * @module
 */

import type { FuzzInput } from "./differential.ts";

/** Limits for {@linkcode shrinkInput}. */
export interface ShrinkBudget {
  /** Wall-clock budget in milliseconds (default 10 000). */
  readonly ms?: number;
  /** Most inputs tried (default 20 000). */
  readonly attempts?: number;
}

/**
 * Returns the smallest input found for which `fails` still holds (`input` itself if none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shrinkInput } from "./shrink.ts";
 *
 * const input = { bytes: new Uint8Array([1, 2, 3, 9, 4, 5]), reads: [2], limits: {} };
 * const small = shrinkInput(input, (i) => i.bytes.includes(9));
 * assert.deepEqual([...small.bytes], [9]);
 * ```
 */
export function shrinkInput(
  input: FuzzInput,
  fails: (input: FuzzInput) => boolean,
  budget: ShrinkBudget = {},
): FuzzInput {
  const end = Date.now() + (budget.ms ?? 10_000);
  let left = budget.attempts ?? 20_000;
  const tryIt = (candidate: FuzzInput) => {
    if (left <= 0 || Date.now() > end) return false;
    left--;
    return fails(candidate);
  };
  let best = input;
  for (const reads of [[65536], [1]]) {
    if (best.reads.length === 1 && best.reads[0] === reads[0]) break;
    const candidate = { ...best, reads };
    if (tryIt(candidate)) {
      best = candidate;
      break;
    }
  }
  let parts = 2;
  while (best.bytes.length > 0 && left > 0 && Date.now() <= end) {
    const size = Math.ceil(best.bytes.length / parts);
    let removed = false;
    for (let o = 0; o < best.bytes.length; o += size) {
      const bytes = new Uint8Array(best.bytes.length - Math.min(size, best.bytes.length - o));
      bytes.set(best.bytes.subarray(0, o));
      bytes.set(best.bytes.subarray(o + size), o);
      const candidate = { ...best, bytes };
      if (tryIt(candidate)) {
        best = candidate;
        removed = true;
        o -= size;
      }
    }
    if (removed) parts = Math.max(2, parts - 1);
    else if (size === 1) break;
    else parts = Math.min(best.bytes.length, parts * 2);
  }
  return best;
}
