/**
 * Buffers for the read right after a merged-read wait: what a paced publisher sent during the
 * wait (about 25 KB for 200 ms at 1 Mbit/s) comes in one read into a buffer shared by the
 * server's connections, then goes to the parser in pieces, instead of two or three reads into
 * the parser's own smaller view. The parser's memory stays as small as before; the server holds
 * at most {@linkcode ReadScratchOptions.maxBuffers} buffers, each only while its read and parse
 * last (a read whose bytes are already waiting completes at once), and a connection that finds
 * none free reads into its parser as usual.
 * @module
 */

/** Bytes of one buffer: half a second at 1 Mbit/s. */
export const READ_SCRATCH_BYTES = 64 * 1024;

/** Most buffers by default (out at once, 4 MiB in all). */
export const READ_SCRATCH_MAX_BUFFERS = 64;

/** Options for {@linkcode ReadScratch}. */
export interface ReadScratchOptions {
  /** Bytes of each buffer (default {@linkcode READ_SCRATCH_BYTES}). */
  readonly bytes?: number;
  /** Most buffers made, out or idle (default {@linkcode READ_SCRATCH_MAX_BUFFERS}). */
  readonly maxBuffers?: number;
}

/**
 * A bounded set of equal buffers, taken for one read and given back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadScratch } from "./read_scratch.ts";
 *
 * const scratch = new ReadScratch({ bytes: 4096, maxBuffers: 1 });
 * const a = scratch.take();
 * assert.equal(a?.length, 4096);
 * assert.equal(scratch.take(), null); // all out: read into the parser instead
 * scratch.give(a!);
 * assert.equal(scratch.take(), a);
 * ```
 */
export class ReadScratch {
  #bytes: number;
  #max: number;
  #idle: Uint8Array[] = [];
  #made = 0;
  #taken = 0;

  /** Makes an empty set; buffers are made when first needed. */
  constructor(options: ReadScratchOptions = {}) {
    this.#bytes = options.bytes ?? READ_SCRATCH_BYTES;
    this.#max = options.maxBuffers ?? READ_SCRATCH_MAX_BUFFERS;
    if (!(this.#bytes > 0) || !(this.#max >= 0)) {
      throw new RangeError(
        `Read scratch needs positive sizes: got ${this.#bytes} bytes, ${this.#max} buffers`,
      );
    }
  }

  /** Buffers made so far (each of the set's size). */
  get made(): number {
    return this.#made;
  }

  /** Buffers handed out so far, over the set's life. */
  get taken(): number {
    return this.#taken;
  }

  /** A buffer for one read, or null when all are out. */
  take(): Uint8Array | null {
    let buf = this.#idle.pop();
    if (buf === undefined) {
      if (this.#made >= this.#max) return null;
      buf = new Uint8Array(this.#bytes);
      this.#made++;
    }
    this.#taken++;
    return buf;
  }

  /** Gives back a buffer from {@linkcode take}. */
  give(buf: Uint8Array): void {
    this.#idle.push(buf);
  }
}
