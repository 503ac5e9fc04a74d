/**
 * A big-endian bit reader for codec headers (H.264/H.265 RBSP, AV1 OBUs, AAC
 * AudioSpecificConfig), plus the few byte helpers the FLV tag parsers share
 * (big-endian reads, the Enhanced RTMP ModEx skip).
 *
 * With `emulationPrevention` on, the reader drops each `0x03` that follows two
 * zero bytes as it goes (H.264 7.4.1, H.265 7.4.2), so a NAL unit is read
 * in place without first copying it into an RBSP buffer.
 *
 * ```
 * NAL bytes   00 00 03 01 ...    reader sees   00 00 01 ...
 *                   ^^ emulation prevention byte, skipped
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";

/** Options for {@linkcode BitReader}. */
export interface BitReaderOptions {
  /** Drop H.264/H.265 emulation prevention bytes (`00 00 03`). Default false. */
  readonly emulationPrevention?: boolean;
  /** Names the structure in error messages, e.g. `"H.264 SPS"`. Default `"Bitstream"`. */
  readonly label?: string;
}

/**
 * Reads bits most significant first from a byte array; running past the end
 * throws a {@linkcode MediaError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BitReader } from "./bit_reader.ts";
 * const r = new BitReader(new Uint8Array([0b1010_0110]));
 * assert.equal(r.readBits(2), 0b10);
 * assert.equal(r.readUe(), 0); // bit 1
 * assert.equal(r.readUe(), 5); // bits 0 0 1 1 0
 * ```
 */
export class BitReader {
  readonly #data: Uint8Array;
  readonly #epb: boolean;
  readonly #label: string;
  /** Next byte to load. */
  #pos = 0;
  /** The byte being read and how many of its bits are still unread. */
  #cur = 0;
  #left = 0;
  /** Zero bytes seen in a row, for emulation prevention. */
  #zeros = 0;

  /** Creates a reader over `data`, starting at its first bit. */
  constructor(data: Uint8Array, options: BitReaderOptions = {}) {
    this.#data = data;
    this.#epb = options.emulationPrevention ?? false;
    this.#label = options.label ?? "Bitstream";
  }

  /** Index of the next unread byte in the input (bytes already started count as read). */
  get bytePos(): number {
    return this.#pos;
  }

  /** True when every bit of the input has been read. */
  get atEnd(): boolean {
    return this.#left === 0 && this.#pos >= this.#data.length;
  }

  #load(): void {
    const data = this.#data;
    let p = this.#pos;
    if (p >= data.length) {
      throw new MediaError(`${this.#label} ended early: read past byte ${data.length}`);
    }
    let b = data[p] ?? 0;
    if (this.#epb && this.#zeros >= 2 && b === 0x03) {
      p++;
      this.#zeros = 0;
      if (p >= data.length) {
        throw new MediaError(`${this.#label} ended early: read past byte ${data.length}`);
      }
      b = data[p] ?? 0;
    }
    this.#zeros = b === 0 ? this.#zeros + 1 : 0;
    this.#cur = b;
    this.#left = 8;
    this.#pos = p + 1;
  }

  /** Reads one bit. */
  readBit(): number {
    if (this.#left === 0) this.#load();
    this.#left--;
    return (this.#cur >> this.#left) & 1;
  }

  /** Reads one bit as a boolean. */
  readFlag(): boolean {
    return this.readBit() === 1;
  }

  /** Reads an `n`-bit unsigned number, `n` from 0 to 52. */
  readBits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.readBit();
    return v;
  }

  /** Skips `n` bits. */
  skipBits(n: number): void {
    for (let i = 0; i < n; i++) this.readBit();
  }

  /** Reads an unsigned exp-Golomb number, ue(v); more than 31 leading zeros is an error. */
  readUe(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros > 31) {
        throw new MediaError(`${this.#label} has an exp-Golomb code with ${zeros} leading zeros`);
      }
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** Reads a signed exp-Golomb number, se(v). */
  readSe(): number {
    const k = this.readUe();
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2; // 0 - 0 is +0
  }
}

/** Reads a big-endian u16 at `i`; the caller has checked the bounds. */
export function u16At(bytes: Uint8Array, i: number): number {
  return ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
}

/** Reads a big-endian u24 at `i`; the caller has checked the bounds. */
export function u24At(bytes: Uint8Array, i: number): number {
  return ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
}

/** Reads a big-endian u32 (e.g. a FourCC) at `i`; the caller has checked the bounds. */
export function u32At(bytes: Uint8Array, i: number): number {
  return (((bytes[i] ?? 0) << 24) | u24At(bytes, i + 1)) >>> 0;
}

/**
 * Skips one ModEx block that starts at `at` (its size byte) and returns the index just past
 * the byte holding the ModEx type and the next packet type. Enhanced RTMP v2:
 * `modExDataSize = UI8 + 1` (256 escapes to `UI16 + 1`), the data, then `modExType (4) packetType (4)`.
 * `what` names the tag in the error thrown when the block overruns the body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { skipModEx } from "./bit_reader.ts";
 * // ExHeader + ModEx, 3 data bytes, then ModEx type 0 + CodedFrames; the FourCC starts at 6
 * const body = new Uint8Array([0x97, 0x02, 0x00, 0x01, 0xf4, 0x01, 0x4f, 0x70, 0x75, 0x73]);
 * assert.equal(skipModEx(body, 1, "Audio"), 6);
 * ```
 */
export function skipModEx(body: Uint8Array, at: number, what: string): number {
  let size = (body[at] ?? 0) + 1;
  let p = at + 1;
  if (size === 256) {
    size = u16At(body, p) + 1;
    p += 2;
  }
  p += size + 1;
  if (at >= body.length || p > body.length) {
    throw new MediaError(`${what} ModEx block at byte ${at} overruns the ${body.length}-byte tag`);
  }
  return p;
}
