/**
 * AV1: the AV1CodecConfigurationRecord (AV1 ISOBMFF binding 2.3) and the
 * sequence header OBU fields that give the largest frame size (AV1 5.5).
 *
 * ```
 * AV1CodecConfigurationRecord
 * 0  u8   marker (1) = 1, version (7) = 1
 * 1  u8   seq_profile (3) seq_level_idx_0 (5)
 * 2  u8   seq_tier_0, high_bitdepth, twelve_bit, monochrome, subsampling_x, subsampling_y,
 *         chroma_sample_position (2)
 * 3  u8   reserved (3) initial_presentation_delay_present (1) delay_minus_one (4)
 * 4  configOBUs: OBUs with obu_has_size_field = 1, a sequence header OBU first
 *
 * OBU header: forbidden (1) obu_type (4) extension_flag (1) has_size_field (1) reserved (1),
 *             [extension byte], [leb128 obu_size]
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";
import { BitReader } from "./bit_reader.ts";

/** The frame-size facts of an AV1 sequence header OBU. */
export interface Av1SequenceHeader {
  /** seq_profile: 0 Main, 1 High, 2 Professional. */
  readonly seqProfile: number;
  /** seq_level_idx of operating point 0 (level 2.0 is 0, 4.1 is 9, 31 means no limit). */
  readonly seqLevelIdx: number;
  /** seq_tier of operating point 0. */
  readonly highTier: boolean;
  /** max_frame_width_minus_1 + 1. */
  readonly maxFrameWidth: number;
  /** max_frame_height_minus_1 + 1. */
  readonly maxFrameHeight: number;
}

const OBU_SEQUENCE_HEADER = 1;
const RECORD_HEADER = 4;

/**
 * Parses an AV1CodecConfigurationRecord and the sequence header OBU in its configOBUs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAv1CodecConfig } from "./av1.ts";
 * const record = new Uint8Array([
 *   0x81, 0x00, 0x0c, 0x00, // version 1, Main, level 2.0, 4:2:0
 *   0x0a, 0x0b, // OBU header: sequence header with a size field; 11 bytes
 *   0x00, 0x00, 0x00, 0x04, 0x3c, 0xff, 0xbc, 0xda, 0xf9, 0x00, 0x40, // libaom, 320x240
 * ]);
 * const seq = parseAv1CodecConfig(record);
 * assert.deepEqual([seq.maxFrameWidth, seq.maxFrameHeight], [320, 240]);
 * ```
 */
export function parseAv1CodecConfig(record: Uint8Array): Av1SequenceHeader {
  if (record.length < RECORD_HEADER) {
    throw new MediaError(
      `AV1 codec configuration record must be at least 4 bytes: got ${record.length}`,
    );
  }
  if (record[0] !== 0x81) {
    throw new MediaError(
      `AV1 codec configuration record starts with 0x${
        (record[0] ?? 0).toString(16)
      }: expected 0x81`,
    );
  }
  let at = RECORD_HEADER;
  while (at < record.length) {
    const header = record[at] ?? 0;
    const type = (header >> 3) & 0x0f;
    at += (header & 0x04) !== 0 ? 2 : 1; // extension byte
    let size = record.length - at;
    if ((header & 0x02) !== 0) {
      size = 0;
      for (let i = 0;; i++) { // leb128 obu_size
        if (i === 8) throw new MediaError("AV1 OBU size runs past 8 leb128 bytes");
        if (at >= record.length) {
          throw new MediaError(`AV1 OBU size ends at byte ${at} of a ${record.length}-byte record`);
        }
        const b = record[at++] ?? 0;
        size += (b & 0x7f) * 2 ** (7 * i);
        if ((b & 0x80) === 0) break;
      }
    }
    if (at + size > record.length) {
      throw new MediaError(
        `AV1 OBU of ${size} bytes at ${at} overruns the ${record.length}-byte record`,
      );
    }
    if (type === OBU_SEQUENCE_HEADER) return parseAv1SequenceHeader(record.subarray(at, at + size));
    at += size;
  }
  throw new MediaError("AV1 codec configuration record has no sequence header OBU");
}

/**
 * Parses the payload of an AV1 sequence header OBU (after its OBU header and size).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAv1SequenceHeader } from "./av1.ts";
 * // reduced_still_picture_header, level 2.0, 9- and 8-bit size fields: 320x240
 * const seq = parseAv1SequenceHeader(new Uint8Array([0x18, 0x21, 0xe7, 0xfd, 0xe0]));
 * assert.deepEqual([seq.maxFrameWidth, seq.maxFrameHeight], [320, 240]);
 * ```
 */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const r = new BitReader(payload, { label: "AV1 sequence header" });
  const seqProfile = r.readBits(3);
  r.readBit(); // still_picture
  const reduced = r.readFlag(); // reduced_still_picture_header
  let seqLevelIdx: number;
  let highTier = false;
  if (reduced) {
    seqLevelIdx = r.readBits(5);
  } else {
    let bufferDelayLength = 0;
    let decoderModelInfo = false;
    if (r.readFlag()) { // timing_info_present_flag
      r.skipBits(64); // num_units_in_display_tick, time_scale
      if (r.readFlag()) readUvlc(r); // equal_picture_interval → num_ticks_per_picture_minus_1
      decoderModelInfo = r.readFlag();
      if (decoderModelInfo) {
        bufferDelayLength = r.readBits(5) + 1;
        r.skipBits(32 + 5 + 5); // num_units_in_decoding_tick, two length fields
      }
    }
    const initialDisplayDelay = r.readFlag();
    const operatingPoints = r.readBits(5) + 1;
    seqLevelIdx = 0;
    for (let i = 0; i < operatingPoints; i++) {
      r.skipBits(12); // operating_point_idc
      const level = r.readBits(5);
      const tier = level > 7 ? r.readFlag() : false;
      if (i === 0) {
        seqLevelIdx = level;
        highTier = tier;
      }
      if (decoderModelInfo && r.readFlag()) r.skipBits(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.readFlag()) r.skipBits(4);
    }
  }
  const widthBits = r.readBits(4) + 1;
  const heightBits = r.readBits(4) + 1;
  const maxFrameWidth = r.readBits(widthBits) + 1;
  const maxFrameHeight = r.readBits(heightBits) + 1;
  return { seqProfile, seqLevelIdx, highTier, maxFrameWidth, maxFrameHeight };
}

/** Reads uvlc() (AV1 4.10.3); 32 or more leading zeros give 2^32 - 1. */
function readUvlc(r: BitReader): number {
  let zeros = 0;
  while (r.readBit() === 0) zeros++; // bounded: the reader throws at the end of the input
  if (zeros >= 32) return 2 ** 32 - 1;
  return r.readBits(zeros) + 2 ** zeros - 1;
}

/**
 * Names an AV1 seq_profile; undefined past the three the spec defines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { av1ProfileName } from "./av1.ts";
 * assert.equal(av1ProfileName(0), "Main");
 * ```
 */
export function av1ProfileName(seqProfile: number): string | undefined {
  return seqProfile === 0
    ? "Main"
    : seqProfile === 1
    ? "High"
    : seqProfile === 2
    ? "Professional"
    : undefined;
}

/**
 * Converts seq_level_idx to the level number (2.0 + idx/4, minor idx%4); 31 has no level.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { av1Level } from "./av1.ts";
 * assert.equal(av1Level(9), 4.1);
 * ```
 */
export function av1Level(seqLevelIdx: number): number | undefined {
  if (seqLevelIdx >= 24) return undefined;
  return 2 + (seqLevelIdx >> 2) + (seqLevelIdx & 3) / 10;
}
