/**
 * Wall-clock time behind an interface, so tests can pass a fake.
 * @module
 */

/** A source of wall-clock time. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The real clock, backed by `Date.now()`. */
export const systemClock: Clock = Object.freeze({
  now(): number {
    return Date.now();
  },
});

/**
 * A clock that moves only when told to, for tests.
 *
 * @example Advancing by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "./clock.ts";
 *
 * const clock = new FakeClock(1_000);
 * clock.advance(500);
 * assert.equal(clock.now(), 1_500);
 * ```
 */
export class FakeClock implements Clock {
  #now: number;

  /** Starts at `start` ms since the epoch (default 2024-01-01T00:00:00Z). */
  constructor(start: number = Date.UTC(2024, 0, 1)) {
    this.#now = start;
  }

  /** The current fake time in ms since the epoch. */
  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` (which must be finite and not negative). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`FakeClock can only move forward: got ${ms} ms`);
    }
    this.#now += ms;
  }

  /** Jumps to an absolute time in ms since the epoch, backwards too. */
  set(ms: number): void {
    this.#now = ms;
  }
}
