/**
 * Pre-encodes an FLV file's tags as RTMP chunk bytes for the load tool, once per message
 * stream id, so publishers only write views of shared buffers.
 *
 * ```
 * head  @setDataFrame onMetaData, sequence headers, then the file's frames (first pass)
 * loop  the file's frames again, timestamps one period later; identical bytes every pass
 *       (headers carry deltas only), so pass k sends `loop` with k × periodMs added
 * ```
 * @module
 */

import { RtmpError } from "../src/errors.ts";
import { parseAudioTag } from "../src/media/audio_tag.ts";
import { parseVideoTag } from "../src/media/video_tag.ts";
import { decodeFlvTags, type FlvTag, FlvTagType } from "../src/record/flv.ts";
import { encodeAmf0 } from "../src/rtmp/amf0.ts";
import { ChunkWriter, type OutgoingMessage } from "../src/rtmp/chunk_writer.ts";
import { MessageType } from "../src/rtmp/messages.ts";

/** Pre-encoded chunk bytes with an index of the messages in them. */
export interface Segment {
  readonly bytes: Uint8Array;
  /** Messages in the segment. */
  readonly count: number;
  /** Offset just past message k. */
  readonly ends: Uint32Array;
  /** Timestamp of message k in ms from the start of the media (before any period shift). */
  readonly times: Float64Array;
  /** Video frames (not sequence headers) in messages 0..k-1; length count + 1. */
  readonly videoBefore: Uint32Array;
  /** Audio frames in messages 0..k-1; length count + 1. */
  readonly audioBefore: Uint32Array;
}

/** A file ready to publish in a loop on one message stream. */
export interface LoadStream {
  readonly head: Segment;
  readonly loop: Segment;
  /** Timestamp shift from one pass to the next. */
  readonly periodMs: number;
}

/** The file's tags sorted into what is sent once and what loops. */
export interface FlvPlan {
  /** Script data body with `@setDataFrame` in front, or null when the file has none. */
  readonly metadata: Uint8Array | null;
  /** The first video and audio sequence headers. */
  readonly headers: readonly FlvTag[];
  /** Frames (and other media) to loop, end-of-sequence tags dropped. */
  readonly media: readonly FlvTag[];
  /** Timestamp of the first tag; media times are relative to it. */
  readonly baseMs: number;
  readonly periodMs: number;
}

const SET_DATA_FRAME = encodeAmf0(["@setDataFrame"]);
const AUDIO_CSID = 4;
const VIDEO_CSID = 6;
const DEFAULT_FRAME_MS = 33;

/** Sorts an FLV file's tags into metadata, sequence headers and looping media. */
export function planFlv(file: Uint8Array): FlvPlan {
  const { tags } = decodeFlvTags(file);
  let metadata: Uint8Array | null = null;
  let video: FlvTag | null = null;
  let audio: FlvTag | null = null;
  const media: FlvTag[] = [];
  for (const tag of tags) {
    if (tag.type === FlvTagType.Script) {
      if (metadata === null) metadata = concat(SET_DATA_FRAME, tag.body);
    } else if (tag.body.length === 0) {
      continue;
    } else if (tag.type === FlvTagType.Video) {
      const kind = parseVideoTag(tag.body).kind;
      if (kind === "sequence-header") video ??= tag;
      else if (kind !== "end-of-sequence") media.push(tag);
    } else {
      if (parseAudioTag(tag.body).kind === "sequence-header") audio ??= tag;
      else media.push(tag);
    }
  }
  if (media.length === 0) throw new RtmpError(`FLV has no media frames: ${tags.length} tags`);
  let baseMs = Infinity;
  let maxMs = 0;
  for (const t of media) {
    baseMs = Math.min(baseMs, t.timestamp);
    maxMs = Math.max(maxMs, t.timestamp);
  }
  const videos = media.filter((t) => t.type === FlvTagType.Video);
  const step = videos.length > 1
    ? videos[videos.length - 1]!.timestamp - videos[videos.length - 2]!.timestamp
    : DEFAULT_FRAME_MS;
  const headers = [video, audio].filter((t): t is FlvTag => t !== null);
  return { metadata, headers, media, baseMs, periodMs: maxMs - baseMs + Math.max(1, step) };
}

/** Encodes a plan for message stream `streamId` at `chunkSize`. */
export function encodeLoadStream(plan: FlvPlan, streamId: number, chunkSize = 4096): LoadStream {
  const writer = new ChunkWriter({ chunkSize });
  const once: OutgoingMessage[] = [];
  if (plan.metadata !== null) {
    once.push({
      type: MessageType.DataAmf0,
      csid: AUDIO_CSID,
      streamId,
      timestamp: 0,
      body: plan.metadata,
    });
  }
  for (const tag of plan.headers) once.push(message(tag, streamId, 0));
  const pass = (k: number) =>
    plan.media.map((t) => message(t, streamId, t.timestamp - plan.baseMs + k * plan.periodMs));
  const head = encodeSegment(writer, [...once, ...pass(0)], plan.periodMs, 0);
  const loop = encodeSegment(writer, pass(1), plan.periodMs, 1);
  const again = encodeSegment(writer, pass(2), plan.periodMs, 2);
  if (!equalBytes(loop.bytes, again.bytes)) {
    throw new RtmpError(
      `Loop encoding is not periodic: pass 1 has ${loop.bytes.length} bytes, pass 2 ${again.bytes.length}`,
    );
  }
  return { head, loop, periodMs: plan.periodMs };
}

function message(tag: FlvTag, streamId: number, timestamp: number): OutgoingMessage {
  const video = tag.type === FlvTagType.Video;
  return {
    type: video ? MessageType.Video : MessageType.Audio,
    csid: video ? VIDEO_CSID : AUDIO_CSID,
    streamId,
    timestamp: timestamp >>> 0,
    body: tag.body,
  };
}

function encodeSegment(
  writer: ChunkWriter,
  msgs: readonly OutgoingMessage[],
  periodMs: number,
  pass: number,
): Segment {
  const parts = msgs.map((m) => writer.encode(m));
  const count = msgs.length;
  const ends = new Uint32Array(count);
  const times = new Float64Array(count);
  const videoBefore = new Uint32Array(count + 1);
  const audioBefore = new Uint32Array(count + 1);
  let size = 0;
  for (let k = 0; k < count; k++) {
    const m = msgs[k]!;
    size += parts[k]!.length;
    ends[k] = size;
    times[k] = m.type === MessageType.DataAmf0 ? 0 : m.timestamp - pass * periodMs;
    const frame = isFrame(m);
    videoBefore[k + 1] = videoBefore[k]! + (frame && m.type === MessageType.Video ? 1 : 0);
    audioBefore[k + 1] = audioBefore[k]! + (frame && m.type === MessageType.Audio ? 1 : 0);
  }
  const bytes = new Uint8Array(size);
  for (let k = 0; k < count; k++) bytes.set(parts[k]!, k === 0 ? 0 : ends[k - 1]!);
  return { bytes, count, ends, times, videoBefore, audioBefore };
}

function isFrame(m: OutgoingMessage): boolean {
  if (m.type === MessageType.Video) return parseVideoTag(m.body).kind === "frame";
  if (m.type === MessageType.Audio) return parseAudioTag(m.body).kind === "frame";
  return false;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
