/**
 * Picture size from an SPS carried inside an H.264 key frame, for encoders whose sequence
 * header is empty (FFmpeg's tee muxer without global headers, some hardware boxes).
 * @module
 */

import { MediaError } from "../errors.ts";
import { parseAvcSps } from "./avc.ts";

/** Legacy FLV AVC frame: frame type + codec id, packet type, composition time (3 bytes). */
const AVC_NALUS_AT = 5;
const NAL_SPS = 7;

/**
 * Finds the first SPS among the NAL units of a legacy FLV AVC key frame (4-byte length
 * prefixes, or Annex-B start codes as FFmpeg writes them without global headers) and
 * returns its displayed size, or null when there is none or it cannot be read.
 *
 * @example
 * ```ts
 * import { inbandAvcSize } from "./inband_sps.ts";
 * inbandAvcSize(new Uint8Array([0x17, 1, 0, 0, 0])); // null: no NAL units
 * ```
 */
export function inbandAvcSize(body: Uint8Array): { width: number; height: number } | null {
  if (body.length < AVC_NALUS_AT || (body[0]! & 0x0f) !== 7 || body[1] !== 1) return null;
  const nal = isAnnexB(body, AVC_NALUS_AT)
    ? annexBSps(body, AVC_NALUS_AT)
    : lengthPrefixedSps(body, AVC_NALUS_AT);
  if (nal === null) return null;
  try {
    const sps = parseAvcSps(nal);
    return { width: sps.width, height: sps.height };
  } catch (e) {
    if (e instanceof MediaError) return null;
    throw e;
  }
}

/** Whether the NAL units start with an Annex-B start code (FFmpeg without global headers). */
function isAnnexB(b: Uint8Array, at: number): boolean {
  return b[at] === 0 && b[at + 1] === 0 &&
    (b[at + 2] === 1 || (b[at + 2] === 0 && b[at + 3] === 1));
}

function lengthPrefixedSps(body: Uint8Array, at: number): Uint8Array | null {
  while (at + 5 <= body.length) {
    const size =
      ((body[at]! << 24) | (body[at + 1]! << 16) | (body[at + 2]! << 8) | body[at + 3]!) >>>
      0;
    const start = at + 4;
    if (size === 0 || start + size > body.length) return null;
    if ((body[start]! & 0x1f) === NAL_SPS) return body.subarray(start, start + size);
    at = start + size;
  }
  return null;
}

function annexBSps(body: Uint8Array, at: number): Uint8Array | null {
  for (let i = at; i + 3 < body.length; i++) {
    if (body[i] !== 0 || body[i + 1] !== 0 || body[i + 2] !== 1) continue;
    const start = i + 3;
    if ((body[start]! & 0x1f) !== NAL_SPS) continue;
    let end = start + 1;
    while (
      end + 2 < body.length && !(body[end] === 0 && body[end + 1] === 0 && body[end + 2]! <= 1)
    ) end++;
    return body.subarray(start, end + 2 < body.length ? end : body.length);
  }
  return null;
}
