/**
 * Where a GOP cache keeps its bodies: copied back to back into a few blocks instead of one
 * ArrayBuffer each, and the same blocks reused for the next GOP unless a consumer may still
 * hold views of them. A stream nobody plays then holds about one GOP of memory and allocates
 * nothing per message; without it every body was its own allocation that lived a whole GOP
 * (long enough to reach V8's old space) and was freed only by a full collection.
 * @module
 */

/**
 * GOPs in a row that must leave a block unused before it is let go: GOP sizes vary (a store
 * sized for the largest of the last few keeps it), and a block freed and made again GOP after
 * GOP fragments the process heap and, under a server-wide budget, hands the room to another
 * stream that then fails to grow.
 */
const TRIM_AFTER = 8;
/** Size of the first block; each new block is as large as the blocks before it together. */
const FIRST_BLOCK = 16 * 1024;
/** Largest block; a body over half of it gets an allocation of its own. */
const MAX_BLOCK = 256 * 1024;

/** What a store books its memory with (its account of the server's GOP budget). */
export interface GopBooking {
  /** Books `bytes` in all; growing may be refused (false), shrinking always succeeds. */
  resize(bytes: number): boolean;
}

/** Books anything: a store with no server-wide budget. */
const UNBOUNDED: GopBooking = { resize: () => true };

/**
 * Bump storage for one GOP's bodies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GopStore } from "./gop_store.ts";
 *
 * const store = new GopStore();
 * const a = store.copy(new Uint8Array([1, 2, 3]))!;
 * assert.deepEqual(a, new Uint8Array([1, 2, 3]));
 * store.reset(); // nobody was lent `a`: its bytes are reused
 * const b = store.copy(new Uint8Array([9]))!;
 * assert.equal(a[0], 9);
 * assert.equal(b.buffer, a.buffer);
 * ```
 */
export class GopStore {
  #blocks: Uint8Array[] = [];
  /** Index of the block being filled (== #blocks.length when none). */
  #block = 0;
  #used = 0;
  #lent = false;
  /** GOPs in a row that left a block unused. */
  #quiet = 0;
  /** Bytes of the blocks. */
  #capacity = 0;
  /** Bytes of this GOP's bodies that got an allocation of their own. */
  #loose = 0;
  readonly #booking: GopBooking;

  /** A store that books what it holds with `booking` (default: no bound). */
  constructor(booking: GopBooking = UNBOUNDED) {
    this.#booking = booking;
  }

  /** Bytes of the blocks held. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes held in all (what it books): the blocks and this GOP's bodies of their own. */
  get bytes(): number {
    return this.#capacity + this.#loose;
  }

  /** Notes that the copies made since the last reset may be kept by others. */
  lend(): void {
    this.#lent = true;
  }

  /**
   * A copy of `body` that lives until the next reset (or as long as its holders, once lent);
   * null when the memory it needs could not be booked (nothing changes then).
   */
  copy(body: Uint8Array): Uint8Array | null {
    const n = body.length;
    if (n > MAX_BLOCK / 2) {
      if (!this.#booking.resize(this.bytes + n)) return null;
      this.#loose += n;
      return body.slice();
    }
    let index = this.#block;
    let block = this.#blocks[index];
    let at = this.#used;
    if (block === undefined || at + n > block.length) {
      if (block !== undefined) index++;
      block = this.#blocks[index];
      at = 0;
      if (block === undefined || n > block.length) {
        const size = Math.min(MAX_BLOCK, Math.max(FIRST_BLOCK, this.#sizeBefore(index), n));
        const old = block?.length ?? 0;
        if (!this.#booking.resize(this.bytes - old + size)) return null;
        block = new Uint8Array(size);
        this.#blocks[index] = block;
        this.#capacity += size - old;
      }
      this.#block = index;
    }
    const out = block.subarray(at, at + n);
    out.set(body);
    this.#used = at + n;
    return out;
  }

  /**
   * Starts over for the next GOP: the blocks are reused when none was lent, else they are left
   * to their holders and new ones are made. Blocks that {@linkcode TRIM_AFTER} GOPs in a row did
   * not use are let go.
   */
  reset(): void {
    const used = Math.min(this.#blocks.length, this.#block + 1);
    if (this.#lent) {
      this.#blocks = [];
      this.#quiet = 0;
    } else if (used === this.#blocks.length) {
      this.#quiet = 0;
    } else if (++this.#quiet >= TRIM_AFTER) {
      this.#blocks.length = used;
      this.#quiet = 0;
    }
    this.#capacity = this.#sizeBefore(this.#blocks.length);
    this.#loose = 0;
    this.#block = 0;
    this.#used = 0;
    this.#lent = false;
    this.#booking.resize(this.bytes);
  }

  /** Lets every block go (a GOP over the bound: nothing is cached until the next key frame). */
  clear(): void {
    this.#blocks = [];
    this.#quiet = 0;
    this.#capacity = 0;
    this.#loose = 0;
    this.#block = 0;
    this.#used = 0;
    this.#lent = false;
    this.#booking.resize(0);
  }

  /** Bytes of the blocks before `index`. */
  #sizeBefore(index: number): number {
    let n = 0;
    for (let i = 0; i < index; i++) n += this.#blocks[i]!.length;
    return n;
  }
}
