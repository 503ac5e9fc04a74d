/**
 * How far behind live a player is: the media time still queued for it, from the newest
 * timestamp handed to its queue back to the oldest one not yet written out.
 * @module
 */

/**
 * Remembers where each queued media message ends in a player's byte stream and its
 * timestamp; given how many bytes were written, tells the media time still queued.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { QueueLag } from "./queue_lag.ts";
 *
 * const lag = new QueueLag();
 * lag.push(100, 1000);
 * lag.push(200, 1040);
 * lag.push(300, 1080);
 * assert.equal(lag.lagMs(0), 80);
 * assert.equal(lag.lagMs(150), 40);
 * assert.equal(lag.lagMs(300), 0);
 * ```
 */
export class QueueLag {
  #ends: number[] = [];
  #times: number[] = [];
  #head = 0;
  #newest = -1;

  /** Notes a media message whose bytes end at `end` (bytes queued so far) with `timestamp`. */
  push(end: number, timestamp: number): void {
    this.#ends.push(end);
    this.#times.push(timestamp);
    this.#newest = timestamp;
  }

  /** Media ms queued and not written, given `written` bytes out so far; forgets what is out. */
  lagMs(written: number): number {
    while (this.#head < this.#ends.length && this.#ends[this.#head]! <= written) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#ends.length) {
      this.#ends = this.#ends.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head >= this.#ends.length) return 0;
    const span = (this.#newest - this.#times[this.#head]!) | 0; // RTMP time wraps at 2^32
    return Math.max(0, span);
  }
}
