/**
 * The one rule both parsers size socket reads by. A read's size decides where the byte stream
 * is split, and some outcomes depend on the split (under `maxPartialBytes`, a message that
 * arrived whole is handed out, one that did not is counted as partial): so for the same bytes
 * and the same reads both parsers must offer views of the same length, at every step.
 *
 * The input is a window of {@linkcode INPUT_WINDOW} bytes (the WASM core's ring; the JS parser
 * allocates only the part it has offered). Before a read, the unparsed bytes (after a drain, at
 * most one incomplete chunk header) move to the front when they are few or the end is near
 * ({@linkcode movesToFront}, the same test as `prepareWrite()` in `assembly/ring.ts`). A read is
 * then offered at most {@linkcode ReadSizer}'s cap: 8 KiB first, doubled after a read that
 * filled its view up to {@linkcode STEADY_READ_BYTES}, and beyond that only after
 * {@linkcode FULL_READS_TO_GROW} full reads in a row, up to the window. The window's pages a
 * read touches stay touched (the WASM core cannot give them back), so a key frame's burst or a
 * short stall, read 16 KiB at a time, leaves a quiet publisher with 16 KiB of them, not 64; a
 * sustained backlog (a flood, a heavy publisher) still gets 64 KiB reads after a few.
 * @module
 */

/** Bytes of the input window; equal to `RING_SIZE` in `assembly/ring.ts` (checked at load). */
export const INPUT_WINDOW = 64 * 1024;
/** What the first read is offered. */
export const FIRST_READ_BYTES = 8 * 1024;
/** The cap doubles after each full read up to here. */
export const STEADY_READ_BYTES = 16 * 1024;
/** Full reads in a row after which the cap doubles beyond {@linkcode STEADY_READ_BYTES}. */
export const FULL_READS_TO_GROW = 8;
/** Below this much free space at the end, the unparsed bytes move to the front (ring.ts). */
export const MIN_FREE = 16 * 1024;
/** Unparsed bytes that always move to the front before a read (ring.ts). */
export const SMALL_TAIL = 64;

/**
 * Whether the unparsed bytes `[readAt, writeAt)` move to the front of the window before the
 * next read (when none are left, both offsets simply go back to 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { movesToFront } from "./read_window.ts";
 *
 * assert.equal(movesToFront(5000, 5010), true); // an incomplete header: to the front
 * assert.equal(movesToFront(0, 10), false); // already there
 * assert.equal(movesToFront(1000, 9000), false); // many bytes, room at the end
 * ```
 */
export function movesToFront(readAt: number, writeAt: number): boolean {
  return readAt > 0 && (writeAt - readAt <= SMALL_TAIL || INPUT_WINDOW - writeAt < MIN_FREE);
}

/**
 * How much each read is offered: {@linkcode FIRST_READ_BYTES}, doubled after a read that filled
 * its view up to {@linkcode STEADY_READ_BYTES}, then after {@linkcode FULL_READS_TO_GROW} full
 * reads in a row, up to {@linkcode INPUT_WINDOW}; never more than the window has free.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadSizer } from "./read_window.ts";
 *
 * const sizer = new ReadSizer();
 * assert.equal(sizer.offer(0), 8192);
 * sizer.committed(8192); // a full read: more may be waiting
 * assert.equal(sizer.offer(10), 16384);
 * for (let i = 0; i < 7; i++) sizer.committed(sizer.offer(0)); // a 112 KiB burst
 * sizer.committed(sizer.offer(0) - 1); // ... and its end
 * assert.equal(sizer.offer(0), 16384); // 16 KiB still
 * for (let i = 0; i < 8; i++) sizer.committed(sizer.offer(0)); // a backlog
 * assert.equal(sizer.offer(0), 32768);
 * assert.equal(sizer.offer(60_000), 65536 - 60_000);
 * ```
 */
export class ReadSizer {
  #cap = FIRST_READ_BYTES;
  #offered = 0;
  /** Full reads in a row at the current cap. */
  #full = 0;

  /** The length of the view for a read landing at offset `at` of the window. */
  offer(at: number): number {
    const n = Math.min(this.#cap, INPUT_WINDOW - at);
    this.#offered = n;
    return n;
  }

  /** Notes that `n` bytes of the last offer arrived. */
  committed(n: number): void {
    if (n === 0 || n !== this.#offered) {
      this.#full = 0;
      return;
    }
    if (this.#cap >= INPUT_WINDOW) return;
    if (this.#cap < STEADY_READ_BYTES || ++this.#full >= FULL_READS_TO_GROW) {
      this.#cap *= 2;
      this.#full = 0;
    }
  }
}
