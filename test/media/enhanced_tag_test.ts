import assert from "node:assert/strict";
import { EnhancedTagError } from "../../src/errors.ts";
import {
  decodeEnhancedTag,
  defaultTrackTag,
  encodeEnhancedTag,
  type EnhancedTag,
  fourccNumber,
  isEnhancedTag,
  nanoOffset,
} from "../../src/media/enhanced_tag.ts";

const b = (...xs: number[]) => new Uint8Array(xs);
const AV01 = [0x61, 0x76, 0x30, 0x31];
const HVC1 = [0x68, 0x76, 0x63, 0x31];
const AVC1 = [0x61, 0x76, 0x63, 0x31];
const OPUS = [0x4f, 0x70, 0x75, 0x73];
const FLAC = [0x66, 0x4c, 0x61, 0x43];

function tag(t: Partial<EnhancedTag> & Pick<EnhancedTag, "media" | "tracks">): EnhancedTag {
  return { frameType: 0, packetType: 1, multitrack: null, modEx: [], command: null, ...t };
}

/** One table for both directions (veovera enhanced-rtmp v2 byte layouts). */
const VECTORS: { name: string; decoded: EnhancedTag; encoded: Uint8Array }[] = [
  {
    name: "plain key frame, CodedFramesX, av01",
    decoded: tag({
      media: "video",
      frameType: 1,
      packetType: 3,
      tracks: [{ trackId: 0, fourcc: "av01", payload: b(0x12, 0x00) }],
    }),
    encoded: b(
      0x93, // IsExHeader, frame type 1 (key), packet type 3 (CodedFramesX)
      ...AV01,
      0x12, // OBU
      0x00,
    ),
  },
  {
    name: "plain inter frame, CodedFrames, hvc1 with composition time",
    decoded: tag({
      media: "video",
      frameType: 2,
      packetType: 1,
      tracks: [{ trackId: 0, fourcc: "hvc1", payload: b(0, 0, 40, 0xaa) }],
    }),
    encoded: b(
      0xa1, // IsExHeader, frame type 2 (inter), packet type 1 (CodedFrames)
      ...HVC1,
      0, // composition time s24 = 40
      0,
      40,
      0xaa,
    ),
  },
  {
    name: "audio SequenceStart, Opus",
    decoded: tag({
      media: "audio",
      packetType: 0,
      tracks: [{ trackId: 0, fourcc: "Opus", payload: b(1, 2, 3) }],
    }),
    encoded: b(0x90, ...OPUS, 1, 2, 3), // sound format 9 (ExHeader), packet type 0
  },
  {
    name: "ModEx TimestampOffsetNano 500 000 ns, then CodedFrames avc1",
    decoded: tag({
      media: "video",
      frameType: 1,
      packetType: 1,
      modEx: [{ type: 0, data: b(0x07, 0xa1, 0x20) }],
      tracks: [{ trackId: 0, fourcc: "avc1", payload: b(0, 0, 0, 0x65) }],
    }),
    encoded: b(
      0x97, // key frame, packet type 7 (ModEx)
      0x02, // ModEx data size - 1 = 2
      0x07, // u24 nanoseconds = 500 000
      0xa1,
      0x20,
      0x01, // ModEx type 0 (TimestampOffsetNano), next packet type 1 (CodedFrames)
      ...AVC1,
      0,
      0,
      0,
      0x65,
    ),
  },
  {
    name: "ModEx of 300 bytes uses the u16 size form",
    decoded: tag({
      media: "audio",
      packetType: 1,
      modEx: [{ type: 3, data: new Uint8Array(300).fill(7) }],
      tracks: [{ trackId: 0, fourcc: "Opus", payload: b(0xfc) }],
    }),
    encoded: b(
      0x97, // audio ExHeader, packet type 7 (ModEx)
      0xff, // size - 1 = 255: a u16 size follows
      0x01, // size - 1 = 299
      0x2b,
      ...new Uint8Array(300).fill(7),
      0x31, // ModEx type 3, next packet type 1
      ...OPUS,
      0xfc,
    ),
  },
  {
    name: "multitrack OneTrack, av01 as track 1 (what FFmpeg 8 writes for a second video)",
    decoded: tag({
      media: "video",
      frameType: 1,
      packetType: 1,
      multitrack: 0,
      tracks: [{ trackId: 1, fourcc: "av01", payload: b(0x12, 0x00) }],
    }),
    encoded: b(
      0x96, // key frame, packet type 6 (Multitrack)
      0x01, // multitrack type 0 (OneTrack), packet type 1
      ...AV01,
      0x01, // track id
      0x12,
      0x00,
    ),
  },
  {
    name: "multitrack ManyTracks, hvc1 tracks 0 and 2",
    decoded: tag({
      media: "video",
      frameType: 2,
      packetType: 3,
      multitrack: 1,
      tracks: [
        { trackId: 0, fourcc: "hvc1", payload: b(0xa0, 0xa1) },
        { trackId: 2, fourcc: "hvc1", payload: b(0xb0) },
      ],
    }),
    encoded: b(
      0xa6, // inter frame, Multitrack
      0x13, // ManyTracks, CodedFramesX
      ...HVC1,
      0, // track 0
      0, // size u24 = 2
      0,
      2,
      0xa0,
      0xa1,
      2, // track 2
      0,
      0,
      1,
      0xb0,
    ),
  },
  {
    name: "multitrack ManyTracksManyCodecs audio, Opus track 0 and fLaC track 1",
    decoded: tag({
      media: "audio",
      packetType: 1,
      multitrack: 2,
      tracks: [
        { trackId: 0, fourcc: "Opus", payload: b(0xfc) },
        { trackId: 1, fourcc: "fLaC", payload: b(0xff, 0xf8) },
      ],
    }),
    encoded: b(
      0x95, // audio ExHeader, packet type 5 (Multitrack)
      0x21, // ManyTracksManyCodecs, CodedFrames
      ...OPUS,
      0,
      0,
      0,
      1,
      0xfc,
      ...FLAC,
      1,
      0,
      0,
      2,
      0xff,
      0xf8,
    ),
  },
  {
    name: "video command frame (frame type 5) carries a command byte and no FourCC",
    decoded: tag({ media: "video", frameType: 5, packetType: 1, command: 1, tracks: [] }),
    encoded: b(0xd1, 0x01),
  },
  {
    name: "Metadata packet (frame type 5, packet type 4) with its FourCC",
    decoded: tag({
      media: "video",
      frameType: 5,
      packetType: 4,
      tracks: [{ trackId: 0, fourcc: "hvc1", payload: b(0x02, 0, 0) }],
    }),
    encoded: b(0xd4, ...HVC1, 0x02, 0, 0),
  },
  {
    name: "MPEG2TSSequenceStart, av01",
    decoded: tag({
      media: "video",
      frameType: 1,
      packetType: 5,
      tracks: [{ trackId: 0, fourcc: "av01", payload: b(0x80) }],
    }),
    encoded: b(0x95, ...AV01, 0x80),
  },
];

for (const v of VECTORS) {
  Deno.test(`decodeEnhancedTag() reads ${v.name}`, () => {
    assert.deepEqual(decodeEnhancedTag(v.decoded.media, v.encoded), v.decoded);
  });
  Deno.test(`encodeEnhancedTag() writes ${v.name}`, () => {
    assert.deepEqual(encodeEnhancedTag(v.decoded), v.encoded);
  });
}

const BAD: { name: string; media: "audio" | "video"; body: Uint8Array; error: RegExp }[] = [
  { name: "an empty body", media: "video", body: b(), error: /ends inside its header/ },
  { name: "a short FourCC", media: "video", body: b(0x93, 0x61, 0x76), error: /FourCC/ },
  {
    name: "a ManyTracks size past the tag",
    media: "video",
    body: b(0x96, 0x13, ...AV01, 0, 0, 0, 9, 1),
    error: /track 0 of 9 bytes: needs 19 bytes, has 11/,
  },
  {
    name: "a track id missing",
    media: "audio",
    body: b(0x95, 0x01, ...OPUS),
    error: /track id/,
  },
  {
    name: "nine ModEx entries",
    media: "video",
    body: b(0x97, ...Array.from({ length: 9 }, () => [0, 0, 0x07]).flat(), ...AV01),
    error: /more than 8 ModEx/,
  },
  {
    name: "a ModEx u16 size cut short",
    media: "video",
    body: b(0x97, 0xff, 0x01),
    error: /ModEx size/,
  },
  {
    name: "multitrack type 3",
    media: "video",
    body: b(0x96, 0x31, ...AV01, 0, 0, 0, 0),
    error: /multitrack type 3/,
  },
  {
    name: "a multitrack header inside a multitrack header",
    media: "audio",
    body: b(0x95, 0x05, ...OPUS, 0),
    error: /packet type 5/,
  },
  {
    name: "65 tracks",
    media: "video",
    body: b(0x96, 0x13, ...AV01, ...Array.from({ length: 65 }, (_, i) => [i, 0, 0, 0]).flat()),
    error: /more than 64 tracks/,
  },
];

for (const v of BAD) {
  Deno.test(`decodeEnhancedTag() refuses ${v.name}`, () => {
    assert.throws(() => decodeEnhancedTag(v.media, v.body), (e: unknown) => {
      assert.ok(e instanceof EnhancedTagError, String(e));
      assert.match(e.message, v.error);
      return true;
    });
  });
}

Deno.test("nanoOffset() reads the TimestampOffsetNano ModEx, 0 without one", () => {
  assert.equal(nanoOffset(VECTORS[3]!.decoded), 500_000);
  assert.equal(nanoOffset(VECTORS[0]!.decoded), 0);
});

Deno.test("defaultTrackTag() gives track 0 as a plain tag, or null without one", () => {
  const many = VECTORS[6]!.decoded;
  assert.deepEqual(
    encodeEnhancedTag(defaultTrackTag(many)!),
    b(0xa3, ...HVC1, 0xa0, 0xa1), // inter frame, CodedFramesX, hvc1, track 0's payload
  );
  assert.equal(defaultTrackTag(VECTORS[5]!.decoded), null); // only track 1
  assert.equal(defaultTrackTag(VECTORS[0]!.decoded), VECTORS[0]!.decoded);
});

Deno.test("isEnhancedTag() tells enhanced from legacy headers", () => {
  assert.equal(isEnhancedTag("video", b(0x93)), true);
  assert.equal(isEnhancedTag("video", b(0x17)), false);
  assert.equal(isEnhancedTag("audio", b(0x91)), true);
  assert.equal(isEnhancedTag("audio", b(0xaf)), false);
  assert.equal(isEnhancedTag("audio", b()), false);
});

Deno.test("encodeEnhancedTag() refuses a bad FourCC and two tracks in a plain tag", () => {
  const t = VECTORS[0]!.decoded;
  assert.throws(
    () => encodeEnhancedTag({ ...t, tracks: [{ trackId: 0, fourcc: "av1", payload: b() }] }),
    EnhancedTagError,
  );
  assert.throws(
    () => encodeEnhancedTag({ ...t, tracks: [t.tracks[0]!, t.tracks[0]!] }),
    /cannot carry 2 tracks/,
  );
});

Deno.test("fourccNumber() is the FourCC's bytes as a big-endian u32", () => {
  assert.equal(fourccNumber("hvc1"), 0x68766331);
  assert.equal(fourccNumber("Opus"), 0x4f707573);
  // bytes above 0x7f, as decodeEnhancedTag() reads any FourCC
  assert.equal(fourccNumber("\xff\x00\x80\x01"), 0xff008001);
});
