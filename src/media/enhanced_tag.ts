/**
 * Enhanced RTMP v2 audio and video tag headers as plain data, with encode/decode: the
 * ModEx chain (incl. the nanosecond timestamp offset), the multitrack header and every
 * track's FourCC and payload (veovera enhanced-rtmp v2, "ExVideoTagHeader"/"ExAudioTagHeader").
 *
 * ```
 * video byte 0  IsExHeader (1) frame type (3) packet type (4)
 * audio byte 0  sound format 9 (4) packet type (4)
 * ModEx*        while packet type is ModEx (video 7, audio 7):
 *               size-1 u8 (0xff: size-1 u16 follows), data[size], mod-ex type (4) packet type (4)
 *               mod-ex type 0 = TimestampOffsetNano, data = u24 nanoseconds
 * multitrack    if packet type is Multitrack (video 6, audio 5): type (4) packet type (4)
 *               type 0 OneTrack, 1 ManyTracks, 2 ManyTracksManyCodecs
 * FourCC        once, unless ManyTracksManyCodecs (then before each track)
 * per track     [FourCC] [track id u8] [size u24 unless OneTrack] payload
 * video command frame type 5 with a packet type other than Metadata: one command byte, no FourCC
 * ```
 * @module
 */

import { EnhancedTagError } from "../errors.ts";

/** Enhanced video packet types. */
export const VideoPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  Metadata: 4,
  Mpeg2TsSequenceStart: 5,
  Multitrack: 6,
  ModEx: 7,
} as const;

/** Enhanced audio packet types. */
export const AudioPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  MultichannelConfig: 4,
  Multitrack: 5,
  ModEx: 7,
} as const;

/** Multitrack types. */
export const MultitrackType = { OneTrack: 0, ManyTracks: 1, ManyTracksManyCodecs: 2 } as const;

/** ModEx type of the nanosecond timestamp offset. */
export const MODEX_TIMESTAMP_OFFSET_NANO = 0;
/** Most ModEx entries one tag may chain. */
export const MAX_MOD_EX = 8;
/** Most tracks one multitrack tag may carry. */
export const MAX_TRACKS = 64;

/** One ModEx entry. */
export interface ModEx {
  /** Mod-ex type (0 = TimestampOffsetNano). */
  readonly type: number;
  /** 1 to 65536 bytes. */
  readonly data: Uint8Array;
}

/** One track of an enhanced tag. */
export interface EnhancedTagTrack {
  /** Track id (0 is the default track; 0 when the tag is not multitrack). */
  readonly trackId: number;
  /** FourCC, e.g. "hvc1", "Opus". */
  readonly fourcc: string;
  /** The codec payload: configuration record, [composition time +] frames, metadata AMF. */
  readonly payload: Uint8Array;
}

/** The header and tracks of one enhanced audio or video tag. */
export interface EnhancedTag {
  readonly media: "audio" | "video";
  /** Video frame type (1 key, 2 inter, 3 disposable, 4 generated key, 5 command); 0 for audio. */
  readonly frameType: number;
  /** The packet type after ModEx and the multitrack header. */
  readonly packetType: number;
  /** The multitrack type, or null for a plain (single-track) tag. */
  readonly multitrack: number | null;
  readonly modEx: readonly ModEx[];
  /** The video command byte of a command frame (frame type 5, not Metadata), else null. */
  readonly command: number | null;
  readonly tracks: readonly EnhancedTagTrack[];
}

const AUDIO_EX = 9;

/** Whether `body` is an enhanced tag (IsExHeader video, or sound format 9 audio). */
export function isEnhancedTag(media: "audio" | "video", body: Uint8Array): boolean {
  const b0 = body[0];
  if (b0 === undefined) return false;
  return media === "video" ? (b0 & 0x80) !== 0 : b0 >> 4 === AUDIO_EX;
}

/** The nanosecond timestamp offset of `tag` (0 when it has none). */
export function nanoOffset(tag: EnhancedTag): number {
  const m = tag.modEx.find((x) => x.type === MODEX_TIMESTAMP_OFFSET_NANO);
  if (m === undefined || m.data.length < 3) return 0;
  return (m.data[0]! << 16) | (m.data[1]! << 8) | m.data[2]!;
}

/**
 * A FourCC as a big-endian u32; its characters are bytes, as {@linkcode decodeEnhancedTag}
 * makes them.
 */
export function fourccNumber(fourcc: string): number {
  return ((fourcc.charCodeAt(0) << 24) | (fourcc.charCodeAt(1) << 16) |
    (fourcc.charCodeAt(2) << 8) | fourcc.charCodeAt(3)) >>> 0;
}

function fourccAt(body: Uint8Array, at: number): string {
  return String.fromCharCode(body[at]!, body[at + 1]!, body[at + 2]!, body[at + 3]!);
}

/**
 * Decodes an enhanced audio or video tag body. Throws {@linkcode EnhancedTagError} when a
 * field runs past the body, a ModEx chain is longer than {@linkcode MAX_MOD_EX}, or a tag
 * has more than {@linkcode MAX_TRACKS} tracks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeEnhancedTag } from "./enhanced_tag.ts";
 * // key frame, CodedFramesX, "av01", payload 0x12
 * const tag = decodeEnhancedTag("video", new Uint8Array([0x93, 0x61, 0x76, 0x30, 0x31, 0x12]));
 * assert.equal(tag.tracks[0]?.fourcc, "av01");
 * ```
 */
export function decodeEnhancedTag(media: "audio" | "video", body: Uint8Array): EnhancedTag {
  const what = media === "video" ? "Enhanced video tag" : "Enhanced audio tag";
  const need = (at: number, n: number, field: string) => {
    if (at + n > body.length) {
      throw new EnhancedTagError(
        `${what} ends inside its ${field}: needs ${at + n} bytes, has ${body.length}`,
      );
    }
  };
  need(0, 1, "header");
  const b0 = body[0]!;
  const frameType = media === "video" ? (b0 >> 4) & 0x07 : 0;
  let packetType = b0 & 0x0f;
  let at = 1;
  const modEx: ModEx[] = [];
  while (packetType === 7) {
    if (modEx.length === MAX_MOD_EX) {
      throw new EnhancedTagError(`${what} chains more than ${MAX_MOD_EX} ModEx entries`);
    }
    need(at, 1, "ModEx size");
    let size = body[at++]! + 1;
    if (size === 256) {
      need(at, 2, "ModEx size");
      size = ((body[at]! << 8) | body[at + 1]!) + 1;
      at += 2;
    }
    need(at, size + 1, "ModEx data");
    const data = body.subarray(at, at + size);
    at += size;
    const b = body[at++]!;
    modEx.push({ type: b >> 4, data });
    packetType = b & 0x0f;
  }
  const multitrackPacket = media === "video"
    ? VideoPacketType.Multitrack
    : AudioPacketType.Multitrack;
  if (
    media === "video" && frameType === 5 && packetType !== VideoPacketType.Metadata &&
    packetType !== multitrackPacket
  ) {
    need(at, 1, "video command");
    return {
      media,
      frameType,
      packetType,
      multitrack: null,
      modEx,
      command: body[at]!,
      tracks: [],
    };
  }
  let multitrack: number | null = null;
  if (packetType === multitrackPacket) {
    need(at, 1, "multitrack header");
    const b = body[at++]!;
    multitrack = b >> 4;
    packetType = b & 0x0f;
    if (multitrack > MultitrackType.ManyTracksManyCodecs || packetType === multitrackPacket) {
      throw new EnhancedTagError(
        `${what} has multitrack type ${multitrack} with packet type ${packetType}`,
      );
    }
  }
  const tracks: EnhancedTagTrack[] = [];
  let fourcc = "";
  if (multitrack !== MultitrackType.ManyTracksManyCodecs) {
    need(at, 4, "FourCC");
    fourcc = fourccAt(body, at);
    at += 4;
  }
  for (;;) {
    if (multitrack === MultitrackType.ManyTracksManyCodecs) {
      need(at, 4, "FourCC");
      fourcc = fourccAt(body, at);
      at += 4;
    }
    let trackId = 0;
    let end = body.length;
    if (multitrack !== null) {
      need(at, 1, "track id");
      trackId = body[at++]!;
      if (multitrack !== MultitrackType.OneTrack) {
        need(at, 3, "track size");
        const size = (body[at]! << 16) | (body[at + 1]! << 8) | body[at + 2]!;
        at += 3;
        need(at, size, `track ${trackId} of ${size} bytes`);
        end = at + size;
      }
    }
    if (tracks.length === MAX_TRACKS) {
      throw new EnhancedTagError(`${what} carries more than ${MAX_TRACKS} tracks`);
    }
    tracks.push({ trackId, fourcc, payload: body.subarray(at, end) });
    at = end;
    if (at >= body.length) break;
  }
  return { media, frameType, packetType, multitrack, modEx, command: null, tracks };
}

/** Bytes of `tag` once encoded. */
function encodedSize(tag: EnhancedTag): number {
  let n = 1;
  for (const m of tag.modEx) n += (m.data.length > 255 ? 3 : 1) + m.data.length + 1;
  if (tag.command !== null) return n + 1;
  if (tag.multitrack !== null) n++;
  if (tag.multitrack !== MultitrackType.ManyTracksManyCodecs) n += 4;
  for (const t of tag.tracks) {
    if (tag.multitrack === MultitrackType.ManyTracksManyCodecs) n += 4;
    if (tag.multitrack !== null) n += tag.multitrack === MultitrackType.OneTrack ? 1 : 4;
    n += t.payload.length;
  }
  return n;
}

/**
 * Encodes an enhanced tag body (the inverse of {@linkcode decodeEnhancedTag}). Throws
 * {@linkcode EnhancedTagError} for a FourCC that is not 4 ASCII characters, a ModEx of
 * 0 or more than 65536 bytes, no track, or a plain or OneTrack tag with more than one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEnhancedTag } from "./enhanced_tag.ts";
 * const body = encodeEnhancedTag({
 *   media: "audio", frameType: 0, packetType: 1, multitrack: null, modEx: [], command: null,
 *   tracks: [{ trackId: 0, fourcc: "Opus", payload: new Uint8Array([0xfc]) }],
 * });
 * assert.deepEqual([...body], [0x91, 0x4f, 0x70, 0x75, 0x73, 0xfc]);
 * ```
 */
export function encodeEnhancedTag(tag: EnhancedTag): Uint8Array {
  const out = new Uint8Array(encodedSize(tag));
  const multitrackPacket = tag.media === "video"
    ? VideoPacketType.Multitrack
    : AudioPacketType.Multitrack;
  const first = tag.modEx.length > 0
    ? 7
    : tag.multitrack !== null
    ? multitrackPacket
    : tag.packetType;
  out[0] = tag.media === "video"
    ? 0x80 | (tag.frameType & 0x07) << 4 | first
    : AUDIO_EX << 4 | first;
  let at = 1;
  tag.modEx.forEach((m, i) => {
    const size = m.data.length;
    if (size < 1 || size > 65536) {
      throw new EnhancedTagError(`ModEx data must be 1 to 65536 bytes: got ${size}`);
    }
    if (size > 255) {
      out[at++] = 0xff;
      out[at++] = (size - 1) >> 8;
      out[at++] = (size - 1) & 0xff;
    } else out[at++] = size - 1;
    out.set(m.data, at);
    at += size;
    const next = i + 1 < tag.modEx.length
      ? 7
      : tag.multitrack !== null
      ? multitrackPacket
      : tag.packetType;
    out[at++] = (m.type & 0x0f) << 4 | next;
  });
  if (tag.command !== null) {
    out[at] = tag.command;
    return out;
  }
  if (tag.tracks.length === 0) throw new EnhancedTagError("Enhanced tag needs at least one track");
  if (tag.multitrack === null || tag.multitrack === MultitrackType.OneTrack) {
    if (tag.tracks.length > 1) {
      throw new EnhancedTagError(`A single-track tag cannot carry ${tag.tracks.length} tracks`);
    }
  }
  if (tag.multitrack !== null) out[at++] = tag.multitrack << 4 | tag.packetType;
  const putFourcc = (f: string) => {
    if (!/^[\x20-\x7e]{4}$/.test(f)) throw new EnhancedTagError(`Bad FourCC ${JSON.stringify(f)}`);
    for (let i = 0; i < 4; i++) out[at++] = f.charCodeAt(i);
  };
  if (tag.multitrack !== MultitrackType.ManyTracksManyCodecs) putFourcc(tag.tracks[0]!.fourcc);
  for (const t of tag.tracks) {
    if (tag.multitrack === MultitrackType.ManyTracksManyCodecs) putFourcc(t.fourcc);
    if (tag.multitrack !== null) out[at++] = t.trackId;
    if (tag.multitrack !== null && tag.multitrack !== MultitrackType.OneTrack) {
      const n = t.payload.length;
      if (n > 0xffffff) throw new EnhancedTagError(`Track of ${n} bytes does not fit a u24 size`);
      out[at++] = n >> 16;
      out[at++] = (n >> 8) & 0xff;
      out[at++] = n & 0xff;
    }
    out.set(t.payload, at);
    at += t.payload.length;
  }
  return out;
}

/**
 * What a consumer that does not take multitrack gets of a tag: the default track (id 0) as
 * a plain enhanced tag, the tag itself when it is not multitrack, or null when the tag
 * carries no default track.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeEnhancedTag, defaultTrackTag } from "./enhanced_tag.ts";
 * // Multitrack OneTrack, CodedFramesX, "av01", track 0, payload 0x12
 * const tag = decodeEnhancedTag("video", new Uint8Array([0x96, 0x03, 0x61, 0x76, 0x30, 0x31, 0, 0x12]));
 * assert.deepEqual(defaultTrackTag(tag)?.tracks, [{ trackId: 0, fourcc: "av01", payload: new Uint8Array([0x12]) }]);
 * ```
 */
export function defaultTrackTag(tag: EnhancedTag): EnhancedTag | null {
  if (tag.multitrack === null) return tag;
  const track = tag.tracks.find((t) => t.trackId === 0);
  if (track === undefined) return null;
  return { ...tag, multitrack: null, tracks: [track] };
}
