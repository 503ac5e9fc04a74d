/**
 * How long a relay waits before dialing its origin again: doubling from a first delay up
 * to a cap, less a random part so relays that failed together do not retry together.
 * @module
 */

/** The shape of a backoff. */
export interface BackoffPolicy {
  /** Delay before the first retry, ms. */
  readonly initialMs: number;
  /** Longest delay, ms. */
  readonly maxMs: number;
  /** Fraction of the delay that is random (0 to 1): the wait is in `[(1 - jitter) d, d]`. */
  readonly jitter: number;
}

/** 1 s doubling to 30 s, up to 20 % shorter at random. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2 };

/**
 * The wait before retry number `retry` (1 for the first), given `random()` in `[0, 1)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
 *
 * assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0), 1_000);
 * assert.equal(backoffDelay(3, DEFAULT_BACKOFF, () => 0), 4_000);
 * assert.equal(backoffDelay(9, DEFAULT_BACKOFF, () => 0), 30_000);
 * assert.equal(backoffDelay(2, DEFAULT_BACKOFF, () => 0.5), 1_800);
 * ```
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number): number {
  if (!Number.isInteger(retry) || retry < 1) {
    throw new RangeError(`Retry number must be a whole number >= 1: got ${retry}`);
  }
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(retry - 1, 30));
  return Math.round(base * (1 - policy.jitter * random()));
}
