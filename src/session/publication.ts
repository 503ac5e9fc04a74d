/**
 * One live publish: counts frames and codec facts into the session, and hands every
 * message, with its own copy of the body, to the live stream in the hub.
 * @module
 */

import { MediaError } from "../errors.ts";
import type { HealthTracker } from "../health/health_tracker.ts";
import { parseAudioTag } from "../media/audio_tag.ts";
import { inbandAvcSize } from "../media/inband_sps.ts";
import { parseVideoTag, type VideoTag } from "../media/video_tag.ts";
import {
  AudioPacketType,
  decodeEnhancedTag,
  defaultTrackTag,
  encodeEnhancedTag,
  type EnhancedTag,
  isEnhancedTag,
  VideoPacketType,
} from "../media/enhanced_tag.ts";
import type { MediaMessage } from "../stream/media_message.ts";
import { TrackStats } from "./track_stats.ts";
import { encodeAmf0 } from "../rtmp/amf0.ts";
import type { AmfEcmaArray, AmfObject } from "../rtmp/amf_value.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import type { AudioInfo, VideoInfo } from "./session_info.ts";

/** What a publication reports when it ends. */
export interface PublicationSummary {
  readonly videoFrames: number;
  readonly audioFrames: number;
}

/** Options for {@linkcode Publication}. */
export interface PublicationOptions {
  /** Message stream id the publish came on. */
  readonly streamId: number;
  /** Where the counters go (the session's live objects). */
  readonly video: VideoInfo;
  readonly audio: AudioInfo;
  /** The stream in the hub that takes every message. */
  readonly stream: LiveStream;
  /** Told every coded frame's timestamp and size, for the stream's health. */
  readonly health?: HealthTracker;
  /** Where data messages are counted (the session's info). */
  readonly counts?: { dataMessages: number };
}

/** A publish in progress on one message stream. */
export class Publication {
  readonly streamId: number;
  readonly stream: LiveStream;
  #video: VideoInfo;
  #audio: AudioInfo;
  #health: HealthTracker | undefined;
  #firstVideoTs = -1;
  #counts: { dataMessages: number } | undefined;
  /** Per-track figures, made at the first enhanced tag (most publishers send none). */
  #tracks: TrackStats | null = null;

  /** Starts a publication. */
  constructor(options: PublicationOptions) {
    this.streamId = options.streamId;
    this.stream = options.stream;
    this.#video = options.video;
    this.#audio = options.audio;
    this.#health = options.health;
    this.#counts = options.counts;
  }

  #trackStats(): TrackStats {
    return this.#tracks ??= new TrackStats(this.#video, this.#audio);
  }

  /** `app/name`, the hub key. */
  get key(): string {
    return this.stream.key;
  }

  /** Takes the client's onMetaData. */
  metadata(meta: AmfObject | AmfEcmaArray): void {
    const fps = meta.get("framerate") ?? meta.get("videoframerate");
    // The metadata's rate stands until two frames give a measured one.
    if (typeof fps === "number" && fps > 0 && fps < 1000) {
      if (this.#video.fps === null) this.#video.fps = fps;
      this.#health?.metadataFps(fps);
    }
    if (this.#counts !== undefined) this.#counts.dataMessages++;
    const body = encodeAmf0(["onMetaData", meta]);
    this.stream.publish({ kind: "data", timestamp: 0, body, keyframe: false, config: false });
  }

  /** Takes one audio message that arrived at `now` (default: the stream's clock). */
  audio(timestamp: number, body: Uint8Array, now?: number): void {
    if (body.length === 0) return;
    // A malformed enhanced header (overrun, ModEx chain, too many tracks) ends the publish.
    const ex = isEnhancedTag("audio", body) ? decodeEnhancedTag("audio", body) : null;
    if (ex !== null) this.#trackStats().audio(ex);
    let config = false;
    const own = track0Body(body, ex);
    const facts = own !== null;
    try {
      const tag = parseAudioTag(own ?? body);
      config = tag.kind === "sequence-header";
      const a = this.#audio;
      if (facts && tag.codec !== null) a.codec = tag.codec;
      if (facts && tag.config !== null) {
        a.sampleRate = tag.config.sampleRate;
        a.channels = tag.config.channels;
      }
      if (facts && tag.kind === "frame") {
        a.frames++;
        this.#health?.audio(timestamp, body.length, now);
      }
    } catch (e) {
      if (!(e instanceof MediaError)) throw e;
    }
    // An unwatched stream's frame that its closed GOP cache does not keep: no message is made.
    if (ex === null && !config && now !== undefined) {
      if (this.stream.passBy("audio", false, body.length, now)) return;
    }
    this.stream.publish(
      enhancedMessage({ kind: "audio", timestamp, body, keyframe: false, config }, ex),
      now,
    );
  }

  /** Takes one video message that arrived at `now` (default: the stream's clock). */
  video(timestamp: number, body: Uint8Array, now?: number): void {
    if (body.length === 0) return;
    const ex = isEnhancedTag("video", body) ? decodeEnhancedTag("video", body) : null;
    if (ex !== null) this.#trackStats().video(ex, timestamp);
    // The session's top-level facts follow the default track (track 0); the rest are per track.
    const own = track0Body(body, ex);
    let config = false;
    let keyframe = false;
    try {
      const tag = parseVideoTag(own ?? body);
      config = tag.kind === "sequence-header" || tag.kind === "metadata";
      keyframe = tag.kind === "frame" && tag.keyframe;
      if (own !== null) this.#videoFacts(tag, timestamp, own, now);
    } catch (e) {
      if (!(e instanceof MediaError)) throw e;
    }
    if (ex === null && !config && now !== undefined) {
      if (this.stream.passBy("video", keyframe, body.length, now)) return;
    }
    const track0 = this.#video.tracks?.find((t) => t.trackId === 0)?.fourcc ?? null;
    this.stream.publish(
      enhancedMessage({ kind: "video", timestamp, body, keyframe, config }, ex, track0),
      now,
    );
  }

  /** Counts a default-track video tag into the session's top-level facts. */
  #videoFacts(tag: VideoTag, timestamp: number, body: Uint8Array, now?: number): void {
    const v = this.#video;
    if (tag.codec !== null && tag.kind !== "metadata") v.codec = tag.codec;
    if (tag.config !== null) {
      v.width = tag.config.width;
      v.height = tag.config.height;
    }
    if (tag.kind !== "frame") return;
    v.frames++;
    if (tag.keyframe) {
      v.keyframes++;
      if (v.width === null && v.codec === "h264") {
        const size = inbandAvcSize(body);
        if (size !== null) ({ width: v.width, height: v.height } = size);
      }
    }
    this.#countFps(timestamp);
    this.#health?.video(timestamp, body.length, tag.keyframe, now);
  }

  /** What the publication counted. */
  summary(): PublicationSummary {
    return { videoFrames: this.#video.frames, audioFrames: this.#audio.frames };
  }

  /** Frames per second over the timestamps seen (metadata's value until two frames exist). */
  #countFps(timestamp: number): void {
    if (this.#firstVideoTs < 0) {
      this.#firstVideoTs = timestamp;
      return;
    }
    const span = (timestamp - this.#firstVideoTs) >>> 0;
    if (span > 0 && span < 0x80000000) {
      this.#video.fps = Math.round(((this.#video.frames - 1) * 1000 / span) * 100) / 100;
    }
  }
}

/**
 * The tag the session's top-level facts and health are read from: `body` itself when its first
 * (or only) track is track 0, track 0 alone when a multitrack tag has it further on (parsers
 * read a tag's first track), or null when the tag has no track 0.
 */
function track0Body(body: Uint8Array, tag: EnhancedTag | null): Uint8Array | null {
  if (tag === null || tag.tracks[0]?.trackId === 0) return body;
  const plain = defaultTrackTag(tag);
  return plain === null ? null : encodeEnhancedTag(plain);
}

/** What each enhanced packet type is to a late joiner: a config kind, or null for media. */
function configKind(tag: EnhancedTag): string | null {
  if (tag.command !== null) return null;
  if (tag.media === "video") {
    switch (tag.packetType) {
      case VideoPacketType.SequenceStart:
      case VideoPacketType.Mpeg2TsSequenceStart:
        return "seq";
      case VideoPacketType.Metadata:
        return "meta";
      default:
        return null;
    }
  }
  switch (tag.packetType) {
    case AudioPacketType.SequenceStart:
      return "seq";
    case AudioPacketType.MultichannelConfig:
      return "channels";
    default:
      return null;
  }
}

/**
 * `msg` with what enhanced tags add: whether it is a config (from the packet type, even when
 * its record does not parse), a config key per packet kind, FourCCs and tracks, and for a
 * multitrack tag its default track as a plain tag for consumers that do not take multitrack
 * (`track0`: the FourCC of video track 0, when known).
 */
function enhancedMessage(
  msg: MediaMessage,
  tag: EnhancedTag | null,
  track0: string | null = null,
): MediaMessage {
  if (tag === null) return msg;
  const kind = configKind(tag);
  const out: { -readonly [K in keyof MediaMessage]: MediaMessage[K] } = {
    ...msg,
    config: kind !== null,
  };
  // The hub's GOP starts at a key frame of the default track: other tracks' key frames (FFmpeg
  // sends each track's in its own tag) would cut track 0's key frame from the cache.
  if (tag.multitrack !== null && !tag.tracks.some((t) => t.trackId === 0)) out.keyframe = false;
  if (kind !== null) {
    const ids = tag.multitrack === null ? "" : tag.tracks.map((t) => t.trackId).join(",");
    out.configKey = `${kind}:${tag.tracks.map((t) => t.fourcc).join(",")}:${ids}`;
    out.keyframe = false;
  }
  const fourcc = tag.tracks[0]?.fourcc;
  if (tag.multitrack === null && kind === "meta" && track0 !== null && fourcc !== track0) {
    // FFmpeg 8 sends every video track's colour info as a plain tag: to a consumer that
    // knows only track 0, one of another codec would announce a codec change.
    out.defaultTrack = null;
  } else if (tag.multitrack !== null) {
    const plain = defaultTrackTag(tag);
    out.defaultTrack = plain === null ? null : { ...out, body: encodeEnhancedTag(plain) };
  }
  return out;
}
