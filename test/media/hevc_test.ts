import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import {
  hevcProfileName,
  type HevcSps,
  parseHevcDecoderConfig,
  parseHevcSps,
} from "../../src/media/hevc.ts";
import { BitWriter } from "./bit_writer.ts";
import { fixture } from "./flv_tags.ts";

/** The SPS fields a golden vector sets; see H.265 7.3.2.2 and 7.3.3 for their order. */
interface SpsFields {
  profileIdc: number;
  highTier?: boolean;
  levelIdc: number;
  /** One entry per sub-layer above the first: which of its profile and level are sent. */
  subLayers?: { profile: boolean; level: boolean }[];
  chromaFormatIdc: number;
  separateColourPlane?: boolean;
  width: number;
  height: number;
  window?: [left: number, right: number, top: number, bottom: number];
}

function buildSps(f: SpsFields): Uint8Array {
  const subLayers = f.subLayers ?? [];
  const w = new BitWriter()
    .u(4, 0) // sps_video_parameter_set_id
    .u(3, subLayers.length) // sps_max_sub_layers_minus1
    .flag(true) // sps_temporal_id_nesting_flag
    .u(2, 0) // general_profile_space
    .flag(f.highTier ?? false) // general_tier_flag
    .u(5, f.profileIdc) // general_profile_idc
    .u(32, 2 ** (31 - f.profileIdc)) // general_profile_compatibility_flag[32]
    .u(4, 0b1001) // progressive_source, interlaced_source, non_packed_constraint, frame_only_constraint
    .u(44, 0) // the other constraint flags
    .u(8, f.levelIdc); // general_level_idc
  for (const s of subLayers) w.flag(s.profile).flag(s.level); // sub_layer_profile/level_present_flag
  if (subLayers.length > 0) w.u(2 * (8 - subLayers.length), 0); // reserved_zero_2bits
  for (const s of subLayers) {
    if (s.profile) w.u(2, 0).flag(false).u(5, f.profileIdc).u(32, 0xffffffff).u(48, 0); // sub-layer profile: 88 bits
    if (s.level) w.u(8, f.levelIdc); // sub_layer_level_idc
  }
  w.ue(0); // sps_seq_parameter_set_id
  w.ue(f.chromaFormatIdc); // chroma_format_idc
  if (f.chromaFormatIdc === 3) w.flag(f.separateColourPlane ?? false); // separate_colour_plane_flag
  w.ue(f.width); // pic_width_in_luma_samples
  w.ue(f.height); // pic_height_in_luma_samples
  w.flag(f.window !== undefined); // conformance_window_flag
  for (const offset of f.window ?? []) w.ue(offset); // conf_win_left/right/top/bottom_offset
  w.ue(0).ue(0); // bit_depth_luma_minus8, bit_depth_chroma_minus8 (the rest is never read)
  return w.nal([0x42, 0x01]); // nal_unit_type 33, layer 0, temporal id plus 1 = 1
}

const SPS_VECTORS: readonly { name: string; encoded: Uint8Array; decoded: HevcSps }[] = [
  {
    name: "Main 1920x1080 crops 8 rows in 4:2:0 units of 2",
    encoded: buildSps({
      profileIdc: 1,
      levelIdc: 120,
      chromaFormatIdc: 1,
      width: 1920,
      height: 1088,
      window: [0, 0, 0, 4],
    }),
    decoded: {
      profileIdc: 1,
      highTier: false,
      levelIdc: 120,
      maxSubLayers: 1,
      chromaFormatIdc: 1,
      width: 1920,
      height: 1080,
    },
  },
  {
    name: "Main 10 High tier with three sub-layers, profile and level sent for some",
    encoded: buildSps({
      profileIdc: 2,
      highTier: true,
      levelIdc: 153,
      subLayers: [{ profile: true, level: true }, { profile: false, level: true }, {
        profile: true,
        level: false,
      }],
      chromaFormatIdc: 1,
      width: 3840,
      height: 2160,
    }),
    decoded: {
      profileIdc: 2,
      highTier: true,
      levelIdc: 153,
      maxSubLayers: 4,
      chromaFormatIdc: 1,
      width: 3840,
      height: 2160,
    },
  },
  {
    name: "sps_max_sub_layers_minus1 = 7 leaves no reserved_zero_2bits",
    encoded: buildSps({
      profileIdc: 1,
      levelIdc: 93,
      subLayers: Array.from(
        { length: 7 },
        (_, i) => ({ profile: i % 2 === 0, level: i % 3 === 0 }),
      ),
      chromaFormatIdc: 1,
      width: 1280,
      height: 720,
    }),
    decoded: {
      profileIdc: 1,
      highTier: false,
      levelIdc: 93,
      maxSubLayers: 8,
      chromaFormatIdc: 1,
      width: 1280,
      height: 720,
    },
  },
  {
    name: "4:2:2 crops 2 across and 1 down",
    encoded: buildSps({
      profileIdc: 4,
      levelIdc: 60,
      chromaFormatIdc: 2,
      width: 328,
      height: 248,
      window: [0, 3, 0, 6],
    }),
    decoded: {
      profileIdc: 4,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 2,
      width: 322,
      height: 242,
    },
  },
  {
    name: "4:4:4 crops in luma samples",
    encoded: buildSps({
      profileIdc: 4,
      levelIdc: 60,
      chromaFormatIdc: 3,
      width: 328,
      height: 248,
      window: [1, 5, 2, 4],
    }),
    decoded: {
      profileIdc: 4,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 3,
      width: 322,
      height: 242,
    },
  },
  {
    name: "separate colour planes crop in luma samples",
    encoded: buildSps({
      profileIdc: 4,
      levelIdc: 60,
      chromaFormatIdc: 3,
      separateColourPlane: true,
      width: 328,
      height: 248,
      window: [0, 6, 0, 6],
    }),
    decoded: {
      profileIdc: 4,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 3,
      width: 322,
      height: 242,
    },
  },
  {
    name: "monochrome crops in luma samples",
    encoded: buildSps({
      profileIdc: 4,
      levelIdc: 60,
      chromaFormatIdc: 0,
      width: 328,
      height: 248,
      window: [0, 6, 0, 6],
    }),
    decoded: {
      profileIdc: 4,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 0,
      width: 322,
      height: 242,
    },
  },
];

Deno.test("parseHevcSps() decodes the golden SPS vectors", () => {
  for (const { name, encoded, decoded } of SPS_VECTORS) {
    assert.deepEqual(parseHevcSps(encoded), decoded, name);
  }
});

/** x265 sequence headers (hvcC from MP4 in a codec-12 FLV body; the record starts at byte 5). */
const FIXTURES: readonly { name: string; decoded: HevcSps }[] = [
  {
    name: "h265_320x240_seq",
    decoded: {
      profileIdc: 1,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 1,
      width: 320,
      height: 240,
    },
  },
  {
    name: "h265_1280x720_seq",
    decoded: {
      profileIdc: 1,
      highTier: false,
      levelIdc: 93,
      maxSubLayers: 1,
      chromaFormatIdc: 1,
      width: 1280,
      height: 720,
    },
  },
  {
    name: "h265_322x242_seq",
    decoded: {
      profileIdc: 1,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 1,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h265_444_322x242_seq",
    decoded: {
      profileIdc: 4,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 3,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h265_422p10_322x242_seq",
    decoded: {
      profileIdc: 4,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 1,
      chromaFormatIdc: 2,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h265_temporal_320x240_seq",
    decoded: {
      profileIdc: 1,
      highTier: false,
      levelIdc: 60,
      maxSubLayers: 2,
      chromaFormatIdc: 1,
      width: 320,
      height: 240,
    },
  },
];

Deno.test("parseHevcDecoderConfig() reads the SPS of x265's records", () => {
  for (const { name, decoded } of FIXTURES) {
    assert.deepEqual(parseHevcDecoderConfig(fixture(name).subarray(5)), {
      nalLengthSize: 4,
      sps: decoded,
    }, name);
  }
});

Deno.test("parseHevcDecoderConfig() on a truncated record returns the same answer or throws MediaError", () => {
  for (const { name } of FIXTURES) {
    const record = fixture(name).subarray(5);
    const full = parseHevcDecoderConfig(record);
    for (let n = 0; n < record.length; n++) {
      try {
        assert.deepEqual(parseHevcDecoderConfig(record.subarray(0, n)), full);
      } catch (e) {
        assert.ok(e instanceof MediaError, `${name} cut at ${n}: ${e}`);
      }
    }
  }
  for (const { encoded } of SPS_VECTORS) {
    for (let n = 0; n < 20; n++) {
      assert.throws(() => parseHevcSps(encoded.subarray(0, n)), MediaError);
    }
  }
});

/** A record header: Main, level 2, 4-byte NALU lengths; then the arrays. */
function record(arrays: number[][]): Uint8Array {
  const header = [
    1,
    0x01,
    0x60,
    0,
    0,
    0,
    0x90,
    0,
    0,
    0,
    0,
    0,
    60,
    0xf0,
    0,
    0xfc,
    0xfd,
    0xf8,
    0xf8,
    0,
    0,
    0x0f,
  ];
  return new Uint8Array([...header, arrays.length, ...arrays.flat()]);
}

const ERRORS: readonly { name: string; encoded: Uint8Array; message: string }[] = [
  {
    name: "short record",
    encoded: new Uint8Array(22).fill(1),
    message: "HEVC decoder configuration record must be at least 23 bytes: got 22",
  },
  {
    name: "version 0",
    encoded: new Uint8Array(23),
    message: "HEVC decoder configuration record has version 0: expected 1",
  },
  {
    name: "only a VPS and a PPS",
    encoded: record([[0xa0, 0, 1, 0, 2, 0x40, 0x01], [0xa2, 0, 1, 0, 2, 0x44, 0x01]]),
    message: "HEVC decoder configuration record has no SPS in 2 arrays",
  },
  {
    name: "NAL unit length past the end",
    encoded: record([[0xa1, 0, 1, 0, 40, 0x42, 0x01]]),
    message: "HEVC NAL unit of 40 bytes at 28 overruns the 30-byte record",
  },
  {
    name: "an SPS array holding a PPS",
    encoded: record([[0xa1, 0, 1, 0, 3, 0x44, 0x01, 0xc0]]),
    message: "H.265 SPS has NAL unit type 34: expected 33",
  },
];

Deno.test("parseHevcDecoderConfig() throws MediaError on malformed records", () => {
  for (const { name, encoded, message } of ERRORS) {
    assert.throws(
      () => parseHevcDecoderConfig(encoded),
      (e: unknown) => e instanceof MediaError && e.message === message,
      name,
    );
  }
});

Deno.test("parseHevcSps() rejects a window that leaves no picture", () => {
  const sps = buildSps({
    profileIdc: 1,
    levelIdc: 60,
    chromaFormatIdc: 1,
    width: 16,
    height: 16,
    window: [0, 0, 4, 4],
  });
  assert.throws(() => parseHevcSps(sps), {
    name: "MediaError",
    message: "H.265 SPS gives a 16x0 picture",
  });
});

Deno.test("hevcProfileName() names profiles by general_profile_idc", () => {
  assert.equal(hevcProfileName(1), "Main");
  assert.equal(hevcProfileName(2), "Main 10");
  assert.equal(hevcProfileName(3), "Main Still Picture");
  assert.equal(hevcProfileName(4), "Range Extensions");
  assert.equal(hevcProfileName(9), "Screen Content Coding");
  assert.equal(hevcProfileName(0), undefined);
  assert.equal(hevcProfileName(31), undefined);
});
