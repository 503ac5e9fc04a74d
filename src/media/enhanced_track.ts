/**
 * The part of an Enhanced RTMP audio or video tag after its packet type: the optional
 * multitrack header, the FourCC and the track's extent.
 * @module
 */

import { MediaError } from "../errors.ts";
import { u24At, u32At } from "./bit_reader.ts";

/** Where one track's payload sits in an enhanced tag. */
export interface EnhancedTrack {
  /** The packet type that applies (the multitrack header's, when there is one). */
  readonly packetType: number;
  /** The codec FourCC as a big-endian u32. */
  readonly fourcc: number;
  /** Offset of the payload. */
  readonly at: number;
  /** End of the payload (the tag's end, or the first track's end). */
  readonly end: number;
}

/**
 * Reads the multitrack header (when `packetType` is `multitrack`), the FourCC and the first
 * track's extent, starting at `at`. Throws {@linkcode MediaError} on a short or bad header.
 *
 * @example
 * ```ts
 * import { readEnhancedTrack } from "./enhanced_track.ts";
 * const body = new Uint8Array([0x90, 0x61, 0x76, 0x63, 0x31, 0xaa]); // "avc1", payload 0xaa
 * readEnhancedTrack(body, 1, 0, 6, "video").at; // 5
 * ```
 */
export function readEnhancedTrack(
  body: Uint8Array,
  at: number,
  packetType: number,
  multitrack: number,
  what: "audio" | "video",
): EnhancedTrack {
  let trackHeader = 0;
  if (packetType === multitrack) {
    const b = body[at++];
    if (b === undefined) throw new MediaError(`Multitrack ${what} tag ends at byte ${at - 1}`);
    const multitrackType = b >> 4;
    packetType = b & 0x0f;
    if (multitrackType > 2 || packetType === multitrack) {
      throw new MediaError(
        `Multitrack ${what} tag has multitrack type ${multitrackType}, packet type ${packetType}`,
      );
    }
    trackHeader = multitrackType === 0 ? 1 : 4; // track id, then size unless one track
  }
  if (at + 4 + trackHeader > body.length) {
    throw new MediaError(
      `Enhanced ${what} tag body must be at least ${
        at + 4 + trackHeader
      } bytes: got ${body.length}`,
    );
  }
  const fourcc = u32At(body, at);
  at += 4;
  let end = body.length;
  if (trackHeader === 4) {
    end = at + 4 + u24At(body, at + 1);
    if (end > body.length) {
      const track = what === "audio" ? "Audio" : "Video";
      throw new MediaError(
        `${track} track of ${end - at - 4} bytes overruns the ${body.length}-byte tag`,
      );
    }
  }
  return { packetType, fourcc, at: at + trackHeader, end };
}
