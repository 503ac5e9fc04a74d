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
 * then offered at most {@linkcode ReadSizer}'s cap: 8 KiB first, doubled after each read that
 * filled its view, up to the window. A quiet publisher's reads are a few KiB and touch only
 * those; a connection with data waiting gets large reads after a few.
 * @module
 */

/** Bytes of the input window; equal to `RING_SIZE` in `assembly/ring.ts` (checked at load). */
export const INPUT_WINDOW = 64 * 1024;
/** What the first read is offered. */
export const FIRST_READ_BYTES = 8 * 1024;
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
 * its view, up to {@linkcode INPUT_WINDOW}; never more than the window has free.
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
 * sizer.committed(3000);
 * assert.equal(sizer.offer(0), 16384);
 * assert.equal(sizer.offer(60_000), 65536 - 60_000);
 * ```
 */
export class ReadSizer {
  #cap = FIRST_READ_BYTES;
  #offered = 0;

  /** The length of the view for a read landing at offset `at` of the window. */
  offer(at: number): number {
    const n = Math.min(this.#cap, INPUT_WINDOW - at);
    this.#offered = n;
    return n;
  }

  /** Notes that `n` bytes of the last offer arrived. */
  committed(n: number): void {
    if (n > 0 && n === this.#offered && this.#cap < INPUT_WINDOW) this.#cap *= 2;
  }
}
