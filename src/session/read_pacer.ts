/**
 * Merged reads: after two small reads in a row (neither filled the space offered, both under
 * {@linkcode SMALL_READ_BYTES}), a publishing connection waits for a slot of the server's
 * {@linkcode PaceTicker} before it reads again, so the next read takes what accumulated in the
 * kernel meanwhile (fewer, larger reads; SRS calls this "merged read"). How long it may wait
 * is the publish flow's call ({@linkcode readWaitMs}): long for a publisher nobody watches
 * live (`--read-merge-ms`), short for one with many players (`--play-merge-ms`: each read's
 * messages go to every player in one write, so fewer reads mean fewer writes), none
 * otherwise. A change ends a wait in progress at once. A read that filled the space never
 * waits, nor does a small one right after a large one, so a flood or high-bitrate publisher is
 * read as fast as it sends.
 * @module
 */

import type { PaceTicker } from "./pace_ticker.ts";

/**
 * A read below this many bytes is small. A wait follows only a small read after another small
 * one: a publisher sending faster (a flood, high bitrate) mostly fills its reads, and a partial
 * read after a full one does not stall it.
 */
export const SMALL_READ_BYTES = 16 * 1024;

/** The waits between a publisher's reads, in ms (0: none). */
export interface ReadWaits {
  /** While none of its streams feeds a player or relay (`--read-merge-ms`). */
  readonly unwatchedMs: number;
  /** While its streams have at least {@linkcode ReadWaits.mergePlayers} players each. */
  readonly mergeMs: number;
  /** Players a stream needs before its publisher's reads wait {@linkcode ReadWaits.mergeMs}. */
  readonly mergePlayers: number;
}

/** What the wait depends on, of one stream a connection publishes. */
export interface WatchedStream {
  /** Whether a player or relay consumes it (a recording alone does not count). */
  readonly watched: boolean;
  /** Its players (RTMP and HTTP-FLV). */
  readonly players: number;
}

/**
 * The wait between reads of a connection publishing `streams` (none: 0), the shortest any of
 * them allows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readWaitMs } from "./read_pacer.ts";
 *
 * const waits = { unwatchedMs: 100, mergeMs: 20, mergePlayers: 100 };
 * assert.equal(readWaitMs(waits, [{ watched: false, players: 0 }]), 100);
 * assert.equal(readWaitMs(waits, [{ watched: true, players: 3 }]), 0);
 * assert.equal(readWaitMs(waits, [{ watched: true, players: 300 }]), 20);
 * assert.equal(readWaitMs(waits, []), 0);
 * ```
 */
export function readWaitMs(waits: ReadWaits, streams: Iterable<WatchedStream>): number {
  let ms = Infinity;
  for (const s of streams) {
    const own = !s.watched
      ? waits.unwatchedMs
      : s.players >= waits.mergePlayers
      ? waits.mergeMs
      : 0;
    ms = Math.min(ms, own);
  }
  return ms === Infinity ? 0 : Math.max(0, ms);
}

/**
 * One connection's read pacing: off until {@linkcode ReadPacer.setWait} gives it a wait.
 *
 * @example A small read waits; a full one does not
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadPacer } from "./read_pacer.ts";
 * import { PaceTicker } from "./pace_ticker.ts";
 *
 * using ticker = new PaceTicker({ periodMs: 10, manual: true });
 * const pacer = new ReadPacer(ticker);
 * assert.equal(pacer.shouldWait(2400, 65536), false); // not publishing yet
 * pacer.setWait(30);
 * assert.equal(pacer.shouldWait(2400, 65536), true); // small after small
 * assert.equal(pacer.shouldWait(65536, 65536), false); // full
 * assert.equal(pacer.shouldWait(2400, 65536), false); // small after a full one
 * ```
 */
export class ReadPacer {
  #ticker: PaceTicker;
  #waitMs = 0;
  /** The slot of the last wait (past slots release as a no-op). */
  #slot = 0;
  #waits = 0;
  /** Whether the previous read was small. */
  #lastSmall = false;

  /** Makes a pacer on the server's ticker that does not pace until given a wait. */
  constructor(ticker: PaceTicker) {
    this.#ticker = ticker;
  }

  /** The longest wait between reads now, in ms (0: reads follow each other). */
  get waitMs(): number {
    return this.#waitMs;
  }

  /** Waits taken so far. */
  get waits(): number {
    return this.#waits;
  }

  /** Sets the longest wait between reads (0: none); a change ends a wait in progress at once. */
  setWait(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Read wait must be 0 or more: got ${ms} ms`);
    if (ms === this.#waitMs) return;
    this.#waitMs = ms;
    this.#ticker.release(this.#slot);
  }

  /**
   * Whether to wait before the next read, after a read of `n` bytes into `room` bytes: when
   * a wait is set, and this read and the one before were small ({@linkcode SMALL_READ_BYTES})
   * and did not fill the space.
   */
  shouldWait(n: number, room: number): boolean {
    const small = n < room && n < SMALL_READ_BYTES;
    const wait = this.#waitMs > 0 && small && this.#lastSmall;
    this.#lastSmall = small;
    return wait;
  }

  /** Resolves at the end of this connection's next slot, or at once when the wait changes. */
  wait(): Promise<void> {
    this.#slot = this.#ticker.slotFor(this.#waitMs);
    this.#waits++;
    return this.#ticker.done(this.#slot);
  }
}
