import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import {
  av1Level,
  av1ProfileName,
  type Av1SequenceHeader,
  parseAv1CodecConfig,
  parseAv1SequenceHeader,
} from "../../src/media/av1.ts";
import { BitWriter } from "./bit_writer.ts";
import { fixture } from "./flv_tags.ts";

interface OperatingPoint {
  level: number;
  tier?: boolean;
  /** buffer delays sent for this point (needs decoderModel). */
  decoderModel?: boolean;
  /** initial_display_delay_minus_1 sent for this point (needs initialDisplayDelay). */
  displayDelay?: number;
}

/** The sequence header fields a golden vector sets; see AV1 5.5.1 for their order. */
interface SeqFields {
  seqProfile: number;
  /** reduced_still_picture_header with this seq_level_idx[0]. */
  reducedLevel?: number;
  /** timing_info with equal_picture_interval and this num_ticks_per_picture_minus_1. */
  ticksPerPicture?: number;
  /** decoder_model_info with this buffer_delay_length_minus_1 (needs ticksPerPicture). */
  bufferDelayLengthMinus1?: number;
  initialDisplayDelay?: boolean;
  points?: OperatingPoint[];
  width: number;
  height: number;
}

function buildSeq(f: SeqFields): Uint8Array {
  const w = new BitWriter()
    .u(3, f.seqProfile) // seq_profile
    .flag(f.reducedLevel !== undefined) // still_picture
    .flag(f.reducedLevel !== undefined); // reduced_still_picture_header
  if (f.reducedLevel !== undefined) {
    w.u(5, f.reducedLevel); // seq_level_idx[0]
  } else {
    const timing = f.ticksPerPicture !== undefined;
    const model = f.bufferDelayLengthMinus1 !== undefined;
    w.flag(timing); // timing_info_present_flag
    if (timing) {
      w.u(32, 1001).u(32, 60000); // num_units_in_display_tick, time_scale
      w.flag(true).uvlc(f.ticksPerPicture ?? 0); // equal_picture_interval, num_ticks_per_picture_minus_1
      w.flag(model); // decoder_model_info_present_flag
      if (model) w.u(5, f.bufferDelayLengthMinus1 ?? 0).u(32, 1001).u(5, 31).u(5, 31);
    }
    w.flag(f.initialDisplayDelay ?? false); // initial_display_delay_present_flag
    const points = f.points ?? [];
    w.u(5, points.length - 1); // operating_points_cnt_minus_1
    for (const p of points) {
      w.u(12, 0x10f); // operating_point_idc
      w.u(5, p.level); // seq_level_idx[i]
      if (p.level > 7) w.flag(p.tier ?? false); // seq_tier[i]
      if (model) {
        w.flag(p.decoderModel ?? false); // decoder_model_present_for_this_op[i]
        const n = (f.bufferDelayLengthMinus1 ?? 0) + 1;
        if (p.decoderModel) w.u(n, 5).u(n, 7).flag(false); // decoder/encoder_buffer_delay, low_delay_mode_flag
      }
      if (f.initialDisplayDelay) {
        w.flag(p.displayDelay !== undefined); // initial_display_delay_present_for_this_op[i]
        if (p.displayDelay !== undefined) w.u(4, p.displayDelay); // initial_display_delay_minus_1[i]
      }
    }
  }
  const widthBits = Math.max(1, Math.ceil(Math.log2(f.width)));
  const heightBits = Math.max(1, Math.ceil(Math.log2(f.height)));
  w.u(4, widthBits - 1).u(4, heightBits - 1); // frame_width_bits_minus_1, frame_height_bits_minus_1
  w.u(widthBits, f.width - 1).u(heightBits, f.height - 1); // max_frame_width/height_minus_1
  w.u(1, 0); // frame_id_numbers_present_flag ... (never read)
  return w.bytes();
}

const SEQ_VECTORS: readonly { name: string; encoded: Uint8Array; decoded: Av1SequenceHeader }[] = [
  {
    name: "reduced still picture header",
    encoded: buildSeq({ seqProfile: 0, reducedLevel: 5, width: 320, height: 240 }),
    decoded: {
      seqProfile: 0,
      seqLevelIdx: 5,
      highTier: false,
      maxFrameWidth: 320,
      maxFrameHeight: 240,
    },
  },
  {
    name: "one operating point, no timing",
    encoded: buildSeq({
      seqProfile: 1,
      points: [{ level: 8, tier: true }],
      width: 1920,
      height: 1080,
    }),
    decoded: {
      seqProfile: 1,
      seqLevelIdx: 8,
      highTier: true,
      maxFrameWidth: 1920,
      maxFrameHeight: 1080,
    },
  },
  {
    name: "timing, decoder model and display delays over three operating points",
    encoded: buildSeq({
      seqProfile: 2,
      ticksPerPicture: 6,
      bufferDelayLengthMinus1: 9,
      initialDisplayDelay: true,
      points: [
        { level: 12, tier: false, decoderModel: true, displayDelay: 3 },
        { level: 9, tier: true },
        { level: 4, decoderModel: true },
      ],
      width: 3840,
      height: 2160,
    }),
    decoded: {
      seqProfile: 2,
      seqLevelIdx: 12,
      highTier: false,
      maxFrameWidth: 3840,
      maxFrameHeight: 2160,
    },
  },
  {
    name: "a 1x2 frame with 1-bit size fields",
    encoded: buildSeq({ seqProfile: 0, points: [{ level: 31 }], width: 1, height: 2 }),
    decoded: {
      seqProfile: 0,
      seqLevelIdx: 31,
      highTier: false,
      maxFrameWidth: 1,
      maxFrameHeight: 2,
    },
  },
];

Deno.test("parseAv1SequenceHeader() decodes the golden sequence header vectors", () => {
  for (const { name, encoded, decoded } of SEQ_VECTORS) {
    assert.deepEqual(parseAv1SequenceHeader(encoded), decoded, name);
  }
});

/** libaom sequence headers (av1C from MP4 in an Enhanced RTMP body; the record starts at byte 5). */
const FIXTURES: readonly { name: string; decoded: Av1SequenceHeader }[] = [
  {
    name: "av1_320x240_seq",
    decoded: {
      seqProfile: 0,
      seqLevelIdx: 0,
      highTier: false,
      maxFrameWidth: 320,
      maxFrameHeight: 240,
    },
  },
  {
    name: "av1_322x242_seq",
    decoded: {
      seqProfile: 0,
      seqLevelIdx: 0,
      highTier: false,
      maxFrameWidth: 322,
      maxFrameHeight: 242,
    },
  },
];

Deno.test("parseAv1CodecConfig() reads libaom's sequence header OBU", () => {
  for (const { name, decoded } of FIXTURES) {
    assert.deepEqual(parseAv1CodecConfig(fixture(name).subarray(5)), decoded, name);
  }
});

Deno.test("parseAv1CodecConfig() skips other OBUs, extension bytes and reads multi-byte leb128 sizes", () => {
  const seq = SEQ_VECTORS[0]?.encoded ?? new Uint8Array();
  const record = new Uint8Array([
    0x81,
    0x00,
    0x0c,
    0x00, // marker + version 1, profile 0 level 0, 4:2:0, no delay
    0x32,
    0x80,
    0x01, // metadata OBU (type 5) with a size field: leb128 0x80 0x01 = 128
    ...new Array<number>(128).fill(0xaa),
    0x0e,
    0x00,
    seq.length, // sequence header OBU with extension byte (0x00) and a size field
    ...seq,
  ]);
  assert.deepEqual(parseAv1CodecConfig(record), SEQ_VECTORS[0]?.decoded);
  // An OBU without a size field runs to the end of the record.
  assert.deepEqual(
    parseAv1CodecConfig(new Uint8Array([0x81, 0, 0x0c, 0, 0x08, ...seq])),
    SEQ_VECTORS[0]?.decoded,
  );
});

const ERRORS: readonly { name: string; encoded: number[]; message: string }[] = [
  {
    name: "short record",
    encoded: [0x81, 0, 0],
    message: "AV1 codec configuration record must be at least 4 bytes: got 3",
  },
  {
    name: "no marker bit",
    encoded: [0x01, 0, 0x0c, 0],
    message: "AV1 codec configuration record starts with 0x1: expected 0x81",
  },
  {
    name: "no OBUs",
    encoded: [0x81, 0, 0x0c, 0],
    message: "AV1 codec configuration record has no sequence header OBU",
  },
  {
    name: "OBU size past the end",
    encoded: [0x81, 0, 0x0c, 0, 0x0a, 0x20, 0],
    message: "AV1 OBU of 32 bytes at 6 overruns the 7-byte record",
  },
  {
    name: "leb128 cut short",
    encoded: [0x81, 0, 0x0c, 0, 0x0a, 0x80],
    message: "AV1 OBU size ends at byte 6 of a 6-byte record",
  },
  {
    name: "leb128 of 9 bytes",
    encoded: [0x81, 0, 0x0c, 0, 0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    message: "AV1 OBU size runs past 8 leb128 bytes",
  },
];

Deno.test("parseAv1CodecConfig() throws MediaError on malformed records", () => {
  for (const { name, encoded, message } of ERRORS) {
    assert.throws(
      () => parseAv1CodecConfig(new Uint8Array(encoded)),
      (e: unknown) => e instanceof MediaError && e.message === message,
      name,
    );
  }
});

Deno.test("parseAv1SequenceHeader() on a truncated header returns the same answer or throws MediaError", () => {
  for (const { encoded } of SEQ_VECTORS) {
    const full = parseAv1SequenceHeader(encoded);
    for (let n = 0; n < encoded.length; n++) {
      try {
        assert.deepEqual(parseAv1SequenceHeader(encoded.subarray(0, n)), full);
      } catch (e) {
        assert.ok(e instanceof MediaError, `cut at ${n}: ${e}`);
      }
    }
  }
  // uvlc() of all zeros must end at the end of the input, not loop.
  const zeros = new BitWriter().u(3, 0).u(2, 0).flag(true).u(64, 0).flag(true).u(64, 0).bytes();
  assert.throws(() => parseAv1SequenceHeader(zeros), MediaError);
});

Deno.test("av1ProfileName() and av1Level() name profiles and levels", () => {
  assert.deepEqual([0, 1, 2, 3].map(av1ProfileName), ["Main", "High", "Professional", undefined]);
  assert.deepEqual([0, 1, 4, 9, 23, 24, 31].map(av1Level), [
    2,
    2.1,
    3,
    4.1,
    7.3,
    undefined,
    undefined,
  ]);
});
