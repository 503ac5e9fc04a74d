/**
 * AMF0 encode/decode (Adobe AMF0 specification), with the AVM+ switch to AMF3.
 *
 * ```
 * marker  payload
 * 0x00    number       f64
 * 0x01    boolean      u8
 * 0x02    string       u16 length, UTF-8
 * 0x03    object       (u16 name length, name, value)*, 0x00 0x00 0x09
 * 0x05    null
 * 0x06    undefined
 * 0x07    reference    u16 index of an earlier object, ECMA array or strict array
 * 0x08    ECMA array   u32 count (advisory), members as in an object, 0x00 0x00 0x09
 * 0x0A    strict array u32 count, values
 * 0x0B    date         f64 ms since epoch, s16 time zone (ignored)
 * 0x0C    long string  u32 length, UTF-8
 * 0x0D    unsupported  (decodes as undefined)
 * 0x0F    XML document u32 length, UTF-8
 * 0x10    typed object u16 class name length, class name, members, 0x00 0x00 0x09
 * 0x11    AVM+ switch  one AMF3 value
 * ```
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
import { readAmf3Value, writeAmf3Value } from "./amf3.ts";

export { type AmfLimits, DEFAULT_AMF_LIMITS };

/** An AMF0 typed object (marker 0x10): a Map of members that keeps its class name. */
export class AmfTypedObject extends Map<string, AmfValue> {
  /** The class name from the wire. */
  readonly className: string;

  /** Creates a typed object of class `className`. */
  constructor(className: string, entries?: Iterable<readonly [string, AmfValue]>) {
    super(entries);
    this.className = className;
  }
}

const OBJECT_END = 0x09;
const PENDING: unique symbol = Symbol("pending");

/** Per-message decoder state: the cursor and the object reference table. */
interface State {
  readonly r: AmfReader;
  /** Objects, ECMA arrays and strict arrays; `PENDING` while still being decoded. */
  readonly refs: (AmfValue | typeof PENDING)[];
  /** Nodes in each entry of `refs`, counted again by each reference to it. */
  readonly weights: number[];
}

function hex(marker: number): string {
  return `0x${marker.toString(16).padStart(2, "0")}`;
}

function readValue(s: State, depth: number): AmfValue {
  const { r } = s;
  const at = r.pos;
  const marker = r.u8("AMF0 marker");
  r.count(1, at);
  switch (marker) {
    case 0x00:
      return r.f64("AMF0 number");
    case 0x01:
      return r.u8("AMF0 boolean") !== 0;
    case 0x02:
      return r.utf8(r.u16("AMF0 string length"), "AMF0 string");
    case 0x03:
      return readMembers(s, new Map(), depth + 1, at, "AMF0 object");
    case 0x05:
      return null;
    case 0x06:
    case 0x0d:
      return undefined;
    case 0x07:
      return readReference(s, at);
    case 0x08:
      r.u32("AMF0 ECMA array count"); // advisory: encoders disagree, the end marker decides
      return readMembers(s, new AmfEcmaArray(), depth + 1, at, "AMF0 ECMA array");
    case 0x0a:
      return readStrictArray(s, depth + 1, at);
    case 0x0b: {
      const ms = r.f64("AMF0 date");
      r.u16("AMF0 date time zone");
      return new Date(ms);
    }
    case 0x0c:
      return r.utf8(r.u32("AMF0 long string length"), "AMF0 long string");
    case 0x0f:
      return r.utf8(r.u32("AMF0 XML document length"), "AMF0 XML document");
    case 0x10: {
      const className = r.utf8(r.u16("AMF0 class name length"), "AMF0 class name");
      return readMembers(s, new AmfTypedObject(className), depth + 1, at, "AMF0 typed object");
    }
    case 0x11:
      return readAmf3Value(r, depth);
    case OBJECT_END:
      throw new AmfError(`Unexpected AMF0 object end marker at offset ${at}`);
    default:
      throw new AmfError(`Unsupported AMF0 marker ${hex(marker)} at offset ${at}`);
  }
}

function readMembers<M extends Map<string, AmfValue>>(
  s: State,
  obj: M,
  depth: number,
  at: number,
  what: string,
): M {
  const { r } = s;
  r.checkDepth(depth, at);
  const [slot, first] = open(s);
  for (;;) {
    const length = r.u16(`${what} member name`);
    if (length === 0 && r.bytes[r.pos] === OBJECT_END) {
      r.pos++;
      break;
    }
    const key = r.utf8(length, `${what} member name`);
    r.checkCount(obj.size + 1, what, at, 0);
    obj.set(key, readValue(s, depth));
  }
  return close(s, slot, first, obj);
}

function readStrictArray(s: State, depth: number, at: number): AmfValue[] {
  const { r } = s;
  r.checkDepth(depth, at);
  const count = r.u32("AMF0 strict array count");
  r.checkCount(count, "AMF0 strict array", at);
  const [slot, first] = open(s);
  const items: AmfValue[] = [];
  for (let i = 0; i < count; i++) items.push(readValue(s, depth));
  return close(s, slot, first, items);
}

/** Reserves the next reference table entry for a container; returns its slot and first node. */
function open(s: State): [slot: number, first: number] {
  s.weights.push(0);
  return [s.refs.push(PENDING) - 1, s.r.nodes];
}

/** Fills a container's reference table entry once it is complete. */
function close<T extends AmfValue>(s: State, slot: number, first: number, v: T): T {
  s.refs[slot] = v;
  s.weights[slot] = s.r.nodes - first + 1;
  return v;
}

function readReference(s: State, at: number): AmfValue {
  const index = s.r.u16("AMF0 reference");
  const v = s.refs[index];
  if (v === undefined) {
    throw new AmfError(
      `AMF0 reference ${index} at offset ${at} is out of range: table has ${s.refs.length}`,
    );
  }
  if (v === PENDING) {
    throw new AmfError(
      `AMF0 reference ${index} at offset ${at} refers to an object still being decoded`,
    );
  }
  s.r.count(s.weights[index]!, at);
  return v;
}

function stateFor(bytes: Uint8Array, offset: number, limits?: Partial<AmfLimits>): State {
  return {
    r: new AmfReader(bytes, { ...DEFAULT_AMF_LIMITS, ...limits }, offset),
    refs: [],
    weights: [],
  };
}

/**
 * Decodes one AMF0 value starting at `offset`; returns it and the offset just past it.
 *
 * @example
 * ```ts
 * import { decodeAmf0Value } from "./amf0.ts";
 * decodeAmf0Value(new Uint8Array([0x05, 0x01, 0x01]), 1); // { value: true, end: 3 }
 * ```
 */
export function decodeAmf0Value(
  bytes: Uint8Array,
  offset = 0,
  limits?: Partial<AmfLimits>,
): { value: AmfValue; end: number } {
  const s = stateFor(bytes, offset, limits);
  const value = readValue(s, 0);
  return { value, end: s.r.pos };
}

/**
 * Decodes AMF0 values until the end of `bytes`. References resolve within this call.
 * Throws AmfError on truncated or malformed input and on anything over `limits`.
 *
 * @example
 * ```ts
 * import { decodeAmf0 } from "./amf0.ts";
 * decodeAmf0(new Uint8Array([0x02, 0x00, 0x02, 0x68, 0x69, 0x05])); // ["hi", null]
 * ```
 */
export function decodeAmf0(bytes: Uint8Array, limits?: Partial<AmfLimits>): AmfValue[] {
  const s = stateFor(bytes, 0, limits);
  const values: AmfValue[] = [];
  while (s.r.remaining > 0) values.push(readValue(s, 0));
  return values;
}

function writeName(w: AmfWriter, name: string): void {
  const b = utf8Bytes(name);
  if (b.length > 0xffff) {
    throw new AmfError(`AMF0 member name is ${b.length} bytes: limit is 65535`);
  }
  w.u16(b.length);
  w.bytes(b);
}

function writeMembers(w: AmfWriter, obj: Map<string, AmfValue>, depth: number): void {
  for (const [key, v] of obj) {
    writeName(w, key);
    writeValue(w, v, depth);
  }
  w.u16(0);
  w.u8(OBJECT_END);
}

function writeValue(w: AmfWriter, v: AmfValue, depth: number): void {
  if (typeof v === "number") {
    w.u8(0x00);
    w.f64(v);
  } else if (typeof v === "boolean") {
    w.u8(0x01);
    w.u8(v ? 1 : 0);
  } else if (typeof v === "string") {
    const b = utf8Bytes(v);
    if (b.length <= 0xffff) {
      w.u8(0x02);
      w.u16(b.length);
    } else {
      w.u8(0x0c);
      w.u32(b.length);
    }
    w.bytes(b);
  } else if (v === null) {
    w.u8(0x05);
  } else if (v === undefined) {
    w.u8(0x06);
  } else if (v instanceof Date) {
    w.u8(0x0b);
    w.f64(v.getTime());
    w.u16(0);
  } else if (v instanceof Uint8Array) {
    w.u8(0x11); // AMF0 has no byte array: switch to AMF3 for one ByteArray
    writeAmf3Value(w, v);
  } else {
    checkEncodeDepth(depth + 1);
    if (Array.isArray(v)) {
      w.u8(0x0a);
      w.u32(v.length);
      for (const item of v) writeValue(w, item, depth + 1);
    } else if (v instanceof AmfTypedObject) {
      w.u8(0x10);
      writeName(w, v.className);
      writeMembers(w, v, depth + 1);
    } else if (v instanceof AmfEcmaArray) {
      w.u8(0x08);
      w.u32(v.size);
      writeMembers(w, v, depth + 1);
    } else {
      w.u8(0x03);
      writeMembers(w, v, depth + 1);
    }
  }
}

/**
 * Encodes values as consecutive AMF0. A number is an AMF0 number; a string over 65535
 * UTF-8 bytes a long string; Map → object, AmfEcmaArray → ECMA array, AmfTypedObject →
 * typed object, array → strict array, Date → date, Uint8Array → AMF3 ByteArray via AVM+.
 *
 * @example
 * ```ts
 * import { encodeAmf0 } from "./amf0.ts";
 * encodeAmf0(["hi", null]); // Uint8Array [0x02, 0x00, 0x02, 0x68, 0x69, 0x05]
 * ```
 */
export function encodeAmf0(values: readonly AmfValue[]): Uint8Array {
  const w = new AmfWriter();
  for (const v of values) writeValue(w, v, 0);
  return w.finish();
}
