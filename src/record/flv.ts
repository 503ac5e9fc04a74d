/**
 * FLV file header and tags as pure functions over bytes.
 *
 * ```
 * header (9 bytes) then PreviousTagSize0 (4 bytes, always 0)
 *  0      1      2      3      4        5      6      7      8
 * +------+------+------+------+--------+------+------+------+------+
 * | 'F'  | 'L'  | 'V'  | 0x01 | flags  |  data offset (u32 BE) = 9 |
 * +------+------+------+------+--------+------+------+------+------+
 *   flags: 0x04 audio, 0x01 video
 *
 * tag (11-byte header, body, PreviousTagSize = 11 + body length, u32 BE)
 *  0      1      2      3      4      5      6      7      8      9      10
 * +------+------+------+------+------+------+------+------+------+------+------+
 * | type |  body length (u24) |  timestamp low 24  | ts hi|  stream id (u24)=0 |
 * +------+------+------+------+------+------+------+------+------+------+------+
 *   type: 8 audio, 9 video, 18 script data
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";

/** FLV tag types. */
export const FlvTagType = {
  Audio: 8,
  Video: 9,
  Script: 18,
} as const;

/** One of the FLV tag type numbers. */
export type FlvTagTypeNumber = typeof FlvTagType[keyof typeof FlvTagType];

/** Bytes in the FLV file header, not counting PreviousTagSize0. */
export const FLV_HEADER_SIZE = 9;
/** Bytes in a tag header. */
export const FLV_TAG_HEADER_SIZE = 11;
/** Bytes in a PreviousTagSize field. */
export const FLV_PREVIOUS_TAG_SIZE = 4;
/** Largest tag body: the length field is 24 bits. */
export const FLV_MAX_BODY_SIZE = 0xffffff;

/** Which tracks the header announces. */
export interface FlvHeaderFlags {
  readonly audio: boolean;
  readonly video: boolean;
}

/** One FLV tag; `timestamp` is milliseconds, 0..2^32-1. */
export interface FlvTag {
  readonly type: FlvTagTypeNumber;
  readonly timestamp: number;
  readonly body: Uint8Array;
}

/** What {@linkcode decodeFlvTags} found. */
export interface FlvDecoded {
  /** The file header, or null when the bytes began with a tag or hold less than a whole header. */
  readonly header: FlvHeaderFlags | null;
  /** Every whole tag in order; bodies are views into the input. */
  readonly tags: FlvTag[];
  /** Offset just past the last whole tag (PreviousTagSize included), else past the header. */
  readonly end: number;
}

/**
 * Encodes the 9-byte FLV header followed by PreviousTagSize0.
 *
 * @example
 * ```ts
 * import { encodeFlvHeader } from "./flv.ts";
 * const bytes = encodeFlvHeader({ audio: true, video: true });
 * console.assert(bytes.length === 13 && bytes[4] === 0x05);
 * ```
 */
export function encodeFlvHeader(flags: FlvHeaderFlags): Uint8Array {
  const out = new Uint8Array(FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE);
  out.set([0x46, 0x4c, 0x56, 0x01]);
  out[4] = (flags.audio ? 0x04 : 0) | (flags.video ? 0x01 : 0);
  out[8] = FLV_HEADER_SIZE;
  return out;
}

/**
 * Decodes an FLV header (the first 9 bytes of a file).
 *
 * @example
 * ```ts
 * import { decodeFlvHeader, encodeFlvHeader } from "./flv.ts";
 * const flags = decodeFlvHeader(encodeFlvHeader({ audio: false, video: true }));
 * console.assert(flags.video && !flags.audio);
 * ```
 */
export function decodeFlvHeader(
  bytes: Uint8Array,
): FlvHeaderFlags & { readonly dataOffset: number } {
  if (bytes.length < FLV_HEADER_SIZE) {
    throw new MediaError(`FLV header needs ${FLV_HEADER_SIZE} bytes: got ${bytes.length}`);
  }
  if (bytes[0] !== 0x46 || bytes[1] !== 0x4c || bytes[2] !== 0x56) {
    throw new MediaError(
      `FLV signature must be 46 4c 56: got ${hex(bytes[0])} ${hex(bytes[1])} ${hex(bytes[2])}`,
    );
  }
  if (bytes[3] !== 1) {
    throw new MediaError(`FLV version must be 1: got ${bytes[3]}`);
  }
  const flags = bytes[4] ?? 0;
  const dataOffset = view(bytes).getUint32(5);
  if (dataOffset < FLV_HEADER_SIZE) {
    throw new MediaError(`FLV data offset must be at least 9: got ${dataOffset}`);
  }
  return { audio: (flags & 0x04) !== 0, video: (flags & 0x01) !== 0, dataOffset };
}

/**
 * Bytes {@linkcode encodeFlvTag} produces for a body of `bodyLength` bytes.
 *
 * @example
 * ```ts
 * import { flvTagSize } from "./flv.ts";
 * console.assert(flvTagSize(5) === 20);
 * ```
 */
export function flvTagSize(bodyLength: number): number {
  return FLV_TAG_HEADER_SIZE + bodyLength + FLV_PREVIOUS_TAG_SIZE;
}

/**
 * Encodes one tag: 11-byte header, body, PreviousTagSize.
 *
 * @example
 * ```ts
 * import { encodeFlvTag } from "./flv.ts";
 * const bytes = encodeFlvTag({ type: 9, timestamp: 40, body: new Uint8Array([0x17]) });
 * console.assert(bytes.length === 16 && bytes[6] === 40);
 * ```
 */
export function encodeFlvTag(tag: FlvTag): Uint8Array {
  const out = new Uint8Array(flvTagSize(tag.body.length));
  encodeFlvTagTo(out, 0, tag);
  return out;
}

/**
 * Encodes one tag into `buf` at `offset` without allocating; returns the bytes written.
 *
 * @example
 * ```ts
 * import { encodeFlvTagTo } from "./flv.ts";
 * const buf = new Uint8Array(64);
 * const n = encodeFlvTagTo(buf, 13, { type: 8, timestamp: 0, body: new Uint8Array(3) });
 * console.assert(n === 18 && buf[13] === 8);
 * ```
 */
export function encodeFlvTagTo(buf: Uint8Array, offset: number, tag: FlvTag): number {
  const { type, timestamp, body } = tag;
  const size = flvTagSize(body.length);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) {
    throw new RangeError(
      `FLV tag of ${size} bytes does not fit at offset ${offset} of ${buf.length} bytes`,
    );
  }
  encodeFlvTagHeaderTo(buf, offset, { type, timestamp, bodyLength: body.length });
  const dv = view(buf);
  buf.set(body, offset + FLV_TAG_HEADER_SIZE);
  dv.setUint32(offset + FLV_TAG_HEADER_SIZE + body.length, FLV_TAG_HEADER_SIZE + body.length);
  return size;
}

/**
 * Writes the 11-byte header of a tag whose body is `bodyLength` bytes at `offset` of `buf`
 * (which must have room); throws {@linkcode MediaError} on a bad type, timestamp or length.
 *
 * @example
 * ```ts
 * import { encodeFlvTagHeaderTo } from "./flv.ts";
 * const h = new Uint8Array(11);
 * encodeFlvTagHeaderTo(h, 0, { type: 9, timestamp: 1000, bodyLength: 5 });
 * // h: 09 000005 0003e8 00 000000
 * ```
 */
export function encodeFlvTagHeaderTo(
  buf: Uint8Array,
  offset: number,
  tag: { readonly type: number; readonly timestamp: number; readonly bodyLength: number },
): void {
  const { type, timestamp, bodyLength } = tag;
  if (type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) {
    throw new MediaError(`FLV tag type must be 8, 9 or 18: got ${type}`);
  }
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) {
    throw new MediaError(`FLV tag timestamp must be an integer in 0..4294967295: got ${timestamp}`);
  }
  if (bodyLength > FLV_MAX_BODY_SIZE) {
    throw new MediaError(`FLV tag body must be at most 16777215 bytes: got ${bodyLength}`);
  }
  // Byte stores, not a DataView: this runs once per recorded tag.
  buf[offset] = type;
  buf[offset + 1] = bodyLength >>> 16; // body length, 24 bits
  buf[offset + 2] = bodyLength >>> 8;
  buf[offset + 3] = bodyLength;
  buf[offset + 4] = timestamp >>> 16; // timestamp, low 24 bits
  buf[offset + 5] = timestamp >>> 8;
  buf[offset + 6] = timestamp;
  buf[offset + 7] = timestamp >>> 24; // timestamp, high 8 bits
  buf[offset + 8] = buf[offset + 9] = buf[offset + 10] = 0; // stream id
}

/**
 * Reads tags until the bytes run out, a tag is cut short, or a tag is malformed
 * (unknown type or a PreviousTagSize that disagrees); `end` says how far the whole
 * tags reach. Accepts a whole file (header first) or bare tags.
 *
 * @example
 * ```ts
 * import { decodeFlvTags, encodeFlvTag } from "./flv.ts";
 * const tag = encodeFlvTag({ type: 18, timestamp: 0, body: new Uint8Array(2) });
 * const { tags, end } = decodeFlvTags(tag.subarray(0, 10));
 * console.assert(tags.length === 0 && end === 0);
 * ```
 */
export function decodeFlvTags(bytes: Uint8Array): FlvDecoded {
  let header: FlvHeaderFlags | null = null;
  let pos = 0;
  if (bytes[0] === 0x46) {
    if (bytes.length < FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE) {
      return { header: null, tags: [], end: 0 };
    }
    const h = decodeFlvHeader(bytes);
    pos = h.dataOffset + FLV_PREVIOUS_TAG_SIZE;
    if (pos > bytes.length) return { header: null, tags: [], end: 0 };
    header = { audio: h.audio, video: h.video };
  }
  const dv = view(bytes);
  const tags: FlvTag[] = [];
  while (pos + FLV_TAG_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE <= bytes.length) {
    const type = bytes[pos];
    if (type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) {
      break;
    }
    const length = dv.getUint32(pos) & 0xffffff;
    const bodyAt = pos + FLV_TAG_HEADER_SIZE;
    const next = bodyAt + length + FLV_PREVIOUS_TAG_SIZE;
    if (next > bytes.length || dv.getUint32(next - 4) !== FLV_TAG_HEADER_SIZE + length) {
      break;
    }
    const timestamp = ((dv.getUint32(pos + 4) >>> 8) | (bytes[pos + 7] ?? 0) << 24) >>> 0;
    tags.push({ type, timestamp, body: bytes.subarray(bodyAt, bodyAt + length) });
    pos = next;
  }
  return { header, tags, end: pos };
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function hex(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, "0");
}
