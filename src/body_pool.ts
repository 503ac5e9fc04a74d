/**
 * Byte buffers shared across connections, reused instead of allocated (and zeroed by the
 * kernel) each time: the parsers reassemble a message spanning chunks into one and give it back
 * once the message was handed out, so memory follows the messages in flight, not each
 * connection's largest; recordings fill one per write batch and give it back once the file has
 * taken it.
 * @module
 */

/** Smallest buffer handed out. */
const MIN_BYTES = 4096;
/** Buffers above this are not pooled (the garbage collector takes them). */
const MAX_POOLED_BYTES = 1024 * 1024;
/** Most idle bytes the pool keeps, over all sizes. */
const DEFAULT_MAX_IDLE_BYTES = 4 * 1024 * 1024;

/**
 * Power-of-two sized buffers, reused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BodyPool } from "./body_pool.ts";
 *
 * const pool = new BodyPool();
 * const a = pool.take(5000);
 * assert.equal(a.length, 8192);
 * pool.give(a);
 * assert.equal(pool.take(6000), a);
 * ```
 */
export class BodyPool {
  #idle = new Map<number, Uint8Array[]>();
  #idleBytes = 0;
  #maxIdle: number;

  /** Makes an empty pool that keeps at most `maxIdleBytes` of idle buffers. */
  constructor(maxIdleBytes = DEFAULT_MAX_IDLE_BYTES) {
    this.#maxIdle = maxIdleBytes;
  }

  /** Idle bytes held. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  /** A buffer of at least `bytes` (its contents are whatever the last user left). */
  take(bytes: number): Uint8Array {
    const size = sizeFor(bytes);
    const list = this.#idle.get(size);
    const buf = list?.pop();
    if (buf !== undefined) {
      this.#idleBytes -= size;
      return buf;
    }
    return new Uint8Array(size);
  }

  /** Returns a buffer from {@linkcode take}; one too large or over the idle bound is dropped. */
  give(buf: Uint8Array): void {
    const size = buf.length;
    if (size < MIN_BYTES || size > MAX_POOLED_BYTES || (size & (size - 1)) !== 0) return;
    if (this.#idleBytes + size > this.#maxIdle) return;
    let list = this.#idle.get(size);
    if (list === undefined) this.#idle.set(size, list = []);
    list.push(buf);
    this.#idleBytes += size;
  }
}

/** The size class for `bytes`: a power of two from 4 KiB, or `bytes` itself above 1 MiB. */
function sizeFor(bytes: number): number {
  if (bytes > MAX_POOLED_BYTES) return bytes;
  let size = MIN_BYTES;
  while (size < bytes) size *= 2;
  return size;
}
