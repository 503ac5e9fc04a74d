import assert from "node:assert/strict";
import { type AudioTag, parseAudioTag } from "../../src/media/audio_tag.ts";
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

function frame(codec: string | null, sampleRate?: number, channels?: number): AudioTag {
  const config = sampleRate === undefined ? null : { sampleRate, channels: channels ?? 0 };
  return { codec, kind: "frame", config };
}

function seq(codec: string, sampleRate: number, channels: number): AudioTag {
  return { codec, kind: "sequence-header", config: { sampleRate, channels } };
}

/** FLAC STREAMINFO: 48000 Hz, 6 channels, 24 bits. */
const STREAMINFO = [
  0x10,
  0x00,
  0x10,
  0x00, // min/max block size 4096
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00, // min/max frame size unknown
  0x0b,
  0xb8,
  0x0b, // sample rate u20 48000, channels - 1 u3 = 5, bits - 1 u5 = 23 (first bit)
  0x70,
  0x00,
  0x00,
  0x00,
  0x00, // bits - 1 (last 4 bits), total samples u36 = 0
  ...new Array<number>(16).fill(0), // MD5
];

const HEADERS: readonly { name: string; encoded: number[]; decoded: AudioTag }[] = [
  // Legacy: sound format (4) rate (2) size (1) type (1)
  { name: "PCM 5.5 kHz 8-bit mono", encoded: [0x00, 0x80], decoded: frame("pcm", 5512, 1) },
  {
    name: "PCM little-endian 44 kHz 16-bit stereo",
    encoded: [0x3f, 0x00, 0x00],
    decoded: frame("pcm", 44100, 2),
  },
  { name: "ADPCM 22 kHz stereo", encoded: [0x1b, 0x00], decoded: frame("adpcm", 22050, 2) },
  {
    name: "MP3 without a frame header falls back to the flags",
    encoded: [0x2e, 0x00, 0x00, 0x00, 0x00], // MP3, 44 kHz, 16-bit, mono
    decoded: frame("mp3", 44100, 1),
  },
  {
    name: "MP3 frame header beats the flags",
    encoded: [
      0x22, // MP3, 5.5 kHz, 16-bit, mono
      0xff,
      0xe2, // sync, MPEG-2.5, layer III, no CRC
      0x88, // bitrate index 8, sample rate index 2 (8000), no padding
      0xc0, // channel mode 3: mono
    ],
    decoded: frame("mp3", 8000, 1),
  },
  {
    name: "MP3 frame header with the reserved version falls back to the flags",
    encoded: [0x2f, 0xff, 0xea, 0x88, 0x00], // version bits 01
    decoded: frame("mp3", 44100, 2),
  },
  { name: "MP3 8 kHz (format 14)", encoded: [0xe2, 0xff], decoded: frame("mp3", 8000, 1) },
  { name: "Nellymoser 16 kHz mono", encoded: [0x42, 0x00], decoded: frame("nellymoser", 16000, 1) },
  { name: "Nellymoser 8 kHz mono", encoded: [0x52, 0x00], decoded: frame("nellymoser", 8000, 1) },
  { name: "Nellymoser 44 kHz", encoded: [0x6e, 0x00], decoded: frame("nellymoser", 44100, 1) },
  {
    name: "G.711 A-law ignores the rate bits",
    encoded: [0x7e, 0xd5],
    decoded: frame("g711", 8000, 1),
  },
  { name: "G.711 mu-law stereo", encoded: [0x87, 0xff], decoded: frame("g711", 8000, 2) },
  {
    name: "Speex is 16 kHz mono whatever the flags say",
    encoded: [0xbf, 0x00],
    decoded: frame("speex", 16000, 1),
  },
  { name: "device-specific format 15", encoded: [0xf0, 0x00], decoded: frame(null) },
  {
    name: "reserved format 12",
    encoded: [0xc0],
    decoded: { codec: null, kind: "other", config: null },
  },
  {
    name: "AAC sequence header",
    encoded: [
      0xaf, // AAC, 44 kHz, 16-bit, stereo (always, for AAC)
      0x00, // AACPacketType 0: AudioSpecificConfig
      0x12,
      0x10, // LC, 44100 Hz, 2 channels
    ],
    decoded: seq("aac", 44100, 2),
  },
  { name: "AAC raw frame", encoded: [0xaf, 0x01, 0x21, 0x10], decoded: frame("aac") },
  {
    name: "AAC packet type 2 is other",
    encoded: [0xaf, 0x02],
    decoded: { codec: "aac", kind: "other", config: null },
  },
  // Enhanced RTMP: sound format 9 (ExHeader), packet type (4), FourCC
  {
    name: "Opus SequenceStart reads OpusHead and reports 48 kHz",
    encoded: [
      0x90, // ExHeader, SequenceStart
      ...ascii("Opus"),
      ...ascii("OpusHead"),
      0x01, // version
      0x02, // channel count
      0x38,
      0x01, // pre-skip 312 (LE)
      0x44,
      0xac,
      0x00,
      0x00, // input sample rate 44100 (LE)
      0x00,
      0x00, // output gain
      0x00, // channel mapping family 0
    ],
    decoded: seq("opus", 48000, 2),
  },
  {
    name: "Opus SequenceStart with OpusTags has no config",
    encoded: [0x90, ...ascii("Opus"), ...ascii("OpusTags"), 0x00, 0x00, 0x00, 0x00],
    decoded: { codec: "opus", kind: "sequence-header", config: null },
  },
  {
    name: "Opus CodedFrames",
    encoded: [0x91, ...ascii("Opus"), 0xfc, 0xff],
    decoded: frame("opus"),
  },
  {
    name: "mp4a SequenceStart reads the AudioSpecificConfig",
    encoded: [0x90, ...ascii("mp4a"), 0x11, 0x90], // LC, 48000 Hz, 2 channels
    decoded: seq("aac", 48000, 2),
  },
  {
    name: "fLaC SequenceStart with the marker and the block header",
    encoded: [0x90, ...ascii("fLaC"), ...ascii("fLaC"), 0x80, 0x00, 0x00, 0x22, ...STREAMINFO],
    decoded: seq("flac", 48000, 6),
  },
  {
    name: "fLaC SequenceStart with the block header only",
    encoded: [0x90, ...ascii("fLaC"), 0x00, 0x00, 0x00, 0x22, ...STREAMINFO],
    decoded: seq("flac", 48000, 6),
  },
  {
    name: "fLaC SequenceStart with bare STREAMINFO",
    encoded: [0x90, ...ascii("fLaC"), ...STREAMINFO],
    decoded: seq("flac", 48000, 6),
  },
  {
    name: "ac-3 CodedFrames",
    encoded: [0x91, ...ascii("ac-3"), 0x0b, 0x77],
    decoded: frame("ac-3"),
  },
  {
    name: "ec-3 SequenceStart has no config",
    encoded: [0x90, ...ascii("ec-3")],
    decoded: { codec: "ec-3", kind: "sequence-header", config: null },
  },
  {
    name: ".mp3 CodedFrames",
    encoded: [0x91, ...ascii(".mp3"), 0xff, 0xfb],
    decoded: frame("mp3"),
  },
  { name: "unknown FourCC", encoded: [0x91, ...ascii("vorb"), 0x00], decoded: frame(null) },
  {
    name: "SequenceEnd is other",
    encoded: [0x92, ...ascii("Opus")],
    decoded: { codec: "opus", kind: "other", config: null },
  },
  {
    name: "MultichannelConfig is other",
    encoded: [0x94, ...ascii("Opus"), 0x01, 0x06, 0x00, 0x00, 0x00, 0x3f], // native order, 6 channels, 5.1 mask
    decoded: { codec: "opus", kind: "other", config: null },
  },
  {
    name: "ModEx before CodedFrames",
    encoded: [
      0x97, // ExHeader, ModEx
      0x02, // modExDataSize - 1: 3 bytes
      0x00,
      0x01,
      0xf4, // TimestampOffsetNano 500
      0x01, // modExType 0, packet type CodedFrames
      ...ascii("Opus"),
      0xfc,
    ],
    decoded: frame("opus"),
  },
  {
    name: "Multitrack, one track",
    encoded: [0x95, 0x00, ...ascii("mp4a"), 0x00, 0x12, 0x10], // OneTrack, SequenceStart; track 0
    decoded: seq("aac", 44100, 2),
  },
  {
    name: "Multitrack, many tracks",
    encoded: [
      0x95, // ExHeader, Multitrack
      0x11, // ManyTracks, CodedFrames
      ...ascii("Opus"),
      0x00,
      0x00,
      0x00,
      0x01,
      0xfc, // track 0, 1 byte
      0x01,
      0x00,
      0x00,
      0x01,
      0xfc, // track 1, 1 byte
    ],
    decoded: frame("opus"),
  },
  {
    name: "Multitrack, many codecs, reads the first track's config",
    encoded: [
      0x95, // ExHeader, Multitrack
      0x20, // ManyTracksManyCodecs, SequenceStart
      ...ascii("mp4a"),
      0x00,
      0x00,
      0x00,
      0x02,
      0x11,
      0x88, // track 0, 2 bytes: LC, 48000 Hz, mono
      ...ascii("Opus"),
      0x01,
      0x00,
      0x00,
      0x01,
      0x00, // track 1 (never read)
    ],
    decoded: seq("aac", 48000, 1),
  },
];

Deno.test("parseAudioTag() decodes the golden legacy and enhanced headers", () => {
  for (const { name, encoded, decoded } of HEADERS) {
    assert.deepEqual(parseAudioTag(new Uint8Array(encoded)), decoded, name);
  }
});

/** Real tag bodies: ffmpeg in FLV; OpusHead and FLAC STREAMINFO wrapped as Enhanced RTMP. */
const FIXTURES: readonly { name: string; decoded: AudioTag }[] = [
  { name: "aac_44100_2_seq", decoded: seq("aac", 44100, 2) },
  { name: "aac_48000_1_seq", decoded: seq("aac", 48000, 1) },
  { name: "aac_frame_head", decoded: frame("aac") },
  { name: "mp3_44100_2_head", decoded: frame("mp3", 44100, 2) },
  { name: "mp3_22050_1_head", decoded: frame("mp3", 22050, 1) },
  { name: "mp3_48000_2_head", decoded: frame("mp3", 48000, 2) }, // flags say 44 kHz
  { name: "speex_16000_head", decoded: frame("speex", 16000, 1) }, // flags say 11 kHz
  { name: "g711a_8000_head", decoded: frame("g711", 8000, 1) }, // flags say 5.5 kHz
  { name: "nellymoser_8000_head", decoded: frame("nellymoser", 8000, 1) },
  { name: "nellymoser_22050_head", decoded: frame("nellymoser", 22050, 1) },
  { name: "pcm_11025_2_head", decoded: frame("pcm", 11025, 2) },
  { name: "opus_48000_2_seq", decoded: seq("opus", 48000, 2) },
  { name: "flac_44100_1_seq", decoded: seq("flac", 44100, 1) },
];

Deno.test("parseAudioTag() decodes ffmpeg's audio tag bodies", () => {
  for (const { name, decoded } of FIXTURES) {
    assert.deepEqual(parseAudioTag(fixture(name)), decoded, name);
  }
});

const ERRORS: readonly { name: string; encoded: number[]; message: string }[] = [
  { name: "empty body", encoded: [], message: "Audio tag body is empty" },
  {
    name: "AAC without packet type",
    encoded: [0xaf],
    message: "AAC audio tag body must be at least 2 bytes: got 1",
  },
  {
    name: "AAC sequence header without a config",
    encoded: [0xaf, 0x00],
    message: "AAC AudioSpecificConfig ended early: read past byte 0",
  },
  {
    name: "FourCC cut short",
    encoded: [0x90, 0x4f, 0x70],
    message: "Enhanced audio tag body must be at least 5 bytes: got 3",
  },
  {
    name: "OpusHead cut short",
    encoded: [0x90, ...ascii("Opus"), ...ascii("OpusHead"), 0x01],
    message: "OpusHead must be at least 19 bytes: got 9",
  },
  {
    name: "STREAMINFO cut short",
    encoded: [0x90, ...ascii("fLaC"), 0x10, 0x00],
    message: "FLAC STREAMINFO must be at least 18 bytes: got 2",
  },
  {
    name: "ModEx past the end",
    encoded: [0x97, 0x00],
    message: "Audio ModEx block at byte 1 overruns the 2-byte tag",
  },
  {
    name: "Multitrack without its type",
    encoded: [0x95],
    message: "Multitrack audio tag ends at byte 1",
  },
  {
    name: "reserved multitrack type 3",
    encoded: [0x95, 0x30, ...ascii("Opus"), 0x00],
    message: "Multitrack audio tag has multitrack type 3, packet type 0",
  },
  {
    name: "track size past the end",
    encoded: [0x95, 0x10, ...ascii("Opus"), 0x00, 0x00, 0x00, 0x05, 0x01],
    message: "Audio track of 5 bytes overruns the 11-byte tag",
  },
];

Deno.test("parseAudioTag() throws MediaError on empty, truncated and malformed bodies", () => {
  assertErrors(parseAudioTag, ERRORS);
});

Deno.test("parseAudioTag() on every prefix of a body returns a tag or throws MediaError", () => {
  const bodies = [
    ...FIXTURES.map(({ name }) => fixture(name)),
    ...HEADERS.map(({ encoded }) => new Uint8Array(encoded)),
  ];
  assertPrefixesSafe(parseAudioTag, bodies);
});

Deno.test("parseAudioTag() on seeded garbage returns a tag or throws MediaError", () => {
  const seeds = [
    ...FIXTURES.map(({ name }) => fixture(name)),
    ...HEADERS.map(({ encoded }) => new Uint8Array(encoded)),
  ];
  assertGarbageSafe(parseAudioTag, seeds, (tag) => {
    assert.ok(["sequence-header", "frame", "other"].includes(tag.kind));
  });
});

Deno.test("parseAudioTag() reads at most the first 5 bytes of a frame", () => {
  const frames = [
    ...HEADERS.filter(({ decoded }) => decoded.kind === "frame").map(({ encoded }) =>
      new Uint8Array(encoded)
    ),
    ...FIXTURES.filter(({ decoded }) => decoded.kind === "frame").map(({ name }) => fixture(name)),
  ];
  for (const body of frames) {
    const single = body[0] !== 0x95 && body[0] !== 0x97; // not Multitrack or ModEx
    if (single) assert.ok(highestIndexRead(body, parseAudioTag) <= 4, `${body}`);
  }
  assert.equal(highestIndexRead(fixture("aac_frame_head"), parseAudioTag), 1);
});
