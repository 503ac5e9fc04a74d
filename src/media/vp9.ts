/**
 * The picture size of a VP9 key frame, from its uncompressed header (VP9 bitstream spec
 * 6.2): the VPCodecConfigurationRecord of an Enhanced RTMP sequence start has none.
 *
 * ```
 * frame_marker (2) = 2, profile_low (1), profile_high (1), [reserved (1) if profile 3]
 * show_existing_frame (1), frame_type (1, 0 = key), show_frame (1), error_resilient (1)
 * key frame: sync code 0x49 0x83 0x42, color_config, frame_width-1 (16), frame_height-1 (16)
 * color_config: [ten_or_twelve_bit (1) if profile >= 2] color_space (3)
 *               not RGB (7): color_range (1) [subsampling_x, subsampling_y, reserved if profile 1 or 3]
 *               RGB: [reserved (1) if profile 1 or 3]
 * ```
 * @module
 */

import { BitReader } from "./bit_reader.ts";

/**
 * Width and height of a VP9 key frame; null for inter frames, shown-existing frames and
 * anything that is not a VP9 frame header. Throws MediaError on a header cut short.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vp9KeyFrameSize } from "./vp9.ts";
 * // profile 0 key frame, sync code, color space 0 range 0, 320x240
 * const frame = new Uint8Array([0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xf0, 0x0e, 0xf0]);
 * assert.deepEqual(vp9KeyFrameSize(frame), { width: 320, height: 240 });
 * ```
 */
export function vp9KeyFrameSize(frame: Uint8Array): { width: number; height: number } | null {
  const r = new BitReader(frame, { label: "VP9 frame header" });
  if (r.readBits(2) !== 2) return null;
  const low = r.readBits(1);
  const profile = (r.readBits(1) << 1) | low;
  if (profile === 3) r.readBits(1);
  if (r.readBits(1) === 1) return null; // show_existing_frame
  if (r.readBits(1) !== 0) return null; // not a key frame
  r.readBits(2); // show_frame, error_resilient_mode
  if (r.readBits(24) !== 0x498342) return null;
  if (profile >= 2) r.readBits(1);
  const colorSpace = r.readBits(3);
  if (colorSpace !== 7) {
    r.readBits(1);
    if (profile === 1 || profile === 3) r.readBits(3);
  } else if (profile === 1 || profile === 3) r.readBits(1);
  const width = r.readBits(16) + 1;
  const height = r.readBits(16) + 1;
  return { width, height };
}
