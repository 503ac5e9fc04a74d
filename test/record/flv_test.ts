import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import {
  decodeFlvHeader,
  decodeFlvTags,
  encodeFlvHeader,
  encodeFlvTag,
  encodeFlvTagTo,
  type FlvHeaderFlags,
  type FlvTag,
} from "../../src/record/flv.ts";

const HEADER_VECTORS: { name: string; decoded: FlvHeaderFlags; encoded: number[] }[] = [
  {
    name: "audio and video",
    decoded: { audio: true, video: true },
    encoded: [
      0x46,
      0x4c,
      0x56, // "FLV"
      0x01, // version
      0x05, // flags: audio 0x04 | video 0x01
      0x00,
      0x00,
      0x00,
      0x09, // data offset
      0x00,
      0x00,
      0x00,
      0x00, // PreviousTagSize0
    ],
  },
  {
    name: "video only",
    decoded: { audio: false, video: true },
    encoded: [
      0x46,
      0x4c,
      0x56, // "FLV"
      0x01, // version
      0x01, // flags: video
      0x00,
      0x00,
      0x00,
      0x09, // data offset
      0x00,
      0x00,
      0x00,
      0x00, // PreviousTagSize0
    ],
  },
  {
    name: "audio only",
    decoded: { audio: true, video: false },
    encoded: [
      0x46,
      0x4c,
      0x56, // "FLV"
      0x01, // version
      0x04, // flags: audio
      0x00,
      0x00,
      0x00,
      0x09, // data offset
      0x00,
      0x00,
      0x00,
      0x00, // PreviousTagSize0
    ],
  },
];

const TAG_VECTORS: { name: string; decoded: FlvTag; encoded: number[] }[] = [
  {
    name: "a video tag at 0",
    decoded: { type: 9, timestamp: 0, body: new Uint8Array([0x17, 0x00]) },
    encoded: [
      0x09, // type: video
      0x00,
      0x00,
      0x02, // body length
      0x00,
      0x00,
      0x00, // timestamp low 24
      0x00, // timestamp high 8
      0x00,
      0x00,
      0x00, // stream id
      0x17,
      0x00, // body
      0x00,
      0x00,
      0x00,
      0x0d, // PreviousTagSize = 11 + 2
    ],
  },
  {
    name: "an audio tag at 1000 ms",
    decoded: { type: 8, timestamp: 1000, body: new Uint8Array([0xaf, 0x01, 0x21]) },
    encoded: [
      0x08, // type: audio
      0x00,
      0x00,
      0x03, // body length
      0x00,
      0x03,
      0xe8, // timestamp low 24 = 1000
      0x00, // timestamp high 8
      0x00,
      0x00,
      0x00, // stream id
      0xaf,
      0x01,
      0x21, // body
      0x00,
      0x00,
      0x00,
      0x0e, // PreviousTagSize = 11 + 3
    ],
  },
  {
    name: "a script tag with an empty body",
    decoded: { type: 18, timestamp: 0, body: new Uint8Array() },
    encoded: [
      0x12, // type: script data
      0x00,
      0x00,
      0x00, // body length
      0x00,
      0x00,
      0x00, // timestamp low 24
      0x00, // timestamp high 8
      0x00,
      0x00,
      0x00, // stream id
      0x00,
      0x00,
      0x00,
      0x0b, // PreviousTagSize = 11
    ],
  },
  {
    name: "a video tag past 2^24 ms with the extended byte",
    decoded: { type: 9, timestamp: 0x12345678, body: new Uint8Array([0x27]) },
    encoded: [
      0x09, // type: video
      0x00,
      0x00,
      0x01, // body length
      0x34,
      0x56,
      0x78, // timestamp low 24
      0x12, // timestamp high 8
      0x00,
      0x00,
      0x00, // stream id
      0x27, // body
      0x00,
      0x00,
      0x00,
      0x0c, // PreviousTagSize = 11 + 1
    ],
  },
  {
    name: "an audio tag at the last millisecond before 2^32",
    decoded: { type: 8, timestamp: 0xffffffff, body: new Uint8Array([0xaf]) },
    encoded: [
      0x08, // type: audio
      0x00,
      0x00,
      0x01, // body length
      0xff,
      0xff,
      0xff, // timestamp low 24
      0xff, // timestamp high 8
      0x00,
      0x00,
      0x00, // stream id
      0xaf, // body
      0x00,
      0x00,
      0x00,
      0x0c, // PreviousTagSize = 11 + 1
    ],
  },
];

for (const v of HEADER_VECTORS) {
  Deno.test(`encodeFlvHeader() encodes ${v.name}`, () => {
    assert.deepEqual(encodeFlvHeader(v.decoded), new Uint8Array(v.encoded));
  });
  Deno.test(`decodeFlvHeader() decodes ${v.name}`, () => {
    assert.deepEqual(decodeFlvHeader(new Uint8Array(v.encoded)), { ...v.decoded, dataOffset: 9 });
  });
}

for (const v of TAG_VECTORS) {
  Deno.test(`encodeFlvTag() encodes ${v.name}`, () => {
    assert.deepEqual(encodeFlvTag(v.decoded), new Uint8Array(v.encoded));
  });
  Deno.test(`encodeFlvTagTo() writes ${v.name} at an offset`, () => {
    const buf = new Uint8Array(v.encoded.length + 10).fill(0xee);
    assert.equal(encodeFlvTagTo(buf, 7, v.decoded), v.encoded.length);
    assert.deepEqual(buf.subarray(7, 7 + v.encoded.length), new Uint8Array(v.encoded));
    assert.deepEqual(buf.subarray(0, 7), new Uint8Array(7).fill(0xee));
    assert.deepEqual(buf.subarray(7 + v.encoded.length), new Uint8Array(3).fill(0xee));
  });
  Deno.test(`decodeFlvTags() decodes ${v.name}`, () => {
    const { header, tags, end } = decodeFlvTags(new Uint8Array(v.encoded));
    assert.equal(header, null);
    assert.deepEqual(tags, [v.decoded]);
    assert.equal(end, v.encoded.length);
  });
}

Deno.test("decodeFlvTags() reads a whole file and stops at the last whole tag", () => {
  const parts = [HEADER_VECTORS[0]!.encoded, ...TAG_VECTORS.map((v) => v.encoded)].flat();
  const file = new Uint8Array(parts);
  const whole = decodeFlvTags(file);
  assert.deepEqual(whole.header, { audio: true, video: true });
  assert.deepEqual(whole.tags, TAG_VECTORS.map((v) => v.decoded));
  assert.equal(whole.end, file.length);

  const lastLength = TAG_VECTORS.at(-1)!.encoded.length;
  for (let cut = 1; cut <= lastLength; cut++) {
    const part = decodeFlvTags(file.subarray(0, file.length - cut));
    assert.equal(part.tags.length, TAG_VECTORS.length - 1);
    assert.equal(part.end, file.length - lastLength);
  }
});

Deno.test("decodeFlvTags() stops at a tag whose PreviousTagSize disagrees", () => {
  const good = TAG_VECTORS[0]!.encoded;
  const bad = TAG_VECTORS[1]!.encoded.with(-1, 0x0f);
  const { tags, end } = decodeFlvTags(new Uint8Array([...good, ...bad]));
  assert.deepEqual(tags, [TAG_VECTORS[0]!.decoded]);
  assert.equal(end, good.length);
});

Deno.test("decodeFlvTags() stops at an unknown tag type", () => {
  const good = TAG_VECTORS[1]!.encoded;
  const bad = TAG_VECTORS[0]!.encoded.with(0, 0x0a);
  const { tags, end } = decodeFlvTags(new Uint8Array([...good, ...bad]));
  assert.equal(tags.length, 1);
  assert.equal(end, good.length);
});

Deno.test("decodeFlvTags() returns nothing for a header cut short", () => {
  const header = new Uint8Array(HEADER_VECTORS[0]!.encoded);
  assert.deepEqual(decodeFlvTags(header.subarray(0, 11)), { header: null, tags: [], end: 0 });
  assert.deepEqual(decodeFlvTags(header), {
    header: { audio: true, video: true },
    tags: [],
    end: 13,
  });
});

Deno.test("decodeFlvHeader() refuses a wrong signature, version or length", () => {
  const ok = HEADER_VECTORS[0]!.encoded;
  assert.throws(() => decodeFlvHeader(new Uint8Array(ok.with(2, 0x57))), MediaError);
  assert.throws(() => decodeFlvHeader(new Uint8Array(ok.with(3, 2))), {
    name: "MediaError",
    message: "FLV version must be 1: got 2",
  });
  assert.throws(() => decodeFlvHeader(new Uint8Array(ok.slice(0, 8))), MediaError);
  assert.throws(() => decodeFlvHeader(new Uint8Array(ok.with(8, 3))), MediaError);
});

Deno.test("encodeFlvTag() refuses a bad type, timestamp or body length", () => {
  const body = new Uint8Array(1);
  const tag = (type: number, timestamp: number, b = body) =>
    ({ type, timestamp, body: b }) as FlvTag;
  assert.throws(() => encodeFlvTag(tag(7, 0)), MediaError);
  assert.throws(() => encodeFlvTag(tag(9, -1)), MediaError);
  assert.throws(() => encodeFlvTag(tag(9, 2 ** 32)), MediaError);
  assert.throws(() => encodeFlvTag(tag(9, 1.5)), MediaError);
  assert.throws(() => encodeFlvTag(tag(9, 0, new Uint8Array(0x1000000))), {
    name: "MediaError",
    message: "FLV tag body must be at most 16777215 bytes: got 16777216",
  });
});

Deno.test("encodeFlvTagTo() refuses a buffer too small", () => {
  const tag: FlvTag = { type: 8, timestamp: 0, body: new Uint8Array(4) };
  assert.throws(() => encodeFlvTagTo(new Uint8Array(30), 12, tag), RangeError);
  assert.equal(encodeFlvTagTo(new Uint8Array(30), 11, tag), 19);
});
