/**
 * Per-track codec facts of an Enhanced RTMP publish: each track of each tag updates its
 * entry in the session's `video.tracks` / `audio.tracks` (at most 256 per kind: track ids
 * are one byte).
 * @module
 */

import { MediaError } from "../errors.ts";
import { enhancedAudioConfig } from "../media/audio_tag.ts";
import { parseColorInfo } from "../media/color_info.ts";
import { AudioPacketType, type EnhancedTag, VideoPacketType } from "../media/enhanced_tag.ts";
import { enhancedVideoConfig } from "../media/video_tag.ts";
import { vp9KeyFrameSize } from "../media/vp9.ts";
import {
  type AudioInfo,
  type AudioTrackInfo,
  newAudioInfo,
  newVideoInfo,
  type VideoInfo,
  type VideoTrackInfo,
} from "./session_info.ts";

const VIDEO_CODECS: Record<string, string> = {
  avc1: "h264",
  hvc1: "h265",
  av01: "av1",
  vp09: "vp9",
  vp08: "vp8",
};
const AUDIO_CODECS: Record<string, string> = {
  "Opus": "opus",
  "fLaC": "flac",
  "ac-3": "ac-3",
  "ec-3": "ec-3",
  "mp4a": "aac",
  ".mp3": "mp3",
};

/** Counts frames and reads configurations per track into the session's live objects. */
export class TrackStats {
  #video: VideoInfo;
  #audio: AudioInfo;
  #firstTs = new Map<number, number>();

  /** Writes into `video.tracks` and `audio.tracks`. */
  constructor(video: VideoInfo, audio: AudioInfo) {
    this.#video = video;
    this.#audio = audio;
  }

  /** Takes one decoded enhanced video tag. */
  video(tag: EnhancedTag, timestamp: number): void {
    const keyframe = tag.frameType === 1 || tag.frameType === 4;
    for (const t of tag.tracks) {
      if (tag.packetType === VideoPacketType.Metadata) {
        // FFmpeg 8 sends the metadata of every track as a plain tag: match it by FourCC.
        const tracks = this.#video.tracks ?? [];
        const info = (tag.multitrack === null ? tracks.find((x) => x.fourcc === t.fourcc) : null) ??
          this.#videoTrack(t.trackId, t.fourcc);
        const color = parseColorInfo(t.payload);
        if (color !== null) info.hdr = { ...color };
        continue;
      }
      const info = this.#videoTrack(t.trackId, t.fourcc);
      switch (tag.packetType) {
        case VideoPacketType.SequenceStart: {
          // A command frame (type 5) carries no configuration, as parseVideoTag() has it.
          if (tag.frameType === 5) break;
          const config = configOf(() => enhancedVideoConfig(t.fourcc, t.payload));
          if (config !== null) ({ width: info.width, height: info.height } = config);
          break;
        }
        case VideoPacketType.CodedFrames:
        case VideoPacketType.CodedFramesX:
          if (t.payload.length === 0) break;
          info.frames++;
          if (keyframe) info.keyframes++;
          if (keyframe && info.width === null && t.fourcc === "vp09") {
            const size = configOf(() => vp9KeyFrameSize(t.payload));
            if (size !== null) ({ width: info.width, height: info.height } = size);
          }
          this.#fps(info, timestamp);
          break;
      }
    }
  }

  /** Takes one decoded enhanced audio tag. */
  audio(tag: EnhancedTag): void {
    for (const t of tag.tracks) {
      const info = this.#audioTrack(t.trackId, t.fourcc);
      // An empty CodedFrames tag (FFmpeg's flvenc ends FLAC with one) carries no frame.
      if (tag.packetType === AudioPacketType.CodedFrames) {
        if (t.payload.length > 0) info.frames++;
      } else if (tag.packetType === AudioPacketType.SequenceStart) {
        const config = configOf(() => enhancedAudioConfig(t.fourcc, t.payload));
        if (config !== null) ({ sampleRate: info.sampleRate, channels: info.channels } = config);
      }
    }
  }

  #videoTrack(trackId: number, fourcc: string): VideoTrackInfo {
    const tracks = this.#video.tracks ??= [];
    let info = tracks.find((t) => t.trackId === trackId);
    if (info === undefined) {
      info = { trackId, fourcc, ...newVideoInfo(), hdr: null };
      tracks.push(info);
    }
    info.fourcc = fourcc;
    info.codec = VIDEO_CODECS[fourcc] ?? null;
    return info;
  }

  #audioTrack(trackId: number, fourcc: string): AudioTrackInfo {
    const tracks = this.#audio.tracks ??= [];
    let info = tracks.find((t) => t.trackId === trackId);
    if (info === undefined) {
      info = { trackId, fourcc, ...newAudioInfo() };
      tracks.push(info);
    }
    info.fourcc = fourcc;
    info.codec = AUDIO_CODECS[fourcc] ?? null;
    return info;
  }

  /** Frames per second of one track over the timestamps seen. */
  #fps(info: VideoTrackInfo, timestamp: number): void {
    const first = this.#firstTs.get(info.trackId);
    if (first === undefined) {
      this.#firstTs.set(info.trackId, timestamp);
      return;
    }
    const span = (timestamp - first) >>> 0;
    if (span > 0 && span < 0x80000000) {
      info.fps = Math.round(((info.frames - 1) * 1000 / span) * 100) / 100;
    }
  }
}

/** A configuration's facts, or null when the record is malformed (a bad record is not fatal). */
function configOf<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch (e) {
    if (e instanceof MediaError) return null;
    throw e;
  }
}
