import assert from "node:assert/strict";
import { decodeAmf3, encodeAmf3 } from "../../src/rtmp/amf3.ts";
import { AmfError } from "../../src/errors.ts";
import { AmfEcmaArray, type AmfValue } from "../../src/rtmp/amf_value.ts";

/** Encoded by encodeAmf3 and decoded by decodeAmf3: both directions must match. */
// deno-fmt-ignore
const VECTORS: { name: string; decoded: AmfValue; encoded: number[] }[] = [
  { name: "undefined", decoded: undefined, encoded: [0x00] },
  { name: "null", decoded: null, encoded: [0x01] },
  { name: "false", decoded: false, encoded: [0x02] },
  { name: "true", decoded: true, encoded: [0x03] },
  { name: "integer 0", decoded: 0, encoded: [0x04, 0x00] },
  { name: "integer 127 in one byte", decoded: 127, encoded: [0x04, 0x7f] },
  { name: "integer 128 in two bytes", decoded: 128, encoded: [0x04, 0x81, 0x00] },
  { name: "integer 16383 in two bytes", decoded: 16383, encoded: [0x04, 0xff, 0x7f] },
  { name: "integer 16384 in three bytes", decoded: 16384, encoded: [0x04, 0x81, 0x80, 0x00] },
  {
    name: "integer 2^21 in four bytes",
    decoded: 0x200000,
    encoded: [0x04, 0x80, 0xc0, 0x80, 0x00], // integer; 7 + 7 + 7 + 8 bits
  },
  { name: "the largest integer", decoded: 0x0fffffff, encoded: [0x04, 0xbf, 0xff, 0xff, 0xff] },
  { name: "integer -1", decoded: -1, encoded: [0x04, 0xff, 0xff, 0xff, 0xff] },
  {
    name: "the smallest integer",
    decoded: -0x10000000,
    encoded: [0x04, 0xc0, 0x80, 0x80, 0x00], // integer; 29-bit two's complement
  },
  {
    name: "2^28 as a double",
    decoded: 0x10000000,
    encoded: [0x05, 0x41, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // double
  },
  { name: "1.5 as a double", decoded: 1.5, encoded: [0x05, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0] },
  { name: "-0 as a double", decoded: -0, encoded: [0x05, 0x80, 0, 0, 0, 0, 0, 0, 0] },
  { name: "the empty string", decoded: "", encoded: [0x06, 0x01] },
  {
    name: "a string",
    decoded: "hi",
    encoded: [0x06, 0x05, 0x68, 0x69], // string, length 2 << 1 | 1, "hi"
  },
  {
    name: "a repeated string as a reference",
    decoded: ["a", "a"],
    encoded: [
      0x09, 0x05, 0x01, // array, 2 dense, no associative part
      0x06, 0x03, 0x61, // "a" inline (string 0)
      0x06, 0x00, // string reference 0
    ],
  },
  {
    name: "an anonymous object in key order",
    decoded: new Map<string, AmfValue>([["b", 1], ["a", "b"]]),
    encoded: [
      0x0a, 0x0b, 0x01, // object, inline traits, dynamic, 0 sealed, class ""
      0x03, 0x62, 0x04, 0x01, // b: 1
      0x03, 0x61, 0x06, 0x00, // a: string reference 0 ("b")
      0x01, // end of dynamic members
    ],
  },
  {
    name: "an associative array",
    decoded: new AmfEcmaArray([["k", true]]),
    encoded: [
      0x09, 0x01, // array, 0 dense
      0x03, 0x6b, 0x03, // k: true
      0x01, // end of associative part
    ],
  },
  {
    name: "a date",
    decoded: new Date(1000),
    encoded: [
      0x08, 0x01, // date, inline
      0x40, 0x8f, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, // 1000 ms
    ],
  },
  {
    name: "a byte array",
    decoded: new Uint8Array([1, 2, 3]),
    encoded: [0x0c, 0x07, 0x01, 0x02, 0x03], // ByteArray, length 3 << 1 | 1
  },
];

for (const v of VECTORS) {
  Deno.test(`encodeAmf3() encodes ${v.name}`, () => {
    assert.deepEqual(encodeAmf3(v.decoded), new Uint8Array(v.encoded));
  });
  Deno.test(`decodeAmf3() decodes ${v.name}`, () => {
    assert.deepStrictEqual(decodeAmf3(new Uint8Array(v.encoded)), v.decoded);
  });
}

/** Valid input our encoder never produces. */
// deno-fmt-ignore
const DECODE_ONLY: { name: string; decoded: AmfValue; encoded: number[] }[] = [
  {
    name: "sealed members and a traits reference",
    decoded: [new Map([["x", 1], ["y", 2]]), new Map([["x", 3], ["y", 4]])],
    encoded: [
      0x09, 0x05, 0x01, // array, 2 dense
      0x0a, 0x23, // object, inline traits, not dynamic, 2 sealed
      0x03, 0x50, // class "P"
      0x03, 0x78, 0x03, 0x79, // sealed names "x", "y"
      0x04, 0x01, 0x04, 0x02, // x: 1, y: 2
      0x0a, 0x01, // object, traits reference 0
      0x04, 0x03, 0x04, 0x04, // x: 3, y: 4
    ],
  },
  {
    name: "an array with dense and associative parts",
    decoded: new AmfEcmaArray([["k", true], ["0", 7]]),
    encoded: [
      0x09, 0x03, // array, 1 dense
      0x03, 0x6b, 0x03, // k: true
      0x01, // end of associative part
      0x04, 0x07, // [0]: 7
    ],
  },
  {
    name: "XML as a string",
    decoded: "<a/>",
    encoded: [0x0b, 0x09, 0x3c, 0x61, 0x2f, 0x3e], // XML, length 4 << 1 | 1
  },
  {
    name: "an XML document as a string",
    decoded: "<b/>",
    encoded: [0x07, 0x09, 0x3c, 0x62, 0x2f, 0x3e], // XMLDocument, length 4 << 1 | 1
  },
  {
    name: "a vector of int",
    decoded: [-1, 1],
    encoded: [
      0x0d, 0x05, 0x00, // Vector.<int>, 2 items, not fixed
      0xff, 0xff, 0xff, 0xff, // -1
      0x00, 0x00, 0x00, 0x01, // 1
    ],
  },
  {
    name: "a vector of uint",
    decoded: [0xffffffff],
    encoded: [
      0x0e, 0x03, 0x01, // Vector.<uint>, 1 item, fixed
      0xff, 0xff, 0xff, 0xff, // 4294967295
    ],
  },
  {
    name: "a vector of double",
    decoded: [1.5],
    encoded: [
      0x0f, 0x03, 0x00, // Vector.<Number>, 1 item, not fixed
      0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 1.5
    ],
  },
];

for (const v of DECODE_ONLY) {
  Deno.test(`decodeAmf3() decodes ${v.name}`, () => {
    assert.deepStrictEqual(decodeAmf3(new Uint8Array(v.encoded)), v.decoded);
  });
}

Deno.test("decodeAmf3() resolves an object reference to the same object", () => {
  // deno-fmt-ignore
  const list = decodeAmf3(new Uint8Array([
    0x09, 0x05, 0x01, // array (object 0), 2 dense
    0x0a, 0x0b, 0x01, 0x01, // empty anonymous object (object 1)
    0x0a, 0x02, // object reference 1
  ]));
  assert.ok(Array.isArray(list));
  assert.equal(list[0], list[1]);
});

/** `levels` arrays nested as sole elements, with null innermost. */
function nestedArrays(levels: number): Uint8Array {
  const out = new Uint8Array(levels * 3 + 1);
  for (let i = 0; i < levels; i++) out.set([0x09, 0x03, 0x01], i * 3);
  out[levels * 3] = 0x01;
  return out;
}

/** Hostile and over-limit input: each must be an AmfError matching `error`. */
// deno-fmt-ignore
const HOSTILE: { name: string; encoded: Uint8Array | number[]; error: RegExp }[] = [
  {
    name: "a string reference past the table (CVE-2015-8270)",
    encoded: [
      0x09, 0x05, 0x01, // array, 2 dense
      0x06, 0x03, 0x61, // "a" inline (string 0)
      0x06, 0x02, // string reference 1
    ],
    error: /AMF3 string reference 1 at offset 7 is out of range: table has 1/,
  },
  {
    name: "an object reference past the table",
    encoded: [0x0a, 0x04], // object reference 2, empty table
    error: /AMF3 object reference 2 at offset 0 is out of range: table has 0/,
  },
  {
    name: "an object that references itself",
    encoded: [
      0x0a, 0x0b, 0x01, // object 0, dynamic, anonymous
      0x03, 0x61, 0x0a, 0x00, // a: object reference 0
      0x01, // end of dynamic members
    ],
    error: /AMF3 object reference 0 at offset 5 refers to itself/,
  },
  {
    name: "an array that references itself",
    encoded: [
      0x09, 0x03, 0x01, // array 0, 1 dense
      0x09, 0x00, // [0]: object reference 0
    ],
    error: /AMF3 object reference 0 at offset 3 refers to itself/,
  },
  {
    name: "a traits reference past the table",
    encoded: [0x0a, 0x05], // inline object, traits reference 1
    error: /AMF3 traits reference 1 at offset 0 is out of range: table has 0/,
  },
  {
    name: "an externalizable object",
    encoded: [0x0a, 0x07, 0x03, 0x58], // object, externalizable traits, class "X"
    error: /Externalizable AMF3 object at offset 0/,
  },
  { name: "a vector of objects", encoded: [0x10, 0x01], error: /AMF3 marker 0x10 at offset 0/ },
  { name: "a dictionary", encoded: [0x11, 0x01], error: /AMF3 marker 0x11 at offset 0/ },
  {
    name: "an array declaring 2^28 elements",
    encoded: [0x09, 0xff, 0xff, 0xff, 0xff, 0x01], // array, dense count 2^28 - 1
    error: /AMF3 array at offset 0 has 268435455 elements: limit is 1024/,
  },
  {
    name: "a sealed traits count over maxElements",
    encoded: [0x0a, 0xbf, 0xff, 0xff, 0xf3], // object, inline traits, 2^24 - 1 sealed members
    error: /AMF3 sealed traits at offset 0 has 16777215 elements: limit is 1024/,
  },
  {
    name: "a vector longer than the bytes left",
    encoded: [
      0x0f, 0x07, 0x00, // Vector.<Number>, 3 items declared
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 1 present
    ],
    error: /Truncated AMF3 vector at offset 3: need 24 bytes, 8 left/,
  },
  {
    name: "a truncated U29",
    encoded: [0x04, 0x80], // integer, continuation bit set, then nothing
    error: /Truncated AMF3 U29 at offset 2/,
  },
  {
    name: "a string over maxStringBytes",
    encoded: [0x06, 0x88, 0xc5, 0x61], // string, length 70000 << 1 | 1
    error: /AMF3 string at offset 4 is 70000 bytes: limit is 65536/,
  },
  {
    name: "a 1 MiB byte array over maxStringBytes",
    encoded: [0x0c, 0x80, 0xc0, 0x80, 0x01], // ByteArray, length 1 MiB << 1 | 1
    error: /AMF3 byte array at offset 5 is 1048576 bytes: limit is 65536/,
  },
  {
    name: "65 nested arrays",
    encoded: nestedArrays(65),
    error: /AMF nesting at offset 192 reaches depth 65: limit is 64/,
  },
  {
    name: "100 000 nested arrays",
    encoded: nestedArrays(100_000),
    error: /AMF nesting at offset 192 reaches depth 65: limit is 64/,
  },
  {
    name: "trailing bytes",
    encoded: [0x01, 0x01], // null, null
    error: /AMF3 value ends at offset 1: 1 bytes follow/,
  },
];

for (const v of HOSTILE) {
  Deno.test(`decodeAmf3() rejects ${v.name}`, () => {
    assert.throws(() => decodeAmf3(new Uint8Array(v.encoded)), (e: unknown) => {
      assert.ok(e instanceof AmfError, String(e));
      assert.match(e.message, v.error);
      return true;
    });
  });
}

Deno.test("decodeAmf3() accepts 64 nested arrays", () => {
  let v = decodeAmf3(nestedArrays(64));
  let depth = 0;
  while (Array.isArray(v)) {
    depth++;
    v = v[0];
  }
  assert.equal(depth, 64);
});

Deno.test("decodeAmf3() counts dynamic members against maxElements", () => {
  const bytes = encodeAmf3(new Map([["a", 1], ["b", 2], ["c", 3]]));
  assert.ok(decodeAmf3(bytes, { maxElements: 3 }) instanceof Map);
  assert.throws(
    () => decodeAmf3(bytes, { maxElements: 2 }),
    /AMF3 object at offset 0 has 3 elements: limit is 2/,
  );
});

Deno.test("encodeAmf3() refuses a cyclic value instead of overflowing the stack", () => {
  const list: AmfValue[] = [];
  list.push(list);
  assert.throws(() => encodeAmf3(list), /nested 65 deep/);
});

Deno.test("encodeAmf3() refuses an empty member name", () => {
  assert.throws(() => encodeAmf3(new Map([["", 1]])), /member names must not be empty/);
});

Deno.test("decodeAmf3() refuses references that double the value at every level", () => {
  // deno-fmt-ignore
  const bytes = [
    0x09, 0x51, 0x01, // array (object 0), 40 dense
    0x09, 0x05, 0x01, 0x01, 0x01, // [0]: array (object 1): [null, null]
  ];
  for (let k = 1; k < 40; k++) {
    // [k]: array (object k + 1): [object reference k, object reference k]
    bytes.push(0x09, 0x05, 0x01, 0x09, k << 1, 0x09, k << 1);
  }
  assert.throws(
    () => decodeAmf3(new Uint8Array(bytes)),
    /AMF references at offset \d+ expand the value to \d+ nodes: limit is 1305/,
  );
});
