/**
 * Codec facts from FLV audio tag bodies (RTMP message type 8), legacy FLV and
 * Enhanced RTMP v1/v2 (veovera/enhanced-rtmp).
 *
 * ```
 * legacy    byte 0   sound format (4) rate (2: 5.5/11/22/44 kHz) size (1) stereo (1)
 *           AAC      byte 1 packet type (0 AudioSpecificConfig, 1 raw frames)
 *           MP3      bytes 1-4 the MPEG audio frame header (its rate beats the flags)
 * enhanced  byte 0   sound format 9 (ExHeader) packet type (4)
 *           [ModEx]* while packet type is 7, as for video
 *           [Multitrack] if packet type is 5: multitrack type (4) packet type (4)
 *           FourCC (4)  Opus mp4a fLaC ac-3 ec-3 .mp3
 *           [track id u8, size u24 unless one track]
 *           payload: OpusHead, AudioSpecificConfig, FLAC STREAMINFO, or frames
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";
import { parseAudioSpecificConfig } from "./aac.ts";
import { skipModEx, u24At, u32At } from "./bit_reader.ts";
import { AudioPacketType, fourccNumber } from "./enhanced_tag.ts";
import { readEnhancedTrack } from "./enhanced_track.ts";

/** What an audio tag carries. */
export type AudioTagKind = "sequence-header" | "frame" | "other";

/** Sample rate and channel count. */
export interface AudioConfig {
  /** Samples per second per channel. */
  readonly sampleRate: number;
  /** Channel count (0 when the configuration does not say). */
  readonly channels: number;
}

/** The parsed header of one audio tag. */
export interface AudioTag {
  /** "aac", "mp3", "opus", "flac", "speex", "g711", "pcm", ...; null when unknown. */
  readonly codec: string | null;
  /** What the tag carries. */
  readonly kind: AudioTagKind;
  /** From the sequence header for AAC, Opus and FLAC; from the flags for legacy non-AAC frames. */
  readonly config: AudioConfig | null;
}

const LEGACY_CODECS: readonly (string | null)[] = [
  "pcm", // 0 platform-endian linear PCM
  "adpcm",
  "mp3",
  "pcm", // 3 little-endian linear PCM
  "nellymoser", // 4 16 kHz mono
  "nellymoser", // 5 8 kHz mono
  "nellymoser",
  "g711", // 7 A-law
  "g711", // 8 mu-law
  null, // 9 ExHeader
  "aac",
  "speex",
  null,
  null,
  "mp3", // 14 MP3 8 kHz
  null, // 15 device-specific
];

const FLAG_RATES: readonly number[] = [5512, 11025, 22050, 44100];

const FORMAT_AAC = 10;
const FORMAT_EX = 9;

/** FourCCs as big-endian u32. */
const FOURCC_OPUS = 0x4f707573; // "Opus"
const FOURCC_MP4A = 0x6d703461; // "mp4a"
const FOURCC_FLAC = 0x664c6143; // "fLaC"
const FOURCC_AC3 = 0x61632d33; // "ac-3"
const FOURCC_EC3 = 0x65632d33; // "ec-3"
const FOURCC_MP3 = 0x2e6d7033; // ".mp3"
const HEAD = 0x48656164; // "Head", after "Opus" in an OpusHead

/**
 * The config-less results of AAC and unknown formats, made once and frozen: an AAC frame is a
 * message, and one object each was garbage at every message.
 */
const AAC_FRAME: AudioTag = Object.freeze({ codec: "aac", kind: "frame", config: null });
const AAC_OTHER: AudioTag = Object.freeze({ codec: "aac", kind: "other", config: null });
const UNKNOWN_FRAME: AudioTag = Object.freeze({ codec: null, kind: "frame", config: null });
const UNKNOWN_OTHER: AudioTag = Object.freeze({ codec: null, kind: "other", config: null });

/**
 * Parses the header of an FLV audio tag body and, for sequence headers, the stream format.
 * Throws {@linkcode MediaError} on an empty, truncated or malformed body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAudioTag } from "./audio_tag.ts";
 * // AAC sequence header: flags 0xaf, packet type 0, AudioSpecificConfig LC 48000 Hz mono
 * assert.deepEqual(parseAudioTag(new Uint8Array([0xaf, 0x00, 0x11, 0x88])), {
 *   codec: "aac",
 *   kind: "sequence-header",
 *   config: { sampleRate: 48000, channels: 1 },
 * });
 * ```
 */
export function parseAudioTag(body: Uint8Array): AudioTag {
  const b0 = body[0];
  if (b0 === undefined) throw new MediaError("Audio tag body is empty");
  const format = b0 >> 4;
  if (format === FORMAT_EX) return parseEnhanced(body, b0);
  const codec = LEGACY_CODECS[format] ?? null;
  if (format === FORMAT_AAC) {
    const packetType = body[1];
    if (packetType === undefined) {
      throw new MediaError("AAC audio tag body must be at least 2 bytes: got 1");
    }
    if (packetType === 0) {
      const asc = parseAudioSpecificConfig(body.subarray(2));
      return { codec, kind: "sequence-header", config: audioConfig(asc.sampleRate, asc.channels) };
    }
    return packetType === 1 ? AAC_FRAME : AAC_OTHER;
  }
  if (codec === null) return format === 15 ? UNKNOWN_FRAME : UNKNOWN_OTHER;
  return { codec, kind: "frame", config: legacyConfig(format, b0, body) };
}

/** Rate and channels of a legacy non-AAC frame: the flags, with the formats that fix them. */
function legacyConfig(format: number, b0: number, body: Uint8Array): AudioConfig {
  const channels = (b0 & 0x01) + 1;
  switch (format) {
    case 2:
      return mp3HeaderConfig(body) ?? audioConfig(FLAG_RATES[(b0 >> 2) & 0x03] ?? 0, channels);
    case 4: // Nellymoser 16 kHz mono
    case 11: // Speex is always 16 kHz mono in FLV
      return audioConfig(16000, 1);
    case 5: // Nellymoser 8 kHz mono
      return audioConfig(8000, 1);
    case 7: // G.711 is 8 kHz whatever the rate bits say
    case 8:
    case 14: // MP3 8 kHz
      return audioConfig(8000, channels);
    default:
      return audioConfig(FLAG_RATES[(b0 >> 2) & 0x03] ?? 0, channels);
  }
}

/** MPEG audio sample rates by version (0 MPEG-2.5, 2 MPEG-2, 3 MPEG-1) and index. */
const MPEG_RATES: readonly (readonly number[] | undefined)[] = [
  [11025, 12000, 8000],
  undefined,
  [22050, 24000, 16000],
  [44100, 48000, 32000],
];

/** Reads the MPEG audio frame header at bytes 1-4, if there is a valid one. */
function mp3HeaderConfig(body: Uint8Array): AudioConfig | null {
  if (body.length < 5 || body[1] !== 0xff) return null;
  const b2 = body[2] ?? 0;
  if ((b2 & 0xe0) !== 0xe0 || (b2 & 0x06) === 0) return null; // sync, layer 0 reserved
  const rate = MPEG_RATES[(b2 >> 3) & 0x03]?.[((body[3] ?? 0) >> 2) & 0x03];
  if (rate === undefined) return null;
  return audioConfig(rate, (body[4] ?? 0) >> 6 === 3 ? 1 : 2);
}

function parseEnhanced(body: Uint8Array, b0: number): AudioTag {
  let packetType = b0 & 0x0f;
  let at = 1;
  while (packetType === AudioPacketType.ModEx) {
    at = skipModEx(body, at, "Audio");
    packetType = (body[at - 1] ?? 0) & 0x0f;
  }
  const track = readEnhancedTrack(body, at, packetType, AudioPacketType.Multitrack, "audio");
  packetType = track.packetType;
  at = track.at;
  const { end, fourcc } = track;
  const codec = fourccCodec(fourcc);
  switch (packetType) {
    case AudioPacketType.SequenceStart:
      return {
        codec,
        kind: "sequence-header",
        config: fourccConfig(fourcc, body.subarray(at, end)),
      };
    case AudioPacketType.CodedFrames:
      return { codec, kind: "frame", config: null };
    default: // SequenceEnd, MultichannelConfig, reserved
      return { codec, kind: "other", config: null };
  }
}

function fourccCodec(fourcc: number): string | null {
  switch (fourcc) {
    case FOURCC_OPUS:
      return "opus";
    case FOURCC_MP4A:
      return "aac";
    case FOURCC_FLAC:
      return "flac";
    case FOURCC_AC3:
      return "ac-3";
    case FOURCC_EC3:
      return "ec-3";
    case FOURCC_MP3:
      return "mp3";
    default:
      return null;
  }
}

/**
 * The stream format of an enhanced audio sequence start of `fourcc` (e.g. "Opus"), null for
 * a FourCC without one. Throws {@linkcode MediaError} on a malformed payload.
 */
export function enhancedAudioConfig(fourcc: string, payload: Uint8Array): AudioConfig | null {
  return fourccConfig(fourccNumber(fourcc), payload);
}

function fourccConfig(fourcc: number, payload: Uint8Array): AudioConfig | null {
  switch (fourcc) {
    case FOURCC_MP4A: {
      const asc = parseAudioSpecificConfig(payload);
      return audioConfig(asc.sampleRate, asc.channels);
    }
    case FOURCC_OPUS:
      return opusHeadConfig(payload);
    case FOURCC_FLAC:
      return flacStreamInfoConfig(payload);
    default:
      return null;
  }
}

/**
 * OpusHead (RFC 7845 5.1): "OpusHead", version, channel count, pre-skip u16le,
 * input sample rate u32le, gain, mapping family. Opus always decodes at 48 kHz,
 * so that is the rate reported. Null for every other header (e.g. OpusTags).
 */
function opusHeadConfig(p: Uint8Array): AudioConfig | null {
  if (p.length < 8 || u32At(p, 0) !== FOURCC_OPUS || u32At(p, 4) !== HEAD) return null;
  if (p.length < 19) throw new MediaError(`OpusHead must be at least 19 bytes: got ${p.length}`);
  return audioConfig(48000, p[9] ?? 0);
}

/**
 * FLAC STREAMINFO (RFC 9639 8.2), with or without the "fLaC" marker and the
 * 4-byte metadata block header before it: sample rate u20 at bit 80, channels - 1 u3.
 */
function flacStreamInfoConfig(p: Uint8Array): AudioConfig {
  let at = p.length >= 4 && u32At(p, 0) === FOURCC_FLAC ? 4 : 0;
  // A block header is (last flag, type 0) then length 34; bare STREAMINFO starts with a
  // minimum block size of at least 16, never 0x0000.
  if (((p[at] ?? 0) & 0x7f) === 0 && p[at + 1] === 0 && p[at + 2] === 0 && p[at + 3] === 34) {
    at += 4;
  }
  if (at + 18 > p.length) {
    throw new MediaError(`FLAC STREAMINFO must be at least ${at + 18} bytes: got ${p.length}`);
  }
  const rate = (u24At(p, at + 10) >> 4) & 0xfffff;
  const channels = (((p[at + 12] ?? 0) >> 1) & 0x07) + 1;
  return audioConfig(rate, channels);
}

function audioConfig(sampleRate: number, channels: number): AudioConfig {
  return { sampleRate, channels };
}
