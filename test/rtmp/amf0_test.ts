import assert from "node:assert/strict";
import {
  AmfTypedObject,
  decodeAmf0,
  decodeAmf0Value,
  DEFAULT_AMF_LIMITS,
  encodeAmf0,
} from "../../src/rtmp/amf0.ts";
import { AmfError } from "../../src/errors.ts";
import { AmfEcmaArray, type AmfValue } from "../../src/rtmp/amf_value.ts";

function ascii(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

/** Encoded by encodeAmf0 and decoded by decodeAmf0: both directions must match. */
// deno-fmt-ignore
const VECTORS: { name: string; decoded: AmfValue[]; encoded: number[] }[] = [
  {
    name: "a number",
    decoded: [1.5],
    encoded: [0x00, 0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // number 1.5
  },
  {
    name: "booleans",
    decoded: [true, false],
    encoded: [
      0x01, 0x01, // boolean true
      0x01, 0x00, // boolean false
    ],
  },
  {
    name: "a string",
    decoded: ["hi"],
    encoded: [0x02, 0x00, 0x02, 0x68, 0x69], // string, length 2, "hi"
  },
  {
    name: "a UTF-8 string",
    decoded: ["é"],
    encoded: [0x02, 0x00, 0x02, 0xc3, 0xa9], // string, 2 bytes, U+00E9
  },
  { name: "null and undefined", decoded: [null, undefined], encoded: [0x05, 0x06] },
  {
    name: "an object in key order",
    decoded: [new Map<string, AmfValue>([["b", 1], ["a", null]])],
    encoded: [
      0x03, // object
      0x00, 0x01, 0x62, // name "b"
      0x00, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // number 1
      0x00, 0x01, 0x61, // name "a"
      0x05, // null
      0x00, 0x00, 0x09, // object end
    ],
  },
  { name: "an empty object", decoded: [new Map()], encoded: [0x03, 0x00, 0x00, 0x09] },
  {
    name: "an ECMA array",
    decoded: [new AmfEcmaArray([["duration", 0]])],
    encoded: [
      0x08, 0x00, 0x00, 0x00, 0x01, // ECMA array, count 1
      0x00, 0x08, ...ascii("duration"), // name "duration"
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // number 0
      0x00, 0x00, 0x09, // object end
    ],
  },
  {
    name: "a strict array",
    decoded: [[true, "a"]],
    encoded: [
      0x0a, 0x00, 0x00, 0x00, 0x02, // strict array, count 2
      0x01, 0x01, // true
      0x02, 0x00, 0x01, 0x61, // "a"
    ],
  },
  {
    name: "a date",
    decoded: [new Date(1000)],
    encoded: [
      0x0b, // date
      0x40, 0x8f, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, // 1000 ms
      0x00, 0x00, // time zone
    ],
  },
  {
    name: "a typed object",
    decoded: [new AmfTypedObject("P", [["x", true]])],
    encoded: [
      0x10, 0x00, 0x01, 0x50, // typed object, class "P"
      0x00, 0x01, 0x78, // name "x"
      0x01, 0x01, // true
      0x00, 0x00, 0x09, // object end
    ],
  },
  {
    name: "a byte array through the AVM+ switch",
    decoded: [new Uint8Array([0xca, 0xfe])],
    encoded: [
      0x11, // switch to AMF3
      0x0c, 0x05, 0xca, 0xfe, // ByteArray, inline, length 2
    ],
  },
  {
    name: "a long string past 65535 bytes",
    decoded: ["x".repeat(65536)],
    encoded: [
      0x0c, 0x00, 0x01, 0x00, 0x00, // long string, length 65536
      ...ascii("x".repeat(65536)),
    ],
  },
  {
    name: "a string of exactly 65535 bytes",
    decoded: ["y".repeat(65535)],
    encoded: [
      0x02, 0xff, 0xff, // string, length 65535
      ...ascii("y".repeat(65535)),
    ],
  },
];

for (const v of VECTORS) {
  Deno.test(`encodeAmf0() encodes ${v.name}`, () => {
    assert.deepEqual(encodeAmf0(v.decoded), new Uint8Array(v.encoded));
  });
  Deno.test(`decodeAmf0() decodes ${v.name}`, () => {
    assert.deepStrictEqual(decodeAmf0(new Uint8Array(v.encoded)), v.decoded);
  });
}

/** Valid input our encoder never produces. */
// deno-fmt-ignore
const DECODE_ONLY: { name: string; decoded: AmfValue[]; encoded: number[] }[] = [
  { name: "a non-zero boolean byte as true", decoded: [true], encoded: [0x01, 0x07] },
  { name: "the unsupported marker as undefined", decoded: [undefined], encoded: [0x0d] },
  {
    name: "an XML document as a string",
    decoded: ["<a/>"],
    encoded: [
      0x0f, 0x00, 0x00, 0x00, 0x04, // XML document, u32 length 4
      ...ascii("<a/>"),
    ],
  },
  {
    name: "an ECMA array whose count is wrong",
    decoded: [new AmfEcmaArray([["a", null]])],
    encoded: [
      0x08, 0x00, 0x00, 0x00, 0x00, // ECMA array, declared count 0
      0x00, 0x01, 0x61, 0x05, // a: null
      0x00, 0x00, 0x09, // object end
    ],
  },
  {
    name: "a date with a time zone",
    decoded: [new Date(0)],
    encoded: [
      0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // date 0
      0xff, 0x88, // time zone -120
    ],
  },
  {
    name: "an AMF3 integer after the AVM+ switch",
    decoded: [-1, "a"],
    encoded: [
      0x11, 0x04, 0xff, 0xff, 0xff, 0xff, // AVM+ switch, AMF3 integer -1
      0x02, 0x00, 0x01, 0x61, // back in AMF0: "a"
    ],
  },
];

for (const v of DECODE_ONLY) {
  Deno.test(`decodeAmf0() decodes ${v.name}`, () => {
    assert.deepStrictEqual(decodeAmf0(new Uint8Array(v.encoded)), v.decoded);
  });
}

Deno.test("decodeAmf0() keeps object key order", () => {
  const keys = ["z", "a", "m", "b"];
  const obj = new Map<string, AmfValue>(keys.map((k) => [k, k]));
  const [decoded] = decodeAmf0(encodeAmf0([obj]));
  assert.ok(decoded instanceof Map);
  assert.deepEqual([...decoded.keys()], keys);
});

Deno.test("decodeAmf0() resolves a reference to the earlier object", () => {
  // deno-fmt-ignore
  const bytes = new Uint8Array([
    0x0a, 0x00, 0x00, 0x00, 0x02, // strict array (reference 0), count 2
    0x03, 0x00, 0x01, 0x61, 0x05, 0x00, 0x00, 0x09, // object (reference 1) { a: null }
    0x07, 0x00, 0x01, // reference 1
  ]);
  const [list] = decodeAmf0(bytes);
  assert.ok(Array.isArray(list));
  assert.deepStrictEqual(list[0], new Map([["a", null]]));
  assert.equal(list[1], list[0]);
});

Deno.test("decodeAmf0Value() starts at an offset and reports the end", () => {
  const bytes = new Uint8Array([0x05, 0x02, 0x00, 0x01, 0x61, 0x06]);
  assert.deepEqual(decodeAmf0Value(bytes, 1), { value: "a", end: 5 });
});

/** `levels` objects nested through member "a", with null innermost. */
function nestedObjects(levels: number): Uint8Array {
  const out = new Uint8Array(levels * 7 + 1);
  for (let i = 0; i < levels; i++) out.set([0x03, 0x00, 0x01, 0x61], i * 4);
  out[levels * 4] = 0x05;
  for (let i = 0; i < levels; i++) out.set([0x00, 0x00, 0x09], levels * 4 + 1 + i * 3);
  return out;
}

/** `levels` strict arrays of one element each, with null innermost. */
function nestedStrictArrays(levels: number): Uint8Array {
  const out = new Uint8Array(levels * 5 + 1);
  for (let i = 0; i < levels; i++) out.set([0x0a, 0x00, 0x00, 0x00, 0x01], i * 5);
  out[levels * 5] = 0x05;
  return out;
}

function depthOf(v: AmfValue): number {
  let depth = 0;
  while (v instanceof Map) {
    depth++;
    v = v.get("a");
  }
  return depth;
}

/** Truncated, hostile and over-limit input: each must be an AmfError matching `error`. */
// deno-fmt-ignore
const HOSTILE: { name: string; encoded: Uint8Array | number[]; error: RegExp }[] = [
  {
    name: "a truncated number",
    encoded: [0x00, 0x3f, 0xf0], // number, 2 of 8 bytes
    error: /Truncated AMF0 number at offset 1: need 8 bytes, 2 left/,
  },
  {
    name: "a string shorter than its length",
    encoded: [0x02, 0x00, 0x05, 0x61, 0x62], // string, length 5, 2 bytes
    error: /Truncated AMF0 string at offset 3: need 5 bytes, 2 left/,
  },
  {
    name: "a missing string length",
    encoded: [0x02, 0x00], // string, 1 of 2 length bytes
    error: /Truncated AMF0 string length at offset 1/,
  },
  {
    name: "a strict array counting 0xFFFFFFFF",
    encoded: [0x0a, 0xff, 0xff, 0xff, 0xff, 0x05], // strict array, count 2^32 - 1, null
    error: /strict array at offset 0 has 4294967295 elements: limit is 1024/,
  },
  {
    name: "a strict array counting more than the bytes left",
    encoded: [0x0a, 0x00, 0x00, 0x03, 0xe8, 0x05], // strict array, count 1000, null
    error: /Truncated AMF0 strict array at offset 5: need 1000 bytes, 1 left/,
  },
  {
    name: "an object without an end marker",
    encoded: [0x03, 0x00, 0x01, 0x61, 0x05], // object, a: null, then nothing
    error: /Truncated AMF0 object member name at offset 5/,
  },
  {
    name: "a long string over maxStringBytes",
    encoded: [0x0c, 0x00, 0x10, 0x00, 0x00], // long string, length 1 MiB
    error: /AMF0 long string at offset 5 is 1048576 bytes: limit is 65536/,
  },
  {
    name: "a reference past the table",
    encoded: [
      0x03, 0x00, 0x01, 0x61, // object (reference 0), name "a"
      0x07, 0x00, 0x05, // reference 5
      0x00, 0x00, 0x09, // object end
    ],
    error: /AMF0 reference 5 at offset 4 is out of range: table has 1/,
  },
  {
    name: "an object that references itself",
    encoded: [
      0x03, 0x00, 0x01, 0x61, // object (reference 0), name "a"
      0x07, 0x00, 0x00, // reference 0
      0x00, 0x00, 0x09, // object end
    ],
    error: /AMF0 reference 0 at offset 4 refers to an object still being decoded/,
  },
  { name: "a stray object end", encoded: [0x09], error: /object end marker at offset 0/ },
  { name: "a movie clip", encoded: [0x04], error: /Unsupported AMF0 marker 0x04 at offset 0/ },
  { name: "a record set", encoded: [0x0e], error: /Unsupported AMF0 marker 0x0e at offset 0/ },
  { name: "an unknown marker", encoded: [0x05, 0x42], error: /marker 0x42 at offset 1/ },
  {
    name: "65 nested objects",
    encoded: nestedObjects(65),
    error: /AMF nesting at offset 256 reaches depth 65: limit is 64/,
  },
  {
    name: "100 000 nested objects",
    encoded: nestedObjects(100_000),
    error: /AMF nesting at offset 256 reaches depth 65: limit is 64/,
  },
  {
    name: "100 000 nested strict arrays",
    encoded: nestedStrictArrays(100_000),
    error: /AMF nesting at offset 320 reaches depth 65: limit is 64/,
  },
  {
    name: "AMF3 nesting that continues 64 AMF0 levels",
    encoded: [...nestedObjects(64)].toSpliced(256, 1, 0x11, 0x09, 0x01, 0x01), // innermost [] in AMF3
    error: /AMF nesting at offset 257 reaches depth 65: limit is 64/,
  },
];

for (const v of HOSTILE) {
  Deno.test(`decodeAmf0() rejects ${v.name}`, () => {
    assert.throws(() => decodeAmf0(new Uint8Array(v.encoded)), (e: unknown) => {
      assert.ok(e instanceof AmfError, String(e));
      assert.match(e.message, v.error);
      return true;
    });
  });
}

Deno.test("decodeAmf0() accepts 64 nested objects", () => {
  const [v] = decodeAmf0(nestedObjects(64));
  assert.equal(depthOf(v), 64);
});

Deno.test("decodeAmf0() counts object members against maxElements", () => {
  const obj = new Map<string, AmfValue>([["a", 1], ["b", 2], ["c", 3]]);
  const bytes = encodeAmf0([obj]);
  assert.equal(decodeAmf0(bytes, { maxElements: 3 }).length, 1);
  assert.throws(
    () => decodeAmf0(bytes, { maxElements: 2 }),
    /AMF0 object at offset 0 has 3 elements: limit is 2/,
  );
});

Deno.test("decodeAmf0() applies partial limits over the defaults", () => {
  assert.deepEqual(DEFAULT_AMF_LIMITS, { maxDepth: 64, maxElements: 1024, maxStringBytes: 65536 });
  assert.throws(() => decodeAmf0(nestedObjects(3), { maxDepth: 2 }), /depth 3: limit is 2/);
  assert.throws(
    () => decodeAmf0(encodeAmf0(["abc"]), { maxStringBytes: 2 }),
    /AMF0 string at offset 3 is 3 bytes: limit is 2/,
  );
});

Deno.test("encodeAmf0() refuses a member name over 65535 bytes", () => {
  const obj = new Map([["k".repeat(65536), null]]);
  assert.throws(() => encodeAmf0([obj]), /member name is 65536 bytes: limit is 65535/);
});

Deno.test("encodeAmf0() refuses a cyclic value instead of overflowing the stack", () => {
  const obj = new Map<string, AmfValue>();
  obj.set("self", obj);
  assert.throws(() => encodeAmf0([obj]), /nested 65 deep/);
});

Deno.test("decodeAmf0() refuses references that double the value at every level", () => {
  // deno-fmt-ignore
  const bytes = [
    0x0a, 0x00, 0x00, 0x00, 0x02, 0x05, 0x05, // strict array (reference 0): [null, null]
  ];
  for (let k = 1; k <= 40; k++) {
    // strict array (reference k): [reference k - 1, reference k - 1]
    bytes.push(0x0a, 0x00, 0x00, 0x00, 0x02, 0x07, 0x00, k - 1, 0x07, 0x00, k - 1);
  }
  assert.throws(
    () => decodeAmf0(new Uint8Array(bytes)),
    /AMF references at offset \d+ expand the value to \d+ nodes: limit is 1471/,
  );
});
