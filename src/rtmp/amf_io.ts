/**
 * The byte reader, writer and decoding limits that amf0.ts and amf3.ts share. Every read is
 * bounds-checked and fails with an AmfError that names the offset.
 * @module
 */

import { AmfError } from "../errors.ts";

/** Bounds applied while decoding AMF0 and AMF3. */
export interface AmfLimits {
  /** Containers nested inside each other, counting the outermost as 1. */
  readonly maxDepth: number;
  /** Members or elements in one object, array or ECMA array. */
  readonly maxElements: number;
  /** UTF-8 bytes in one string, XML document or byte array. */
  readonly maxStringBytes: number;
}

/** The limits used when a caller gives none: depth 64, 1024 elements, 64 KiB strings. */
export const DEFAULT_AMF_LIMITS: AmfLimits = Object.freeze({
  maxDepth: 64,
  maxElements: 1024,
  maxStringBytes: 65536,
});

const UTF8_DECODER = new TextDecoder();
const UTF8_ENCODER = new TextEncoder();

/** A bounds-checked big-endian cursor over AMF bytes; shared by the AMF0 and AMF3 decoders. */
export class AmfReader {
  /** The input. */
  readonly bytes: Uint8Array;
  /** The limits in force. */
  readonly limits: AmfLimits;
  /** Offset of the next byte to read. */
  pos: number;
  readonly #view: DataView;
  #nodes = 0;

  /** Reads `bytes` from `pos` under `limits`. */
  constructor(bytes: Uint8Array, limits: AmfLimits, pos = 0) {
    this.bytes = bytes;
    this.limits = limits;
    this.pos = pos;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Values decoded so far, a reference counting every value it repeats. */
  get nodes(): number {
    return this.#nodes;
  }

  /**
   * Counts `n` more decoded values for the item at `at`. Without references a value has at
   * most one node per input byte; the total may exceed that by `maxElements`, so a chain
   * of references (2^64 nodes from a few hundred bytes) fails here.
   */
  count(n: number, at: number): void {
    this.#nodes += n;
    const budget = this.bytes.length + this.limits.maxElements;
    if (this.#nodes > budget) {
      throw new AmfError(
        `AMF references at offset ${at} expand the value to ${this.#nodes} nodes: limit is ${budget}`,
      );
    }
  }

  /** Bytes left after `pos`. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are available for `what`. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new AmfError(
        `Truncated ${what} at offset ${this.pos}: need ${n} bytes, ${this.remaining} left`,
      );
    }
  }

  /** Reads one byte. */
  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  /** Reads a big-endian u16. */
  u16(what: string): number {
    this.need(2, what);
    const v = this.#view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian u32. */
  u32(what: string): number {
    this.need(4, what);
    const v = this.#view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a big-endian IEEE 754 double. */
  f64(what: string): number {
    this.need(8, what);
    const v = this.#view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Returns a copy of the next `n` bytes, refusing more than `maxStringBytes`. */
  take(n: number, what: string): Uint8Array {
    this.checkSize(n, what);
    this.need(n, what);
    return this.bytes.slice(this.pos, this.pos += n);
  }

  /** Reads `n` bytes of UTF-8, refusing more than `maxStringBytes`. */
  utf8(n: number, what: string): string {
    this.checkSize(n, what);
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    if (n <= 32) {
      let s = "";
      for (let i = start; i < start + n; i++) {
        const b = this.bytes[i]!;
        if (b >= 0x80) return UTF8_DECODER.decode(this.bytes.subarray(start, start + n));
        s += String.fromCharCode(b);
      }
      return s;
    }
    return UTF8_DECODER.decode(this.bytes.subarray(start, start + n));
  }

  /** Throws if a declared byte length is over `maxStringBytes`. */
  checkSize(n: number, what: string): void {
    if (n > this.limits.maxStringBytes) {
      throw new AmfError(
        `${what} at offset ${this.pos} is ${n} bytes: limit is ${this.limits.maxStringBytes}`,
      );
    }
  }

  /** Throws if the container at `at`, at nesting `depth` (outermost 1), is too deep. */
  checkDepth(depth: number, at: number): void {
    if (depth > this.limits.maxDepth) {
      throw new AmfError(
        `AMF nesting at offset ${at} reaches depth ${depth}: limit is ${this.limits.maxDepth}`,
      );
    }
  }

  /**
   * Throws if the container at `at` has or declares `n` elements, more than `maxElements`,
   * or more than the bytes left allow at `minBytesEach`.
   */
  checkCount(n: number, what: string, at: number, minBytesEach = 1): void {
    if (n > this.limits.maxElements) {
      throw new AmfError(
        `${what} at offset ${at} has ${n} elements: limit is ${this.limits.maxElements}`,
      );
    }
    this.need(n * minBytesEach, what);
  }
}

/** A growable big-endian byte writer; shared by the AMF0 and AMF3 encoders. */
export class AmfWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = v;
  }

  /** Appends a big-endian u16. */
  u16(v: number): void {
    this.#ensure(2);
    this.#view.setUint16(this.#len, v);
    this.#len += 2;
  }

  /** Appends a big-endian u32. */
  u32(v: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.#len, v);
    this.#len += 4;
  }

  /** Appends a big-endian double. */
  f64(v: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.#len, v);
    this.#len += 8;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** The bytes written so far, as a fresh copy. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Encodes a string as UTF-8. */
export function utf8Bytes(s: string): Uint8Array {
  return UTF8_ENCODER.encode(s);
}

/** Throws if an encoder is nested past the default depth (almost always a cyclic value). */
export function checkEncodeDepth(depth: number): void {
  if (depth > DEFAULT_AMF_LIMITS.maxDepth) {
    throw new AmfError(
      `Cannot encode AMF nested ${depth} deep: limit is ${DEFAULT_AMF_LIMITS.maxDepth}, is the value cyclic`,
    );
  }
}
