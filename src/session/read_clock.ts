/**
 * A connection's clock while it handles one read: every message parsed from the read arrived
 * when the read returned, so the publish path (health, the stream's last message time) takes
 * that one time instead of asking the system clock per message. Outside a read it is the
 * clock it wraps.
 * @module
 */

import type { Clock } from "../clock.ts";

/**
 * A clock that answers the time of the read being handled, and the wrapped clock's time
 * otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../clock.ts";
 * import { ReadClock } from "./read_clock.ts";
 *
 * const clock = new FakeClock(1_000);
 * const read = new ReadClock(clock);
 * read.hold(clock.now());
 * clock.advance(5);
 * assert.equal(read.now(), 1_000); // the read's time
 * read.release();
 * assert.equal(read.now(), 1_005);
 * ```
 */
export class ReadClock implements Clock {
  readonly #clock: Clock;
  /** The held read's time, or NaN when no read is held. */
  #held = NaN;

  /** Wraps `clock`; nothing is held yet. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The held read's time, else the wrapped clock's. */
  now(): number {
    const held = this.#held;
    return held === held ? held : this.#clock.now();
  }

  /** Holds `now` (the read's time) until {@linkcode release}. */
  hold(now: number): void {
    this.#held = now;
  }

  /** Goes back to the wrapped clock. */
  release(): void {
    this.#held = NaN;
  }
}
