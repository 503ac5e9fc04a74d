import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import {
  avcProfileName,
  type AvcSps,
  parseAvcDecoderConfig,
  parseAvcSps,
} from "../../src/media/avc.ts";
import { BitWriter } from "./bit_writer.ts";
import { fixture } from "./flv_tags.ts";

/** The SPS fields a golden vector sets; see H.264 7.3.2.1.1 for their order. */
interface SpsFields {
  profileIdc: number;
  constraintFlags?: number;
  levelIdc: number;
  /** Written only for high profiles, with the fields after it. */
  high?: {
    chromaFormatIdc: number;
    separateColourPlane?: boolean;
    bitDepthLuma?: number;
    /** One entry per scaling list: null for absent, else the delta_scale values sent. */
    scalingLists?: (number[] | null)[];
  };
  pocType: 0 | 1 | 2;
  pocCycle?: number[];
  maxNumRefFrames?: number;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly: boolean;
  crop?: [left: number, right: number, top: number, bottom: number];
}

function buildSps(f: SpsFields): Uint8Array {
  const w = new BitWriter()
    .u(8, f.profileIdc) // profile_idc
    .u(8, f.constraintFlags ?? 0) // constraint_set0..5_flag, reserved_zero_2bits
    .u(8, f.levelIdc) // level_idc
    .ue(0); // seq_parameter_set_id
  if (f.high !== undefined) {
    w.ue(f.high.chromaFormatIdc); // chroma_format_idc
    if (f.high.chromaFormatIdc === 3) w.flag(f.high.separateColourPlane ?? false); // separate_colour_plane_flag
    w.ue((f.high.bitDepthLuma ?? 8) - 8); // bit_depth_luma_minus8
    w.ue(0); // bit_depth_chroma_minus8
    w.flag(false); // qpprime_y_zero_transform_bypass_flag
    w.flag(f.high.scalingLists !== undefined); // seq_scaling_matrix_present_flag
    for (const list of f.high.scalingLists ?? []) {
      w.flag(list !== null); // seq_scaling_list_present_flag[i]
      for (const delta of list ?? []) w.se(delta); // delta_scale
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(f.pocType); // pic_order_cnt_type
  if (f.pocType === 0) w.ue(2); // log2_max_pic_order_cnt_lsb_minus4
  if (f.pocType === 1) {
    w.flag(false); // delta_pic_order_always_zero_flag
    w.se(-1); // offset_for_non_ref_pic
    w.se(2); // offset_for_top_to_bottom_field
    w.ue(f.pocCycle?.length ?? 0); // num_ref_frames_in_pic_order_cnt_cycle
    for (const offset of f.pocCycle ?? []) w.se(offset); // offset_for_ref_frame[i]
  }
  w.ue(f.maxNumRefFrames ?? 1); // max_num_ref_frames
  w.flag(false); // gaps_in_frame_num_value_allowed_flag
  w.ue(f.widthMbs - 1); // pic_width_in_mbs_minus1
  w.ue(f.heightMapUnits - 1); // pic_height_in_map_units_minus1
  w.flag(f.frameMbsOnly); // frame_mbs_only_flag
  if (!f.frameMbsOnly) w.flag(true); // mb_adaptive_frame_field_flag
  w.flag(true); // direct_8x8_inference_flag
  w.flag(f.crop !== undefined); // frame_cropping_flag
  for (const offset of f.crop ?? []) w.ue(offset); // frame_crop_left/right/top/bottom_offset
  w.flag(false); // vui_parameters_present_flag
  return w.nal([0x67]); // forbidden 0, nal_ref_idc 3, nal_unit_type 7
}

/** A full 4x4 list (16 deltas) and a list cut short by a zero next scale ("use default"). */
const LIST_4X4 = [1, 2, -1, 0, 3, 0, 0, 1, -2, 0, 0, 0, 1, 0, 0, 0];
const LIST_8X8 = Array.from({ length: 64 }, (_, i) => (i % 3) - 1);
const USE_DEFAULT = [-8];

const SPS_VECTORS: readonly { name: string; encoded: Uint8Array; decoded: AvcSps }[] = [
  {
    name: "Baseline 320x240 without cropping",
    encoded: buildSps({
      profileIdc: 66,
      constraintFlags: 0xc0,
      levelIdc: 30,
      pocType: 2,
      widthMbs: 20,
      heightMapUnits: 15,
      frameMbsOnly: true,
    }),
    decoded: {
      profileIdc: 66,
      constraintFlags: 0xc0,
      levelIdc: 30,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 320,
      height: 240,
    },
  },
  {
    name: "Main 1920x1080 crops 8 rows in 4:2:0 units of 2",
    encoded: buildSps({
      profileIdc: 77,
      levelIdc: 40,
      pocType: 0,
      widthMbs: 120,
      heightMapUnits: 68,
      frameMbsOnly: true,
      crop: [0, 0, 0, 4],
    }),
    decoded: {
      profileIdc: 77,
      constraintFlags: 0,
      levelIdc: 40,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 1920,
      height: 1080,
    },
  },
  {
    name: "High interlaced 1920x1080 counts field pairs and crops in units of 4",
    encoded: buildSps({
      profileIdc: 100,
      levelIdc: 40,
      high: { chromaFormatIdc: 1 },
      pocType: 0,
      widthMbs: 120,
      heightMapUnits: 34,
      frameMbsOnly: false,
      crop: [0, 0, 0, 2],
    }),
    decoded: {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 40,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: false,
      width: 1920,
      height: 1080,
    },
  },
  {
    name: "High 4:4:4 skips 12 scaling lists and crops in units of 1",
    encoded: buildSps({
      profileIdc: 244,
      levelIdc: 13,
      high: {
        chromaFormatIdc: 3,
        scalingLists: [
          LIST_4X4,
          null,
          USE_DEFAULT,
          LIST_4X4,
          null,
          null,
          LIST_8X8,
          USE_DEFAULT,
          null,
          LIST_8X8,
          null,
          LIST_8X8,
        ],
      },
      pocType: 0,
      widthMbs: 21,
      heightMapUnits: 16,
      frameMbsOnly: true,
      crop: [0, 14, 0, 14],
    }),
    decoded: {
      profileIdc: 244,
      constraintFlags: 0,
      levelIdc: 13,
      chromaFormatIdc: 3,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 322,
      height: 242,
    },
  },
  {
    name: "High 4:2:2 10-bit skips 8 scaling lists and crops 2 across, 1 down",
    encoded: buildSps({
      profileIdc: 122,
      levelIdc: 31,
      high: {
        chromaFormatIdc: 2,
        bitDepthLuma: 10,
        scalingLists: [null, LIST_4X4, null, null, USE_DEFAULT, null, LIST_8X8, LIST_8X8],
      },
      pocType: 2,
      widthMbs: 21,
      heightMapUnits: 16,
      frameMbsOnly: true,
      crop: [0, 7, 0, 14],
    }),
    decoded: {
      profileIdc: 122,
      constraintFlags: 0,
      levelIdc: 31,
      chromaFormatIdc: 2,
      bitDepth: 10,
      frameMbsOnly: true,
      width: 322,
      height: 242,
    },
  },
  {
    name: "separate colour planes crop in luma samples, doubled for fields",
    encoded: buildSps({
      profileIdc: 244,
      levelIdc: 30,
      high: { chromaFormatIdc: 3, separateColourPlane: true },
      pocType: 0,
      widthMbs: 20,
      heightMapUnits: 8,
      frameMbsOnly: false,
      crop: [1, 1, 0, 8],
    }),
    decoded: {
      profileIdc: 244,
      constraintFlags: 0,
      levelIdc: 30,
      chromaFormatIdc: 3,
      bitDepth: 8,
      frameMbsOnly: false,
      width: 318,
      height: 240,
    },
  },
  {
    name: "monochrome High crops in units of 1",
    encoded: buildSps({
      profileIdc: 100,
      levelIdc: 30,
      high: { chromaFormatIdc: 0 },
      pocType: 0,
      widthMbs: 20,
      heightMapUnits: 16,
      frameMbsOnly: true,
      crop: [0, 0, 0, 16],
    }),
    decoded: {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 30,
      chromaFormatIdc: 0,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 320,
      height: 240,
    },
  },
  {
    name: "POC type 1 with a 3-entry cycle",
    encoded: buildSps({
      profileIdc: 77,
      levelIdc: 30,
      pocType: 1,
      pocCycle: [1, -2, 3],
      widthMbs: 40,
      heightMapUnits: 30,
      frameMbsOnly: true,
    }),
    decoded: {
      profileIdc: 77,
      constraintFlags: 0,
      levelIdc: 30,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 640,
      height: 480,
    },
  },
  {
    name: "emulation prevention inside the parsed fields",
    // ue(2^26) is 26 zero bits: the writer must insert 00 00 03
    encoded: buildSps({
      profileIdc: 66,
      levelIdc: 30,
      pocType: 2,
      maxNumRefFrames: 2 ** 26,
      widthMbs: 20,
      heightMapUnits: 15,
      frameMbsOnly: true,
    }),
    decoded: {
      profileIdc: 66,
      constraintFlags: 0,
      levelIdc: 30,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 320,
      height: 240,
    },
  },
];

Deno.test("parseAvcSps() decodes the golden SPS vectors", () => {
  for (const { name, encoded, decoded } of SPS_VECTORS) {
    assert.deepEqual(parseAvcSps(encoded), decoded, name);
  }
  const epb = SPS_VECTORS.at(-1)?.encoded ?? new Uint8Array();
  assert.ok(
    epb.some((b, i) => b === 3 && epb[i - 1] === 0 && epb[i - 2] === 0),
    "vector has an EPB",
  );
});

/** ffmpeg/x264 sequence headers (FLV bodies; the record starts at byte 5). */
const FIXTURES: readonly { name: string; decoded: AvcSps }[] = [
  {
    name: "h264_320x240_seq",
    decoded: {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 13,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 320,
      height: 240,
    },
  },
  {
    name: "h264_1280x720_seq",
    decoded: {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 31,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 1280,
      height: 720,
    },
  },
  {
    name: "h264_322x242_seq",
    decoded: {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 13,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h264_baseline_322x242_seq",
    decoded: {
      profileIdc: 66,
      constraintFlags: 0xc0,
      levelIdc: 13,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h264_444_322x242_seq",
    decoded: {
      profileIdc: 244,
      constraintFlags: 0,
      levelIdc: 13,
      chromaFormatIdc: 3,
      bitDepth: 8,
      frameMbsOnly: true,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h264_422p10_322x242_seq",
    decoded: {
      profileIdc: 122,
      constraintFlags: 0,
      levelIdc: 13,
      chromaFormatIdc: 2,
      bitDepth: 10,
      frameMbsOnly: true,
      width: 322,
      height: 242,
    },
  },
  {
    name: "h264_interlaced_320x240_seq",
    decoded: {
      profileIdc: 100,
      constraintFlags: 0,
      levelIdc: 21,
      chromaFormatIdc: 1,
      bitDepth: 8,
      frameMbsOnly: false,
      width: 320,
      height: 240,
    },
  },
];

Deno.test("parseAvcDecoderConfig() reads the SPS of ffmpeg's sequence headers", () => {
  for (const { name, decoded } of FIXTURES) {
    const config = parseAvcDecoderConfig(fixture(name).subarray(5));
    assert.deepEqual(config, { nalLengthSize: 4, sps: decoded }, name);
  }
});

Deno.test("parseAvcSps() on a truncated SPS returns the same answer or throws MediaError", () => {
  const nals = [
    ...SPS_VECTORS.map((v) => v.encoded),
    ...FIXTURES.map(({ name }) => {
      const record = fixture(name).subarray(5);
      return record.subarray(8, 8 + ((record[6] ?? 0) << 8 | (record[7] ?? 0)));
    }),
  ];
  for (const nal of nals) {
    const full = parseAvcSps(nal);
    for (let n = 0; n < nal.length; n++) {
      try {
        assert.deepEqual(parseAvcSps(nal.subarray(0, n)), full);
      } catch (e) {
        assert.ok(e instanceof MediaError, `cut at ${n}: ${e}`);
      }
    }
    assert.throws(() => parseAvcSps(nal.subarray(0, 4)), MediaError);
  }
});

/** Malformed records and SPS: each must throw MediaError with this message. */
const ERRORS: readonly { name: string; encoded: Uint8Array; message: string }[] = [
  {
    name: "short record",
    encoded: new Uint8Array([1, 0x64, 0, 0x1f, 0xff]),
    message: "AVC decoder configuration record must be at least 6 bytes: got 5",
  },
  {
    name: "version 0",
    encoded: new Uint8Array([0, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0]),
    message: "AVC decoder configuration record has version 0: expected 1",
  },
  {
    name: "no SPS",
    encoded: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0]),
    message: "AVC decoder configuration record has 0 SPS",
  },
  {
    name: "no SPS length",
    encoded: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0]),
    message: "AVC decoder configuration record must be at least 8 bytes: got 7",
  },
  {
    name: "SPS length past the end",
    encoded: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0x00, 0x09, 0x67, 0x64]),
    message: "AVC SPS of 9 bytes overruns the 10-byte configuration record",
  },
  {
    name: "a PPS where the SPS should be",
    encoded: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0x00, 0x02, 0x68, 0xee]),
    message: "H.264 SPS has NAL unit type 8: expected 7",
  },
];

Deno.test("parseAvcDecoderConfig() throws MediaError on malformed records", () => {
  for (const { name, encoded, message } of ERRORS) {
    assert.throws(
      () => parseAvcDecoderConfig(encoded),
      (e: unknown) => e instanceof MediaError && e.message === message,
      name,
    );
  }
});

Deno.test("parseAvcSps() rejects a crop that leaves no picture, a long POC cycle and chroma_format_idc 4", () => {
  const cropAll = buildSps({
    profileIdc: 66,
    levelIdc: 30,
    pocType: 2,
    widthMbs: 1,
    heightMapUnits: 1,
    frameMbsOnly: true,
    crop: [4, 4, 0, 0],
  });
  assert.throws(() => parseAvcSps(cropAll), {
    name: "MediaError",
    message: "H.264 SPS crops the picture to 0x16",
  });
  const longCycle = buildSps({
    profileIdc: 66,
    levelIdc: 30,
    pocType: 1,
    pocCycle: new Array<number>(256).fill(0),
    widthMbs: 1,
    heightMapUnits: 1,
    frameMbsOnly: true,
  });
  assert.throws(() => parseAvcSps(longCycle), {
    name: "MediaError",
    message: "H.264 SPS has a POC cycle of 256: at most 255",
  });
  const chroma4 = buildSps({
    profileIdc: 100,
    levelIdc: 30,
    high: { chromaFormatIdc: 4 },
    pocType: 2,
    widthMbs: 1,
    heightMapUnits: 1,
    frameMbsOnly: true,
  });
  assert.throws(() => parseAvcSps(chroma4), {
    name: "MediaError",
    message: "H.264 SPS has chroma_format_idc 4",
  });
});

Deno.test("avcProfileName() names profiles by profile_idc and constraint flags", () => {
  const table: [number, number, string | undefined][] = [
    [66, 0x00, "Baseline"],
    [66, 0x40, "Constrained Baseline"], // constraint_set1
    [77, 0x00, "Main"],
    [88, 0x00, "Extended"],
    [100, 0x00, "High"],
    [110, 0x10, "High 10 Intra"], // constraint_set3
    [122, 0x00, "High 4:2:2"],
    [244, 0x00, "High 4:4:4 Predictive"],
    [44, 0x00, "CAVLC 4:4:4 Intra"],
    [1, 0x00, undefined],
  ];
  for (const [idc, flags, name] of table) {
    assert.equal(avcProfileName(idc, flags), name, `${idc}/${flags}`);
  }
});
