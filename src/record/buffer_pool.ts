/**
 * Fixed-size byte buffers handed out and taken back: recordings fill one per write batch and
 * return it once the file has taken it, so a steady stream of batches reuses the same memory
 * instead of allocating (and the kernel zeroing) a fresh 64 KiB per batch.
 * @module
 */

/** Options for {@linkcode BufferPool}. */
export interface BufferPoolOptions {
  /** Bytes of each buffer. */
  readonly size: number;
  /** Most buffers kept while not in use; more given back are left to the garbage collector. */
  readonly maxIdle: number;
}

/**
 * A free list of equal buffers, bounded by `maxIdle`.
 *
 * @example Reusing a buffer
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferPool } from "./buffer_pool.ts";
 *
 * const pool = new BufferPool({ size: 1024, maxIdle: 4 });
 * const a = pool.take();
 * pool.give(a);
 * assert.equal(pool.take(), a);
 * ```
 */
export class BufferPool {
  /** Bytes of each buffer. */
  readonly size: number;
  #maxIdle: number;
  #free: Uint8Array[] = [];

  /** Makes an empty pool. */
  constructor(options: BufferPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`Buffer size must be a positive integer: got ${options.size}`);
    }
    this.size = options.size;
    this.#maxIdle = Math.max(0, Math.floor(options.maxIdle));
  }

  /** Buffers waiting to be reused. */
  get idle(): number {
    return this.#free.length;
  }

  /** A buffer of {@linkcode size} bytes (old contents left in it). */
  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.size);
  }

  /**
   * Takes back a buffer from {@linkcode take} that nothing reads or writes now. A buffer
   * of another size, or one past `maxIdle`, is dropped.
   */
  give(buffer: Uint8Array): void {
    if (buffer.byteLength !== this.size || buffer.byteOffset !== 0) return;
    if (buffer.buffer.byteLength !== this.size) return;
    if (this.#free.length < this.#maxIdle) this.#free.push(buffer);
  }
}
