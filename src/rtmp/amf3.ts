/**
 * AMF3 encode/decode over the reader, writer and limits in amf_io.ts.
 *
 * Every count and reference index the input declares is checked before use: counts
 * against {@link AmfLimits} and the bytes left, references against the tables built so
 * far (librtmp CVE-2015-8270..8272 indexed them blindly). Nesting is bounded by
 * `maxDepth`, so hostile input fails with an AmfError long before the stack runs out.
 * @module
 */

import { AmfError } from "../errors.ts";
import { AmfEcmaArray, type AmfValue } from "./amf_value.ts";
import {
  type AmfLimits,
  AmfReader,
  AmfWriter,
  checkEncodeDepth,
  DEFAULT_AMF_LIMITS,
  utf8Bytes,
} from "./amf_io.ts";

const U29_MAX = 0x1fffffff;
const INT29_MIN = -0x10000000;
const INT29_MAX = 0x0fffffff;

/** One AMF3 value's reference tables; reset at each AMF0 AVM+ switch. */
interface Tables {
  readonly strings: string[];
  /** Objects, arrays, dates, XML and byte arrays; `PENDING` while still being decoded. */
  readonly objects: (AmfValue | typeof PENDING)[];
  /** Nodes in each entry of `objects`, counted again by each reference to it. */
  readonly weights: number[];
  readonly traits: Traits[];
}

interface Traits {
  readonly dynamic: boolean;
  readonly sealed: readonly string[];
}

const PENDING: unique symbol = Symbol("pending");

function readU29(r: AmfReader): number {
  let v = 0;
  for (let i = 0; i < 3; i++) {
    const b = r.u8("AMF3 U29");
    v = (v << 7) | (b & 0x7f);
    if ((b & 0x80) === 0) return v;
  }
  return (v << 8) | r.u8("AMF3 U29");
}

function readString(r: AmfReader, t: Tables): string {
  const at = r.pos;
  const header = readU29(r);
  if ((header & 1) === 0) return lookup(t.strings, header >> 1, "string", at);
  const s = r.utf8(header >> 1, "AMF3 string");
  if (s !== "") t.strings.push(s);
  return s;
}

function lookup<T>(table: readonly T[], index: number, what: string, at: number): T {
  const v = table[index];
  if (v === undefined) {
    throw new AmfError(
      `AMF3 ${what} reference ${index} at offset ${at} is out of range: table has ${table.length}`,
    );
  }
  return v;
}

/** Returns the referenced object, or null when the header is inline (low bit set). */
function objectRef(r: AmfReader, t: Tables, header: number, at: number): { v: AmfValue } | null {
  if ((header & 1) === 1) return null;
  const index = header >> 1;
  const v = lookup(t.objects, index, "object", at);
  if (v === PENDING) {
    throw new AmfError(`AMF3 object reference ${index} at offset ${at} refers to itself`);
  }
  r.count(t.weights[index]!, at);
  return { v };
}

/** Reserves the next object table entry for a container; returns its slot and first node. */
function open(r: AmfReader, t: Tables): [slot: number, first: number] {
  t.weights.push(0);
  return [t.objects.push(PENDING) - 1, r.nodes];
}

/** Fills a container's object table entry once it is complete. */
function close<T extends AmfValue>(r: AmfReader, t: Tables, slot: number, first: number, v: T): T {
  t.objects[slot] = v;
  t.weights[slot] = r.nodes - first + 1;
  return v;
}

/**
 * Decodes one AMF3 value at `r.pos` with fresh reference tables; used by amf0.ts for the
 * AVM+ switch. `depth` is the number of containers already open around it.
 */
export function readAmf3Value(r: AmfReader, depth: number): AmfValue {
  return readValue(r, { strings: [], objects: [], traits: [], weights: [] }, depth);
}

function readValue(r: AmfReader, t: Tables, depth: number): AmfValue {
  const at = r.pos;
  const marker = r.u8("AMF3 marker");
  r.count(1, at);
  switch (marker) {
    case 0x00:
      return undefined;
    case 0x01:
      return null;
    case 0x02:
      return false;
    case 0x03:
      return true;
    case 0x04: {
      const v = readU29(r);
      return v & 0x10000000 ? v - 0x20000000 : v;
    }
    case 0x05:
      return r.f64("AMF3 double");
    case 0x06:
      return readString(r, t);
    case 0x07:
    case 0x0b:
    case 0x08:
    case 0x0c: {
      const header = readU29(r);
      const ref = objectRef(r, t, header, at);
      if (ref) return ref.v;
      const v = marker === 0x08
        ? new Date(r.f64("AMF3 date"))
        : marker === 0x0c
        ? r.take(header >> 1, "AMF3 byte array")
        : r.utf8(header >> 1, "AMF3 XML");
      t.objects.push(v);
      t.weights.push(1);
      return v;
    }
    case 0x09:
      return readArray(r, t, depth + 1, at);
    case 0x0a:
      return readObject(r, t, depth + 1, at);
    case 0x0d:
    case 0x0e:
    case 0x0f:
      return readNumberVector(r, t, marker, depth + 1, at);
    default:
      throw new AmfError(
        `Unsupported AMF3 marker 0x${marker.toString(16).padStart(2, "0")} at offset ${at}`,
      );
  }
}

function readArray(r: AmfReader, t: Tables, depth: number, at: number): AmfValue {
  const header = readU29(r);
  const ref = objectRef(r, t, header, at);
  if (ref) return ref.v;
  r.checkDepth(depth, at);
  const dense = header >> 1;
  r.checkCount(dense, "AMF3 array", at);
  const [slot, first] = open(r, t);
  const assoc = new AmfEcmaArray();
  for (let key = readString(r, t); key !== ""; key = readString(r, t)) {
    r.checkCount(assoc.size + dense + 1, "AMF3 array", at, 0);
    assoc.set(key, readValue(r, t, depth));
  }
  const items: AmfValue[] = [];
  for (let i = 0; i < dense; i++) items.push(readValue(r, t, depth));
  let result: AmfValue = items;
  if (assoc.size > 0) {
    items.forEach((v, i) => assoc.set(String(i), v));
    result = assoc;
  }
  return close(r, t, slot, first, result);
}

function readTraits(r: AmfReader, t: Tables, header: number, at: number): Traits {
  if ((header & 2) === 0) return lookup(t.traits, header >> 2, "traits", at);
  if ((header & 4) !== 0) {
    throw new AmfError(`Externalizable AMF3 object at offset ${at} is not supported`);
  }
  const count = header >> 4;
  r.checkCount(count, "AMF3 sealed traits", at);
  readString(r, t); // class name: objects decode as plain Maps
  const sealed: string[] = [];
  for (let i = 0; i < count; i++) sealed.push(readString(r, t));
  const traits = { dynamic: (header & 8) !== 0, sealed };
  t.traits.push(traits);
  return traits;
}

function readObject(r: AmfReader, t: Tables, depth: number, at: number): AmfValue {
  const header = readU29(r);
  const ref = objectRef(r, t, header, at);
  if (ref) return ref.v;
  r.checkDepth(depth, at);
  const traits = readTraits(r, t, header, at);
  const [slot, first] = open(r, t);
  const obj = new Map<string, AmfValue>();
  for (const key of traits.sealed) obj.set(key, readValue(r, t, depth));
  if (traits.dynamic) {
    for (let key = readString(r, t); key !== ""; key = readString(r, t)) {
      r.checkCount(obj.size + 1, "AMF3 object", at, 0);
      obj.set(key, readValue(r, t, depth));
    }
  }
  return close(r, t, slot, first, obj);
}

function readNumberVector(
  r: AmfReader,
  t: Tables,
  marker: number,
  depth: number,
  at: number,
): AmfValue {
  const header = readU29(r);
  const ref = objectRef(r, t, header, at);
  if (ref) return ref.v;
  r.checkDepth(depth, at);
  const count = header >> 1;
  const size = marker === 0x0f ? 8 : 4;
  r.u8("AMF3 vector fixed flag");
  r.checkCount(count, "AMF3 vector", at, size);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = marker === 0x0f ? r.f64("AMF3 vector") : r.u32("AMF3 vector");
    out.push(marker === 0x0d ? v | 0 : v);
  }
  t.objects.push(out);
  t.weights.push(count + 1);
  return out;
}

/**
 * Decodes exactly one AMF3 value; trailing bytes are an error.
 *
 * @example
 * ```ts
 * import { decodeAmf3 } from "./amf3.ts";
 * decodeAmf3(new Uint8Array([0x04, 0x7f])); // 127
 * ```
 */
export function decodeAmf3(bytes: Uint8Array, limits?: Partial<AmfLimits>): AmfValue {
  const r = new AmfReader(bytes, { ...DEFAULT_AMF_LIMITS, ...limits });
  const v = readAmf3Value(r, 0);
  if (r.remaining !== 0) {
    throw new AmfError(`AMF3 value ends at offset ${r.pos}: ${r.remaining} bytes follow`);
  }
  return v;
}

function writeU29(w: AmfWriter, v: number): void {
  if (v < 0 || v > U29_MAX) throw new AmfError(`AMF3 U29 value ${v} is out of range`);
  if (v >= 0x200000) {
    w.u8(((v >> 22) & 0x7f) | 0x80);
    w.u8(((v >> 15) & 0x7f) | 0x80);
    w.u8(((v >> 8) & 0x7f) | 0x80);
    w.u8(v & 0xff);
    return;
  }
  if (v >= 0x4000) w.u8(((v >> 14) & 0x7f) | 0x80);
  if (v >= 0x80) w.u8(((v >> 7) & 0x7f) | 0x80);
  w.u8(v & 0x7f);
}

function writeString(w: AmfWriter, strings: Map<string, number>, s: string): void {
  const ref = strings.get(s);
  if (ref !== undefined) return writeU29(w, ref << 1);
  const b = utf8Bytes(s);
  writeU29(w, (b.length << 1) | 1);
  w.bytes(b);
  if (s !== "") strings.set(s, strings.size);
}

/**
 * Appends one AMF3 value to `w` (used by amf0.ts for byte arrays). Strings are written as
 * references when repeated; objects and traits are always written inline.
 */
export function writeAmf3Value(
  w: AmfWriter,
  v: AmfValue,
  strings: Map<string, number> = new Map(),
  depth = 0,
): void {
  if (v === undefined) return w.u8(0x00);
  if (v === null) return w.u8(0x01);
  if (typeof v === "boolean") return w.u8(v ? 0x03 : 0x02);
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= INT29_MIN && v <= INT29_MAX && !Object.is(v, -0)) {
      w.u8(0x04);
      writeU29(w, v & U29_MAX);
    } else {
      w.u8(0x05);
      w.f64(v);
    }
  } else if (typeof v === "string") {
    w.u8(0x06);
    writeString(w, strings, v);
  } else if (v instanceof Date) {
    w.u8(0x08);
    w.u8(0x01); // inline
    w.f64(v.getTime());
  } else if (v instanceof Uint8Array) {
    w.u8(0x0c);
    writeU29(w, (v.length << 1) | 1);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    checkEncodeDepth(depth + 1);
    w.u8(0x09);
    writeU29(w, (v.length << 1) | 1);
    w.u8(0x01); // no associative part
    for (const item of v) writeAmf3Value(w, item, strings, depth + 1);
  } else {
    checkEncodeDepth(depth + 1);
    if (v instanceof AmfEcmaArray) {
      w.u8(0x09);
      w.u8(0x01); // dense count 0
    } else {
      w.u8(0x0a);
      w.u8(0x0b); // inline traits, dynamic, 0 sealed
      w.u8(0x01); // anonymous class name ""
    }
    for (const [key, item] of v) {
      if (key === "") throw new AmfError("AMF3 member names must not be empty");
      writeString(w, strings, key);
      writeAmf3Value(w, item, strings, depth + 1);
    }
    w.u8(0x01);
  }
}

/**
 * Encodes one value as AMF3. Integers in [-2^28, 2^28) become AMF3 integers, other numbers
 * doubles; Map → dynamic anonymous object, AmfEcmaArray → associative array, Uint8Array →
 * ByteArray.
 *
 * @example
 * ```ts
 * import { encodeAmf3 } from "./amf3.ts";
 * encodeAmf3("hi"); // Uint8Array [0x06, 0x05, 0x68, 0x69]
 * ```
 */
export function encodeAmf3(value: AmfValue): Uint8Array {
  const w = new AmfWriter();
  writeAmf3Value(w, value);
  return w.finish();
}
