/**
 * One live publish: counts frames and codec facts into the session, and hands every
 * audio/video tag to the recording.
 * @module
 */

import { MediaError } from "../errors.ts";
import { parseAudioTag } from "../media/audio_tag.ts";
import { inbandAvcSize } from "../media/inband_sps.ts";
import { parseVideoTag } from "../media/video_tag.ts";
import type { Recording, RecordingResult } from "../record/recording.ts";
import type { AmfEcmaArray, AmfObject } from "../rtmp/amf_value.ts";
import type { AudioInfo, VideoInfo } from "./session_info.ts";

/** What a publication reports when it ends. */
export interface PublicationSummary {
  readonly videoFrames: number;
  readonly audioFrames: number;
  /** The recording's end, settled once it is finalized off the event loop; null when none. */
  readonly recording: Promise<RecordingResult> | null;
}

/** Options for {@linkcode Publication}. */
export interface PublicationOptions {
  /** `app/name`, the hub key. */
  readonly key: string;
  /** Message stream id the publish came on. */
  readonly streamId: number;
  /** Where the counters go (the session's live objects). */
  readonly video: VideoInfo;
  readonly audio: AudioInfo;
  readonly recording: Recording | null;
  /** Called after each tag is recorded, with the bytes on disk so far. */
  readonly onRecorded?: (bytes: number) => void;
}

/** A publish in progress on one message stream. */
export class Publication {
  readonly key: string;
  readonly streamId: number;
  #video: VideoInfo;
  #audio: AudioInfo;
  #recording: Recording | null;
  #onRecorded: ((bytes: number) => void) | undefined;
  #firstVideoTs = -1;
  #result: PublicationSummary | null = null;

  /** Starts a publication. */
  constructor(options: PublicationOptions) {
    this.key = options.key;
    this.streamId = options.streamId;
    this.#video = options.video;
    this.#audio = options.audio;
    this.#recording = options.recording;
    this.#onRecorded = options.onRecorded;
  }

  /** Takes the client's onMetaData. */
  metadata(meta: AmfObject | AmfEcmaArray): void {
    const fps = meta.get("framerate") ?? meta.get("videoframerate");
    // The metadata's rate stands until two frames give a measured one.
    if (typeof fps === "number" && fps > 0 && fps < 1000 && this.#video.fps === null) {
      this.#video.fps = fps;
    }
    this.#recording?.writeMetadata(meta);
  }

  /** Takes one audio message. */
  audio(timestamp: number, body: Uint8Array): void {
    if (body.length === 0) return;
    try {
      const tag = parseAudioTag(body);
      const a = this.#audio;
      if (tag.codec !== null) a.codec = tag.codec;
      if (tag.config !== null) {
        a.sampleRate = tag.config.sampleRate;
        a.channels = tag.config.channels;
      }
      if (tag.kind === "frame") a.frames++;
    } catch (e) {
      if (!(e instanceof MediaError)) throw e;
    }
    this.#recording?.writeAudio(timestamp, body);
    this.#recorded();
  }

  /** Takes one video message. */
  video(timestamp: number, body: Uint8Array): void {
    if (body.length === 0) return;
    try {
      const tag = parseVideoTag(body);
      const v = this.#video;
      if (tag.codec !== null) v.codec = tag.codec;
      if (tag.config !== null) {
        v.width = tag.config.width;
        v.height = tag.config.height;
      }
      if (tag.kind === "frame") {
        v.frames++;
        if (tag.keyframe) {
          v.keyframes++;
          if (v.width === null && v.codec === "h264") {
            const size = inbandAvcSize(body);
            if (size !== null) ({ width: v.width, height: v.height } = size);
          }
        }
        this.#countFps(timestamp);
      }
    } catch (e) {
      if (!(e instanceof MediaError)) throw e;
    }
    this.#recording?.writeVideo(timestamp, body);
    this.#recorded();
  }

  /** Makes what was recorded so far durable (called about once a second). */
  sync(): void {
    if (this.#result === null) this.#recording?.sync();
  }

  /** Ends the publication and starts finalizing its recording. Idempotent. */
  close(): PublicationSummary {
    this.#result ??= {
      videoFrames: this.#video.frames,
      audioFrames: this.#audio.frames,
      recording: this.#recording?.close() ?? null,
    };
    return this.#result;
  }

  #recorded(): void {
    if (this.#recording && this.#onRecorded) this.#onRecorded(this.#recording.bytes);
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
