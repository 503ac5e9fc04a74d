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
  /** Ring of (end, timestamp) pairs; grows by doubling, never shrinks below its start size. */
  #ring = new Float64Array(2 * 64);
  #head = 0;
  #size = 0;
  #newest = -1;

  /** Notes a media message whose bytes end at `end` (bytes queued so far) with `timestamp`. */
  push(end: number, timestamp: number): void {
    let ring = this.#ring;
    if (this.#size === ring.length >> 1) ring = this.#grow();
    const slots = ring.length >> 1;
    const at = ((this.#head + this.#size) % slots) << 1;
    ring[at] = end;
    ring[at + 1] = timestamp;
    this.#size++;
    this.#newest = timestamp;
  }

  /** Media ms queued and not written, given `written` bytes out so far; forgets what is out. */
  lagMs(written: number): number {
    const ring = this.#ring;
    const slots = ring.length >> 1;
    while (this.#size > 0 && ring[this.#head << 1]! <= written) {
      this.#head = (this.#head + 1) % slots;
      this.#size--;
    }
    if (this.#size === 0) return 0;
    const span = (this.#newest - ring[(this.#head << 1) + 1]!) | 0; // RTMP time wraps at 2^32
    return Math.max(0, span);
  }

  /** Doubles the ring, oldest entry first. */
  #grow(): Float64Array<ArrayBuffer> {
    const old = this.#ring;
    const ring = new Float64Array(old.length * 2);
    const from = this.#head << 1;
    ring.set(old.subarray(from));
    ring.set(old.subarray(0, from), old.length - from);
    this.#ring = ring;
    this.#head = 0;
    return ring;
  }
}
