/**
 * Hand-built wire bytes for the hostile suite: chunk headers without a writer's history,
 * and AMF the encoder refuses to make (too deep, too long, truncated, dangling references).
 * @module
 */

import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { writeBasicHeader } from "../../src/rtmp/chunk_writer.ts";
import { concatBytes } from "../../src/bytes.ts";

/** A u32 big-endian. */
export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

/** Joins byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** The fields of one chunk header; absent ones are left out as the format says. */
export interface RawHeader {
  readonly fmt: 0 | 1 | 2 | 3;
  readonly csid: number;
  /** Timestamp (type 0) or delta (types 1, 2); must be below 0xFFFFFF. */
  readonly timestamp?: number;
  readonly length?: number;
  readonly type?: number;
  readonly streamId?: number;
}

/**
 * One chunk header exactly as given, with no per-stream history.
 *
 * @example
 * ```ts
 * import { chunkHeader } from "./wire.ts";
 * chunkHeader({ fmt: 3, csid: 7 }); // Uint8Array [0xc7]
 * ```
 */
export function chunkHeader(h: RawHeader): Uint8Array {
  const out = new Uint8Array(3 + 11);
  let o = writeBasicHeader(out, 0, h.fmt, h.csid);
  const view = new DataView(out.buffer);
  if (h.fmt <= 2) {
    const ts = h.timestamp ?? 0;
    out.set([ts >>> 16, ts >>> 8, ts].map((b) => b & 0xff), o);
    o += 3;
  }
  if (h.fmt <= 1) {
    const len = h.length ?? 0;
    out.set([len >>> 16, len >>> 8, len, h.type ?? 9].map((b) => b & 0xff), o);
    o += 4;
  }
  if (h.fmt === 0) {
    view.setUint32(o, h.streamId ?? 1, true);
    o += 4;
  }
  return out.slice(0, o);
}

const OBJECT_END = [0x00, 0x00, 0x09];

/** An AMF0 object member name (u16 length + UTF-8) followed by raw value bytes. */
export function member(name: string, value: Uint8Array): Uint8Array {
  const key = new TextEncoder().encode(name);
  const out = new Uint8Array(2 + key.length + value.length);
  new DataView(out.buffer).setUint16(0, key.length);
  out.set(key, 2);
  out.set(value, 2 + key.length);
  return out;
}

/** `depth` AMF0 objects each holding the next under key "n" (the outermost is depth 1). */
export function nestedObjects(depth: number): Uint8Array {
  const open = [0x03, 0x00, 0x01, 0x6e];
  const out = new Uint8Array((depth - 1) * (open.length + 3) + 4);
  let o = 0;
  for (let i = 1; i < depth; i++, o += open.length) out.set(open, o);
  out.set([0x03, ...OBJECT_END], o);
  o += 4;
  for (let i = 1; i < depth; i++, o += 3) out.set(OBJECT_END, o);
  return out;
}

/** `depth` AMF3 arrays (under an AVM+ switch), each the single element of the one outside. */
export function nestedAmf3Arrays(depth: number): Uint8Array {
  const out = new Uint8Array(1 + depth * 3 + 1);
  out[0] = 0x11;
  for (let i = 0; i < depth; i++) out.set([0x09, 0x03, 0x01], 1 + i * 3);
  out[out.length - 1] = 0x01; // the innermost element: null
  return out;
}

/** The start of every `connect` body: "connect", transaction id 1. */
export function connectPrefix(): Uint8Array {
  return encodeAmf0(["connect", 1]);
}

/**
 * A `connect` body whose command object (app "live") is nested `depth` deep in all,
 * counting itself as 1.
 */
export function deepConnect(depth: number): Uint8Array {
  return concat(
    connectPrefix(),
    new Uint8Array([0x03]),
    member("app", encodeAmf0(["live"])),
    member("tcUrl", encodeAmf0(["rtmp://127.0.0.1/live"])),
    member("n", nestedObjects(depth - 1)),
    new Uint8Array(OBJECT_END),
  );
}

/** A `connect` body whose command object is `objectBytes` as given. */
export function rawConnect(objectBytes: Uint8Array): Uint8Array {
  return concat(connectPrefix(), objectBytes);
}

/** An AMF0 ECMA array of `n` number members, keys `k0`, `k1`, …, with an end marker. */
export function bigEcmaArray(n: number): Uint8Array {
  let size = 5 + OBJECT_END.length;
  for (let i = 0; i < n; i++) size += 2 + 1 + String(i).length + 9;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x08;
  view.setUint32(1, n);
  let o = 5;
  for (let i = 0; i < n; i++) {
    o = writeKey(out, view, o, `k${i}`);
    out[o] = 0x00;
    view.setFloat64(o + 1, i);
    o += 9;
  }
  out.set(OBJECT_END, o);
  return out;
}

/** An AMF0 object of `n` string members of `valueBytes` bytes each (ASCII "v"). */
export function wideObject(n: number, valueBytes: number): Uint8Array {
  let size = 1 + OBJECT_END.length;
  for (let i = 0; i < n; i++) size += 2 + 1 + String(i).length + 3 + valueBytes;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 0x03;
  let o = 1;
  for (let i = 0; i < n; i++) {
    o = writeKey(out, view, o, `k${i}`);
    out[o] = 0x02;
    view.setUint16(o + 1, valueBytes);
    out.fill(0x76, o + 3, o + 3 + valueBytes);
    o += 3 + valueBytes;
  }
  out.set(OBJECT_END, o);
  return out;
}

/** Writes an ASCII member name with its u16 length at `o`; returns the offset after it. */
function writeKey(out: Uint8Array, view: DataView, o: number, key: string): number {
  view.setUint16(o, key.length);
  for (let j = 0; j < key.length; j++) out[o + 2 + j] = key.charCodeAt(j);
  return o + 2 + key.length;
}

/** A `connect` body with command object app "live" and `extra` raw members. */
export function connectWith(...extra: readonly Uint8Array[]): Uint8Array {
  return rawConnect(
    concat(
      new Uint8Array([0x03]),
      member("app", encodeAmf0(["live"])),
      ...extra,
      new Uint8Array(OBJECT_END),
    ),
  );
}
