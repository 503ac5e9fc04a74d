import assert from "node:assert/strict";
import { parseVideoTag, type VideoTag } from "../../src/media/video_tag.ts";
import { fixture } from "./flv_tags.ts";
import {
  assertErrors,
  assertGarbageSafe,
  assertPrefixesSafe,
  highestIndexRead,
} from "./media_fuzz.ts";

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** A tiny AVCDecoderConfigurationRecord: Constrained Baseline 3.0, one 8-byte SPS for 320x240. */
const AVC_RECORD = [
  0x01,
  0x42,
  0xc0,
  0x1e,
  0xff,
  0xe1, // version, profile, compatibility, level, length size 4, 1 SPS
  0x00,
  0x08,
  0x67,
  0x42,
  0xc0,
  0x1e,
  0xda,
  0x05,
  0x07,
  0xe4, // SPS
  0x00, // 0 PPS
];
const AVC_CONFIG = { width: 320, height: 240, profile: "Constrained Baseline", level: 3 };

function frame(codec: string | null, keyframe: boolean): VideoTag {
  return { codec, keyframe, kind: "frame", config: null };
}

const HEADERS: readonly { name: string; encoded: number[]; decoded: VideoTag }[] = [
  // Legacy FLV: frame type (4) codec id (4)
  { name: "H.263 key frame", encoded: [0x12, 0x00, 0x00, 0x84], decoded: frame("h263", true) },
  { name: "H.263 disposable inter frame", encoded: [0x32, 0x00], decoded: frame("h263", false) },
  { name: "Screen video key frame", encoded: [0x13, 0x00], decoded: frame("screen", true) },
  { name: "VP6 inter frame", encoded: [0x24, 0x00, 0x00], decoded: frame("vp6", false) },
  { name: "unknown codec id 9", encoded: [0x19, 0x00], decoded: frame(null, true) },
  {
    name: "reserved frame type 0 is other",
    encoded: [0x02, 0x00],
    decoded: { codec: "h263", keyframe: false, kind: "other", config: null },
  },
  {
    name: "AVC key frame",
    encoded: [
      0x17, // key frame, AVC
      0x01, // AVCPacketType 1: NALUs
      0x00,
      0x00,
      0x42, // composition time 66 ms
      0x00,
      0x00,
      0x00,
      0x02,
      0x09,
      0x10, // NALU: access unit delimiter
    ],
    decoded: frame("h264", true),
  },
  {
    name: "AVC inter frame",
    encoded: [0x27, 0x01, 0x00, 0x00, 0x00, 0x00],
    decoded: frame("h264", false),
  },
  {
    name: "AVC generated key frame",
    encoded: [0x47, 0x01, 0x00, 0x00, 0x00],
    decoded: frame("h264", true),
  },
  {
    name: "AVC end of sequence",
    encoded: [0x17, 0x02, 0x00, 0x00, 0x00], // AVCPacketType 2
    decoded: { codec: "h264", keyframe: true, kind: "end-of-sequence", config: null },
  },
  {
    name: "AVC packet type 3 is other",
    encoded: [0x17, 0x03, 0x00, 0x00, 0x00],
    decoded: { codec: "h264", keyframe: true, kind: "other", config: null },
  },
  {
    name: "AVC info/command frame is other",
    encoded: [0x57, 0x00], // frame type 5, command 0 (start of client-side seeking)
    decoded: { codec: "h264", keyframe: false, kind: "other", config: null },
  },
  {
    name: "AVC sequence header",
    encoded: [0x17, 0x00, 0x00, 0x00, 0x00, ...AVC_RECORD],
    decoded: { codec: "h264", keyframe: true, kind: "sequence-header", config: AVC_CONFIG },
  },
  {
    name: "HEVC (codec id 12) inter frame",
    encoded: [0x2c, 0x01, 0x00, 0x00, 0x00],
    decoded: frame("h265", false),
  },
  // Enhanced RTMP: IsExHeader (1) frame type (3) packet type (4), FourCC
  {
    name: "hvc1 CodedFrames key frame",
    encoded: [
      0x91, // IsExHeader, key frame, CodedFrames
      ...ascii("hvc1"),
      0x00,
      0x00,
      0x21, // composition time
      0x00,
      0x00,
      0x00,
      0x03,
      0x26,
      0x01,
      0xaf, // NALU
    ],
    decoded: frame("h265", true),
  },
  {
    name: "avc1 CodedFramesX inter frame",
    encoded: [0xa3, ...ascii("avc1"), 0x00],
    decoded: frame("h264", false),
  },
  {
    name: "av01 CodedFrames inter frame",
    encoded: [0xa1, ...ascii("av01"), 0x12, 0x00],
    decoded: frame("av1", false),
  },
  { name: "vp09 key frame", encoded: [0x91, ...ascii("vp09"), 0x82], decoded: frame("vp9", true) },
  {
    name: "unknown FourCC vvc1",
    encoded: [0x91, ...ascii("vvc1"), 0x00, 0x00, 0x00],
    decoded: frame(null, true),
  },
  {
    name: "avc1 SequenceStart",
    encoded: [0x90, ...ascii("avc1"), ...AVC_RECORD],
    decoded: { codec: "h264", keyframe: true, kind: "sequence-header", config: AVC_CONFIG },
  },
  {
    name: "vp08 SequenceStart has no picture size",
    encoded: [0x90, ...ascii("vp08"), 0x01, 0x00, 0x00, 0x00, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00],
    decoded: { codec: "vp8", keyframe: true, kind: "sequence-header", config: null },
  },
  {
    name: "av01 MPEG2TSSequenceStart has no picture size",
    encoded: [0x95, ...ascii("av01"), 0x80, 0x00],
    decoded: { codec: "av1", keyframe: true, kind: "sequence-header", config: null },
  },
  {
    name: "SequenceEnd",
    encoded: [0x92, ...ascii("hvc1")],
    decoded: { codec: "h265", keyframe: true, kind: "end-of-sequence", config: null },
  },
  {
    name: "Metadata ignores the frame type",
    encoded: [
      0x94,
      ...ascii("av01"),
      0x02,
      0x00,
      0x09,
      ...ascii("colorInfo"),
      0x03,
      0x00,
      0x00,
      0x09,
    ],
    decoded: { codec: "av1", keyframe: false, kind: "metadata", config: null },
  },
  {
    name: "command frame carries a command, not a FourCC",
    encoded: [0xd1, 0x01], // IsExHeader, frame type 5, CodedFrames; command 1 (end of seeking)
    decoded: { codec: null, keyframe: false, kind: "other", config: null },
  },
  {
    name: "reserved packet type 8 is other",
    encoded: [0x98, ...ascii("avc1")],
    decoded: { codec: "h264", keyframe: true, kind: "other", config: null },
  },
  {
    name: "ModEx before CodedFrames",
    encoded: [
      0x97, // IsExHeader, key frame, ModEx
      0x02, // modExDataSize - 1: 3 bytes
      0x00,
      0x01,
      0xf4, // TimestampOffsetNano 500
      0x01, // modExType 0, packet type CodedFrames
      ...ascii("avc1"),
      0x00,
      0x00,
      0x00, // composition time
    ],
    decoded: frame("h264", true),
  },
  {
    name: "Multitrack, one track",
    encoded: [0x96, 0x01, ...ascii("av01"), 0x00, 0x12, 0x00], // OneTrack, CodedFrames; track 0
    decoded: frame("av1", true),
  },
  {
    name: "Multitrack, many tracks",
    encoded: [
      0xa6, // IsExHeader, inter frame, Multitrack
      0x13, // ManyTracks, CodedFramesX
      ...ascii("hvc1"),
      0x00,
      0x00,
      0x00,
      0x02,
      0xaa,
      0xbb, // track 0, 2 bytes
      0x01,
      0x00,
      0x00,
      0x01,
      0xcc, // track 1, 1 byte
    ],
    decoded: frame("h265", false),
  },
  {
    name: "Multitrack, many codecs",
    encoded: [0x96, 0x21, ...ascii("vp09"), 0x00, 0x00, 0x00, 0x01, 0xaa], // ManyTracksManyCodecs, CodedFrames
    decoded: frame("vp9", true),
  },
  {
    name: "Multitrack SequenceStart reads the first track's record",
    encoded: [
      0x96, // IsExHeader, key frame, Multitrack
      0x10, // ManyTracks, SequenceStart
      ...ascii("avc1"),
      0x00,
      0x00,
      0x00,
      AVC_RECORD.length,
      ...AVC_RECORD, // track 0
      0x01,
      0x00,
      0x00,
      0x02,
      0x01,
      0x64, // track 1 (cut: never read)
    ],
    decoded: { codec: "h264", keyframe: true, kind: "sequence-header", config: AVC_CONFIG },
  },
];

Deno.test("parseVideoTag() decodes the golden legacy and enhanced headers", () => {
  for (const { name, encoded, decoded } of HEADERS) {
    assert.deepEqual(parseVideoTag(new Uint8Array(encoded)), decoded, name);
  }
});

function seq(
  codec: string,
  width: number,
  height: number,
  profile: string,
  level: number,
): VideoTag {
  return {
    codec,
    keyframe: true,
    kind: "sequence-header",
    config: { width, height, profile, level },
  };
}

/** Real tag bodies: x264 in FLV; x265 hvcC as codec id 12; libaom av1C as Enhanced RTMP. */
const FIXTURES: readonly { name: string; decoded: VideoTag }[] = [
  { name: "h264_320x240_seq", decoded: seq("h264", 320, 240, "High", 1.3) },
  { name: "h264_1280x720_seq", decoded: seq("h264", 1280, 720, "High", 3.1) },
  { name: "h264_322x242_seq", decoded: seq("h264", 322, 242, "High", 1.3) },
  {
    name: "h264_baseline_322x242_seq",
    decoded: seq("h264", 322, 242, "Constrained Baseline", 1.3),
  },
  { name: "h264_444_322x242_seq", decoded: seq("h264", 322, 242, "High 4:4:4 Predictive", 1.3) },
  { name: "h264_422p10_322x242_seq", decoded: seq("h264", 322, 242, "High 4:2:2", 1.3) },
  { name: "h264_interlaced_320x240_seq", decoded: seq("h264", 320, 240, "High", 2.1) },
  { name: "h264_keyframe_head", decoded: frame("h264", true) },
  { name: "h264_interframe_head", decoded: frame("h264", false) },
  {
    name: "h264_end_of_sequence",
    decoded: { codec: "h264", keyframe: true, kind: "end-of-sequence", config: null },
  },
  { name: "h265_320x240_seq", decoded: seq("h265", 320, 240, "Main", 2) },
  { name: "h265_1280x720_seq", decoded: seq("h265", 1280, 720, "Main", 3.1) },
  { name: "h265_322x242_seq", decoded: seq("h265", 322, 242, "Main", 2) },
  { name: "h265_444_322x242_seq", decoded: seq("h265", 322, 242, "Range Extensions", 2) },
  { name: "h265_422p10_322x242_seq", decoded: seq("h265", 322, 242, "Range Extensions", 2) },
  { name: "h265_temporal_320x240_seq", decoded: seq("h265", 320, 240, "Main", 2) },
  { name: "av1_320x240_seq", decoded: seq("av1", 320, 240, "Main", 2) },
  { name: "av1_322x242_seq", decoded: seq("av1", 322, 242, "Main", 2) },
];

Deno.test("parseVideoTag() decodes ffmpeg's video tag bodies", () => {
  for (const { name, decoded } of FIXTURES) {
    assert.deepEqual(parseVideoTag(fixture(name)), decoded, name);
  }
});

Deno.test("parseVideoTag() gives the same config for a record sent legacy, enhanced or multitrack", () => {
  for (const { name, decoded } of FIXTURES) {
    if (!name.endsWith("_seq") || name.startsWith("av1")) continue;
    const record = [...fixture(name).subarray(5)];
    const fourcc = ascii(name.startsWith("h264") ? "avc1" : "hvc1");
    const enhanced = [0x90, ...fourcc, ...record];
    const oneTrack = [0x96, 0x00, ...fourcc, 0x00, ...record];
    const manyTracks = [
      0x96,
      0x10,
      ...fourcc,
      0x00,
      0x00,
      record.length >> 8,
      record.length & 0xff,
      ...record,
    ];
    for (const body of [enhanced, oneTrack, manyTracks]) {
      assert.deepEqual(parseVideoTag(new Uint8Array(body)), decoded, name);
    }
  }
});

const ERRORS: readonly { name: string; encoded: number[]; message: string }[] = [
  { name: "empty body", encoded: [], message: "Video tag body is empty" },
  {
    name: "AVC without packet type",
    encoded: [0x17],
    message: "AVC video tag body must be at least 5 bytes: got 1",
  },
  {
    name: "HEVC without composition time",
    encoded: [0x1c, 0x00, 0x00, 0x00],
    message: "HEVC video tag body must be at least 5 bytes: got 4",
  },
  {
    name: "AVC sequence header without a record",
    encoded: [0x17, 0x00, 0x00, 0x00, 0x00],
    message: "AVC decoder configuration record must be at least 6 bytes: got 0",
  },
  {
    name: "FourCC cut short",
    encoded: [0x91, 0x68, 0x76],
    message: "Enhanced video tag body must be at least 5 bytes: got 3",
  },
  {
    name: "avc1 CodedFrames without composition time",
    encoded: [0x91, ...ascii("avc1"), 0x00],
    message: "Enhanced video coded frames lack a composition time: 1 of 3 bytes",
  },
  {
    name: "command frame without command",
    encoded: [0xd1],
    message: "Video command tag ends at byte 1",
  },
  {
    name: "ModEx past the end",
    encoded: [0x97, 0x05, 0x00],
    message: "Video ModEx block at byte 1 overruns the 3-byte tag",
  },
  {
    name: "Multitrack without its type",
    encoded: [0x96],
    message: "Multitrack video tag ends at byte 1",
  },
  {
    name: "reserved multitrack type 3",
    encoded: [0x96, 0x31, ...ascii("avc1"), 0x00],
    message: "Multitrack video tag has multitrack type 3, packet type 1",
  },
  {
    name: "Multitrack inside Multitrack",
    encoded: [0x96, 0x06, ...ascii("avc1"), 0x00],
    message: "Multitrack video tag has multitrack type 0, packet type 6",
  },
  {
    name: "track size cut short",
    encoded: [0x96, 0x11, ...ascii("avc1"), 0x00, 0x00, 0x00],
    message: "Enhanced video tag body must be at least 10 bytes: got 9",
  },
  {
    name: "track size past the end",
    encoded: [0x96, 0x11, ...ascii("avc1"), 0x00, 0x00, 0x00, 0x09, 0xaa],
    message: "Video track of 9 bytes overruns the 11-byte tag",
  },
];

Deno.test("parseVideoTag() throws MediaError on empty, truncated and malformed bodies", () => {
  assertErrors(parseVideoTag, ERRORS);
});

Deno.test("parseVideoTag() on every prefix of a sequence header returns a tag or throws MediaError", () => {
  const bodies = [
    ...FIXTURES.map(({ name }) => fixture(name)),
    ...HEADERS.map(({ encoded }) => new Uint8Array(encoded)),
  ];
  assertPrefixesSafe(parseVideoTag, bodies);
});

Deno.test("parseVideoTag() on seeded garbage returns a tag or throws MediaError", () => {
  const seeds = [
    ...FIXTURES.map(({ name }) => fixture(name)),
    ...HEADERS.map(({ encoded }) => new Uint8Array(encoded)),
  ];
  assertGarbageSafe(parseVideoTag, seeds, (tag) => {
    assert.ok(
      ["sequence-header", "frame", "end-of-sequence", "metadata", "other"].includes(tag.kind),
    );
  });
});

Deno.test("parseVideoTag() reads at most the first 5 bytes of a frame", () => {
  const frames = [
    ...HEADERS.filter(({ decoded }) => decoded.kind === "frame").map(({ encoded }) =>
      new Uint8Array(encoded)
    ),
    fixture("h264_keyframe_head"),
    fixture("h264_interframe_head"),
  ];
  for (const body of frames) {
    const single = body[0] !== 0x96 && body[0] !== 0xa6 && body[0] !== 0x97; // not Multitrack or ModEx
    if (single) assert.ok(highestIndexRead(body, parseVideoTag) <= 4, `${body}`);
  }
  assert.equal(highestIndexRead(fixture("h264_keyframe_head"), parseVideoTag), 1);
});
