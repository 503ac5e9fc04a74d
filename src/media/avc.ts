/**
 * H.264: the AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) and the
 * sequence parameter set fields that give the picture size (H.264 7.3.2.1.1).
 *
 * ```
 * AVCDecoderConfigurationRecord
 * 0  u8   configurationVersion = 1
 * 1  u8   AVCProfileIndication
 * 2  u8   profile_compatibility (constraint_set flags)
 * 3  u8   AVCLevelIndication
 * 4  u8   111111 + lengthSizeMinusOne (2 bits)
 * 5  u8   111 + numOfSequenceParameterSets (5 bits)
 * 6  per SPS: u16 length, NAL unit (header byte 0x67, then RBSP)
 *    u8 numOfPictureParameterSets, per PPS: u16 length, NAL unit; high profiles add more
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";
import { BitReader, u16At } from "./bit_reader.ts";

/**
 * Luma samples per crop unit across and down (SubWidthC, SubHeightC), as H.264 and H.265
 * both define them; ChromaArrayType 0 (monochrome or separate planes) counts luma samples.
 *
 * @example
 * ```ts
 * import { chromaCropUnits } from "./avc.ts";
 * chromaCropUnits(1, false); // [2, 2] for 4:2:0
 * ```
 */
export function chromaCropUnits(
  chromaFormatIdc: number,
  separateColourPlane: boolean,
): [x: number, y: number] {
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  return [chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1, chromaArrayType === 1 ? 2 : 1];
}

/** The picture facts of an H.264 sequence parameter set. */
export interface AvcSps {
  /** profile_idc: 66 Baseline, 77 Main, 100 High, ... */
  readonly profileIdc: number;
  /** The constraint_set0..5 flags byte as sent (bit 7 is constraint_set0). */
  readonly constraintFlags: number;
  /** level_idc: ten times the level (31 is level 3.1). */
  readonly levelIdc: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  readonly chromaFormatIdc: number;
  /** Luma bit depth (8 unless a high profile says otherwise). */
  readonly bitDepth: number;
  /** False for field or MBAFF coding (height counts two fields). */
  readonly frameMbsOnly: boolean;
  /** Displayed width in luma samples, after frame cropping. */
  readonly width: number;
  /** Displayed height in luma samples, after frame cropping. */
  readonly height: number;
}

/** What rtmp-edge keeps of an AVCDecoderConfigurationRecord. */
export interface AvcDecoderConfig {
  /** Bytes of each NALU length prefix in coded frames (1, 2 or 4). */
  readonly nalLengthSize: number;
  /** The first sequence parameter set. */
  readonly sps: AvcSps;
}

/** profile_idc values whose SPS carries chroma format, bit depths and scaling matrices. */
const HIGH_PROFILES: ReadonlySet<number> = new Set([
  100,
  110,
  122,
  244,
  44,
  83,
  86,
  118,
  128,
  138,
  139,
  134,
  135,
]);

const MAX_POC_CYCLE = 255;

/**
 * Parses an AVCDecoderConfigurationRecord and its first SPS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAvcDecoderConfig } from "./avc.ts";
 * const record = new Uint8Array([
 *   0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, // version 1, Baseline, level 3.0, 4-byte lengths, 1 SPS
 *   0x00, 0x08, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x05, 0x07, 0xe4, // 8-byte SPS: 320x240
 *   0x00, // no PPS
 * ]);
 * const { sps } = parseAvcDecoderConfig(record);
 * assert.deepEqual([sps.width, sps.height], [320, 240]);
 * ```
 */
export function parseAvcDecoderConfig(record: Uint8Array): AvcDecoderConfig {
  if (record.length < 6) {
    throw new MediaError(
      `AVC decoder configuration record must be at least 6 bytes: got ${record.length}`,
    );
  }
  if (record[0] !== 1) {
    throw new MediaError(`AVC decoder configuration record has version ${record[0]}: expected 1`);
  }
  const nalLengthSize = ((record[4] ?? 0) & 0x03) + 1;
  const numSps = (record[5] ?? 0) & 0x1f;
  if (numSps === 0) throw new MediaError("AVC decoder configuration record has 0 SPS");
  if (record.length < 8) {
    throw new MediaError(
      `AVC decoder configuration record must be at least 8 bytes: got ${record.length}`,
    );
  }
  const len = u16At(record, 6);
  if (8 + len > record.length) {
    throw new MediaError(
      `AVC SPS of ${len} bytes overruns the ${record.length}-byte configuration record`,
    );
  }
  return { nalLengthSize, sps: parseAvcSps(record.subarray(8, 8 + len)) };
}

/**
 * Parses an H.264 SPS NAL unit (header byte included, emulation prevention intact).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAvcSps } from "./avc.ts";
 * const sps = parseAvcSps(new Uint8Array([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x05, 0x07, 0xe4]));
 * assert.deepEqual([sps.profileIdc, sps.levelIdc, sps.width, sps.height], [66, 30, 320, 240]);
 * ```
 */
export function parseAvcSps(nal: Uint8Array): AvcSps {
  const r = new BitReader(nal, { emulationPrevention: true, label: "H.264 SPS" });
  const header = r.readBits(8);
  if ((header & 0x1f) !== 7) {
    throw new MediaError(`H.264 SPS has NAL unit type ${header & 0x1f}: expected 7`);
  }
  const profileIdc = r.readBits(8);
  const constraintFlags = r.readBits(8);
  const levelIdc = r.readBits(8);
  r.readUe(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepth = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.readUe();
    if (chromaFormatIdc > 3) {
      throw new MediaError(`H.264 SPS has chroma_format_idc ${chromaFormatIdc}`);
    }
    if (chromaFormatIdc === 3) separateColourPlane = r.readFlag();
    bitDepth = r.readUe() + 8; // bit_depth_luma_minus8
    r.readUe(); // bit_depth_chroma_minus8
    r.readBit(); // qpprime_y_zero_transform_bypass_flag
    if (r.readFlag()) skipScalingMatrix(r, chromaFormatIdc === 3 ? 12 : 8);
  }
  r.readUe(); // log2_max_frame_num_minus4
  const pocType = r.readUe();
  if (pocType === 0) {
    r.readUe(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.readBit(); // delta_pic_order_always_zero_flag
    r.readSe(); // offset_for_non_ref_pic
    r.readSe(); // offset_for_top_to_bottom_field
    const cycle = r.readUe();
    if (cycle > MAX_POC_CYCLE) {
      throw new MediaError(`H.264 SPS has a POC cycle of ${cycle}: at most ${MAX_POC_CYCLE}`);
    }
    for (let i = 0; i < cycle; i++) r.readSe(); // offset_for_ref_frame
  }
  r.readUe(); // max_num_ref_frames
  r.readBit(); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.readUe() + 1;
  const heightMapUnits = r.readUe() + 1;
  const frameMbsOnly = r.readFlag();
  if (!frameMbsOnly) r.readBit(); // mb_adaptive_frame_field_flag
  r.readBit(); // direct_8x8_inference_flag
  let width = widthMbs * 16;
  let height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16;
  if (r.readFlag()) { // frame_cropping_flag
    const left = r.readUe();
    const right = r.readUe();
    const top = r.readUe();
    const bottom = r.readUe();
    // Crop units (7.4.2.1.1): one luma sample per chroma sample, doubled for fields.
    const [unitX, unitY] = chromaCropUnits(chromaFormatIdc, separateColourPlane);
    width -= unitX * (left + right);
    height -= unitY * (frameMbsOnly ? 1 : 2) * (top + bottom);
  }
  if (width <= 0 || height <= 0) {
    throw new MediaError(`H.264 SPS crops the picture to ${width}x${height}`);
  }
  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    chromaFormatIdc,
    bitDepth,
    frameMbsOnly,
    width,
    height,
  };
}

/** Skips seq_scaling_list_present_flag[i] and each list sent (H.264 7.3.2.1.1.1). */
function skipScalingMatrix(r: BitReader, lists: number): void {
  for (let i = 0; i < lists; i++) {
    if (!r.readFlag()) continue;
    const size = i < 6 ? 16 : 64;
    let last = 8;
    let next = 8;
    for (let j = 0; j < size && next !== 0; j++) {
      next = (last + r.readSe() + 256) % 256;
      if (next !== 0) last = next;
    }
  }
}

/**
 * Names an H.264 profile; undefined for a profile_idc this table does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { avcProfileName } from "./avc.ts";
 * assert.equal(avcProfileName(66, 0x40), "Constrained Baseline");
 * assert.equal(avcProfileName(100, 0), "High");
 * ```
 */
export function avcProfileName(profileIdc: number, constraintFlags: number): string | undefined {
  const set1 = (constraintFlags & 0x40) !== 0;
  const set3 = (constraintFlags & 0x10) !== 0;
  switch (profileIdc) {
    case 66:
      return set1 ? "Constrained Baseline" : "Baseline";
    case 77:
      return "Main";
    case 88:
      return "Extended";
    case 100:
      return "High";
    case 110:
      return set3 ? "High 10 Intra" : "High 10";
    case 122:
      return set3 ? "High 4:2:2 Intra" : "High 4:2:2";
    case 244:
      return set3 ? "High 4:4:4 Intra" : "High 4:4:4 Predictive";
    case 44:
      return "CAVLC 4:4:4 Intra";
    default:
      return undefined;
  }
}
