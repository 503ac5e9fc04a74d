/**
 * Merged reads for a publisher nobody watches live: after a read that did not fill the space
 * offered, the connection waits for a slot of the server's {@linkcode ReadTicker} before it
 * reads again, so the next read takes what accumulated in the kernel meanwhile (fewer, larger
 * reads; SRS calls this "merged read"). It applies only while the connection publishes and
 * none of its streams feeds a player or relay; when one attaches, a wait in progress ends at
 * once and reads follow each other again. A read that filled the space never waits, so a
 * high-bitrate publisher is read as fast as it sends.
 * @module
 */

import type { ReadTicker } from "./read_ticker.ts";

/** Options for {@linkcode ReadPacer}. */
export interface ReadPacerOptions {
  /** The server's shared ticker. */
  readonly ticker: ReadTicker;
  /** Longest wait after a small read, in ms (`--read-merge-ms`). */
  readonly waitMs: number;
}

/**
 * One connection's read pacing: off until {@linkcode ReadPacer.allow} turns it on.
 *
 * @example A small read waits; a full one does not
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadPacer } from "./read_pacer.ts";
 * import { ReadTicker } from "./read_ticker.ts";
 *
 * using ticker = new ReadTicker({ periodMs: 10, manual: true });
 * const pacer = new ReadPacer({ ticker, waitMs: 30 });
 * assert.equal(pacer.shouldWait(2400, 65536), false); // not publishing yet
 * pacer.allow(true);
 * assert.equal(pacer.shouldWait(2400, 65536), true);
 * assert.equal(pacer.shouldWait(65536, 65536), false);
 * ```
 */
export class ReadPacer {
  #ticker: ReadTicker;
  #waitMs: number;
  #allowed = false;
  /** The slot of the last wait (past slots release as a no-op). */
  #slot = 0;
  #waits = 0;

  /** Makes a pacer that does not pace until allowed. */
  constructor(options: ReadPacerOptions) {
    if (!(options.waitMs > 0)) {
      throw new RangeError(`Read merge wait must be positive: got ${options.waitMs} ms`);
    }
    this.#ticker = options.ticker;
    this.#waitMs = options.waitMs;
  }

  /** Whether reads may wait now. */
  get allowed(): boolean {
    return this.#allowed;
  }

  /** Waits taken so far. */
  get waits(): number {
    return this.#waits;
  }

  /**
   * Turns pacing on (the connection publishes and nobody watches it live) or off; off ends a
   * wait in progress at once.
   */
  allow(on: boolean): void {
    this.#allowed = on;
    if (!on) this.#ticker.release(this.#slot);
  }

  /** Whether to wait before the next read, after a read of `n` bytes into `room` bytes. */
  shouldWait(n: number, room: number): boolean {
    return this.#allowed && n < room;
  }

  /** Resolves at the end of this connection's next slot, or at once when pacing turns off. */
  wait(): Promise<void> {
    this.#slot = this.#ticker.slotFor(this.#waitMs);
    this.#waits++;
    return this.#ticker.done(this.#slot);
  }
}
