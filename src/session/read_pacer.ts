/**
 * Merged reads for a publisher nobody watches live: after two small reads in a row (neither
 * filled the space offered, each under {@linkcode SMALL_READ_BYTES} or right after a wait), the
 * connection waits for a slot of the server's {@linkcode PaceTicker} before it reads again, so
 * the next read takes what accumulated in the kernel meanwhile (fewer, larger reads; SRS calls
 * this "merged read"). It applies only while the connection publishes and none of its streams feeds a
 * player or relay; when one attaches, a wait in progress ends at once and reads follow each
 * other again. A read that filled the space never waits, nor does a small one right after a
 * large one, so a flood or high-bitrate publisher is read as fast as it sends.
 * @module
 */

import type { PaceTicker } from "./pace_ticker.ts";

/**
 * A read below this many bytes is small. A wait follows only a small read after another small
 * one: a publisher sending faster (a flood, high bitrate) mostly fills its reads, and a partial
 * read after a full one does not stall it.
 */
export const SMALL_READ_BYTES = 16 * 1024;

/**
 * What one wait may let accumulate and still count as a small publisher's: the reads after a
 * wait, full ones included, up to the first that does not fill the space, are that wait's
 * backlog. Under this many bytes the next read waits again (a low-bitrate publisher's 200 ms
 * may take a full 16 KiB read and a partial one); over it the publisher is sending faster and
 * the usual rule applies.
 */
export const WAIT_BACKLOG_BYTES = 64 * 1024;

/** Options for {@linkcode ReadPacer}. */
export interface ReadPacerOptions {
  /** The server's shared ticker. */
  readonly ticker: PaceTicker;
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
 * import { PaceTicker } from "./pace_ticker.ts";
 *
 * using ticker = new PaceTicker({ periodMs: 10, manual: true });
 * const pacer = new ReadPacer({ ticker, waitMs: 30 });
 * assert.equal(pacer.shouldWait(2400, 65536), false); // not publishing yet
 * pacer.allow(true);
 * assert.equal(pacer.shouldWait(2400, 65536), true); // small after small
 * assert.equal(pacer.shouldWait(65536, 65536), false); // full
 * assert.equal(pacer.shouldWait(2400, 65536), false); // small after a full one
 * ```
 */
export class ReadPacer {
  #ticker: PaceTicker;
  #waitMs: number;
  #allowed = false;
  /** The slot of the last wait (past slots release as a no-op). */
  #slot = 0;
  #waits = 0;
  /** Whether the previous read was small. */
  #lastSmall = false;
  /** Bytes read since the last wait while its backlog drains (full reads), or -1. */
  #sinceWait = -1;

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

  /**
   * Whether to wait before the next read, after a read of `n` bytes into `room` bytes: when
   * allowed, and this read and the one before were small (they did not fill the space and
   * were under {@linkcode SMALL_READ_BYTES}). After a wait, the reads up to the first that
   * does not fill the space are its backlog: under {@linkcode WAIT_BACKLOG_BYTES} in all, the
   * next read waits again.
   */
  shouldWait(n: number, room: number): boolean {
    const partial = n < room;
    if (this.#sinceWait >= 0) {
      this.#sinceWait += n;
      const light = this.#sinceWait < WAIT_BACKLOG_BYTES;
      if (!partial && light) return false; // still draining the wait's backlog
      this.#sinceWait = -1;
      this.#lastSmall = partial && light;
      return this.#allowed && this.#lastSmall;
    }
    const small = partial && n < SMALL_READ_BYTES;
    const wait = this.#allowed && small && this.#lastSmall;
    this.#lastSmall = small;
    return wait;
  }

  /** Resolves at the end of this connection's next slot, or at once when pacing turns off. */
  wait(): Promise<void> {
    this.#slot = this.#ticker.slotFor(this.#waitMs);
    this.#waits++;
    this.#sinceWait = 0;
    return this.#ticker.done(this.#slot);
  }
}
