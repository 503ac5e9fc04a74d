/**
 * Where a GOP cache keeps its bodies: copied back to back into a few blocks instead of one
 * ArrayBuffer each, and the same blocks reused for the next GOP unless a consumer may still
 * hold views of them. A stream nobody plays then holds about one GOP of memory and allocates
 * nothing per message; without it every body was its own allocation that lived a whole GOP
 * (long enough to reach V8's old space) and was freed only by a full collection.
 * @module
 */

/** Size of the first block; each new block is as large as the blocks before it together. */
const FIRST_BLOCK = 16 * 1024;
/** Largest block; a body over half of it gets an allocation of its own. */
const MAX_BLOCK = 256 * 1024;

/**
 * Bump storage for one GOP's bodies.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GopStore } from "./gop_store.ts";
 *
 * const store = new GopStore();
 * const a = store.copy(new Uint8Array([1, 2, 3]));
 * assert.deepEqual(a, new Uint8Array([1, 2, 3]));
 * store.reset(); // nobody was lent `a`: its bytes are reused
 * const b = store.copy(new Uint8Array([9]));
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

  /** Bytes of the blocks held (what the store costs). */
  get capacity(): number {
    let n = 0;
    for (const b of this.#blocks) n += b.length;
    return n;
  }

  /** Notes that the copies made since the last reset may be kept by others. */
  lend(): void {
    this.#lent = true;
  }

  /** A copy of `body` that lives until the next reset (or as long as its holders, once lent). */
  copy(body: Uint8Array): Uint8Array {
    const n = body.length;
    if (n > MAX_BLOCK / 2) return body.slice();
    let block = this.#blocks[this.#block];
    if (block === undefined || this.#used + n > block.length) {
      if (block !== undefined) this.#block++;
      block = this.#blocks[this.#block];
      if (block === undefined || n > block.length) {
        block = new Uint8Array(Math.min(MAX_BLOCK, Math.max(FIRST_BLOCK, this.#held(), n)));
        this.#blocks[this.#block] = block;
      }
      this.#used = 0;
    }
    const out = block.subarray(this.#used, this.#used + n);
    out.set(body);
    this.#used += n;
    return out;
  }

  /**
   * Starts over for the next GOP: the blocks this GOP used are reused when none was lent, else
   * they are left to their holders and new ones are made. Blocks it did not use are let go.
   */
  reset(): void {
    if (this.#lent) this.#blocks = [];
    else this.#blocks.length = Math.min(this.#blocks.length, this.#block + 1);
    this.#block = 0;
    this.#used = 0;
    this.#lent = false;
  }

  /** Lets every block go (a GOP over the bound: nothing is cached until the next key frame). */
  clear(): void {
    this.#blocks = [];
    this.#block = 0;
    this.#used = 0;
    this.#lent = false;
  }

  #held(): number {
    let n = 0;
    for (let i = 0; i < this.#block; i++) n += this.#blocks[i]!.length;
    return n;
  }
}
