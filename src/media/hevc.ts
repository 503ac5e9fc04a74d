/**
 * H.265: the HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1) and the
 * sequence parameter set fields that give the picture size (H.265 7.3.2.2).
 *
 * ```
 * HEVCDecoderConfigurationRecord
 * 0   u8   configurationVersion = 1
 * 1   u8   general_profile_space (2) tier (1) profile_idc (5)
 * 2   u32  general_profile_compatibility_flags
 * 6   u48  general constraint indicator flags
 * 12  u8   general_level_idc
 * 13  u16  1111 + min_spatial_segmentation_idc (12)
 * 15  u8   111111 + parallelismType (2)
 * 16  u8   111111 + chromaFormat (2)
 * 17  u8   11111 + bitDepthLumaMinus8 (3)
 * 18  u8   11111 + bitDepthChromaMinus8 (3)
 * 19  u16  avgFrameRate
 * 21  u8   constantFrameRate (2) numTemporalLayers (3) temporalIdNested (1) lengthSizeMinusOne (2)
 * 22  u8   numOfArrays
 * 23  per array: u8 completeness (1) reserved (1) NAL_unit_type (6), u16 numNalus,
 *     per NALU: u16 length, NAL unit (2-byte header, then RBSP)
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";
import { BitReader, u16At } from "./bit_reader.ts";
import { chromaCropUnits } from "./avc.ts";

/** The picture facts of an H.265 sequence parameter set. */
export interface HevcSps {
  /** general_profile_idc: 1 Main, 2 Main 10, 3 Main Still Picture, 4 Range Extensions, ... */
  readonly profileIdc: number;
  /** general_tier_flag: false Main tier, true High tier. */
  readonly highTier: boolean;
  /** general_level_idc: thirty times the level (93 is level 3.1). */
  readonly levelIdc: number;
  /** sps_max_sub_layers_minus1 + 1. */
  readonly maxSubLayers: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4. */
  readonly chromaFormatIdc: number;
  /** Displayed width in luma samples, after the conformance window. */
  readonly width: number;
  /** Displayed height in luma samples, after the conformance window. */
  readonly height: number;
}

/** What rtmp-edge keeps of an HEVCDecoderConfigurationRecord. */
export interface HevcDecoderConfig {
  /** Bytes of each NALU length prefix in coded frames (1, 2 or 4). */
  readonly nalLengthSize: number;
  /** The first sequence parameter set. */
  readonly sps: HevcSps;
}

const NAL_SPS = 33;
const RECORD_HEADER = 23;

/**
 * Parses an HEVCDecoderConfigurationRecord and the first SPS in its arrays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHevcDecoderConfig } from "./hevc.ts";
 * const header = [1, 0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d, 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8,
 *   0, 0, 0x0f, 1]; // Main, level 3.1, 4-byte lengths, 1 array
 * const sps = [0x42, 0x01, 0x01, 0x01, 0x60, 0, 0, 0x03, 0, 0x90, 0, 0, 0x03, 0, 0, 0x03, 0, 0x5d,
 *   0xa0, 0x0a, 0x08, 0x0f, 0x14]; // 320x240 4:2:0
 * const record = new Uint8Array([...header, 0xa1, 0, 1, 0, sps.length, ...sps]);
 * const config = parseHevcDecoderConfig(record);
 * assert.deepEqual([config.sps.width, config.sps.height], [320, 240]);
 * ```
 */
export function parseHevcDecoderConfig(record: Uint8Array): HevcDecoderConfig {
  if (record.length < RECORD_HEADER) {
    throw new MediaError(
      `HEVC decoder configuration record must be at least ${RECORD_HEADER} bytes: got ${record.length}`,
    );
  }
  if (record[0] !== 1) {
    throw new MediaError(`HEVC decoder configuration record has version ${record[0]}: expected 1`);
  }
  const nalLengthSize = ((record[21] ?? 0) & 0x03) + 1;
  const arrays = record[22] ?? 0;
  let at = RECORD_HEADER;
  for (let a = 0; a < arrays; a++) {
    if (at + 3 > record.length) break;
    const type = (record[at] ?? 0) & 0x3f;
    const count = u16At(record, at + 1);
    at += 3;
    for (let n = 0; n < count; n++) {
      if (at + 2 > record.length) break;
      const len = u16At(record, at);
      at += 2;
      if (at + len > record.length) {
        throw new MediaError(
          `HEVC NAL unit of ${len} bytes at ${at} overruns the ${record.length}-byte record`,
        );
      }
      if (type === NAL_SPS) {
        return { nalLengthSize, sps: parseHevcSps(record.subarray(at, at + len)) };
      }
      at += len;
    }
  }
  throw new MediaError(`HEVC decoder configuration record has no SPS in ${arrays} arrays`);
}

/**
 * Parses an H.265 SPS NAL unit (2-byte header included, emulation prevention intact).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHevcSps } from "./hevc.ts";
 * const sps = parseHevcSps(new Uint8Array([0x42, 0x01, 0x01, 0x01, 0x60, 0, 0, 0x03, 0, 0x90, 0,
 *   0, 0x03, 0, 0, 0x03, 0, 0x5d, 0xa0, 0x0a, 0x08, 0x0f, 0x14]));
 * assert.deepEqual([sps.profileIdc, sps.levelIdc, sps.width, sps.height], [1, 93, 320, 240]);
 * ```
 */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  const r = new BitReader(nal, { emulationPrevention: true, label: "H.265 SPS" });
  const header = r.readBits(16);
  const type = (header >> 9) & 0x3f;
  if (type !== NAL_SPS) throw new MediaError(`H.265 SPS has NAL unit type ${type}: expected 33`);
  r.skipBits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.readBits(3);
  r.readBit(); // sps_temporal_id_nesting_flag
  // profile_tier_level(1, sps_max_sub_layers_minus1), 7.3.3
  r.skipBits(2); // general_profile_space
  const highTier = r.readFlag();
  const profileIdc = r.readBits(5);
  r.skipBits(32 + 48); // compatibility flags, progressive/interlaced/... constraint flags
  const levelIdc = r.readBits(8);
  let profilePresent = 0;
  let levelPresent = 0;
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent |= r.readBit() << i;
    levelPresent |= r.readBit() << i;
  }
  if (maxSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if ((profilePresent >> i) & 1) r.skipBits(88); // sub-layer profile space ... constraint flags
    if ((levelPresent >> i) & 1) r.skipBits(8); // sub_layer_level_idc
  }
  r.readUe(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.readUe();
  if (chromaFormatIdc > 3) {
    throw new MediaError(`H.265 SPS has chroma_format_idc ${chromaFormatIdc}`);
  }
  const separateColourPlane = chromaFormatIdc === 3 ? r.readFlag() : false;
  let width = r.readUe(); // pic_width_in_luma_samples
  let height = r.readUe(); // pic_height_in_luma_samples
  if (r.readFlag()) { // conformance_window_flag
    const left = r.readUe();
    const right = r.readUe();
    const top = r.readUe();
    const bottom = r.readUe();
    // SubWidthC / SubHeightC (Table 6-1).
    const [unitX, unitY] = chromaCropUnits(chromaFormatIdc, separateColourPlane);
    width -= unitX * (left + right);
    height -= unitY * (top + bottom);
  }
  if (width <= 0 || height <= 0) {
    throw new MediaError(`H.265 SPS gives a ${width}x${height} picture`);
  }
  return {
    profileIdc,
    highTier,
    levelIdc,
    maxSubLayers: maxSubLayersMinus1 + 1,
    chromaFormatIdc,
    width,
    height,
  };
}

const PROFILE_NAMES: readonly (string | undefined)[] = [
  undefined,
  "Main",
  "Main 10",
  "Main Still Picture",
  "Range Extensions",
  "High Throughput",
  "Multiview Main",
  "Scalable Main",
  "3D Main",
  "Screen Content Coding",
  "Scalable Range Extensions",
  "High Throughput Screen Content Coding",
];

/**
 * Names an H.265 profile by general_profile_idc; undefined for one this table does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hevcProfileName } from "./hevc.ts";
 * assert.equal(hevcProfileName(2), "Main 10");
 * ```
 */
export function hevcProfileName(profileIdc: number): string | undefined {
  return PROFILE_NAMES[profileIdc];
}
