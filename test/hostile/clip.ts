/**
 * The media the hostile suite publishes: one second of H.264 + AAC made once with FFmpeg,
 * split into FLV tags; the good publisher streams it paced and looped, bad clients send it
 * as fast as they like.
 * @module
 */

import type { RtmpPublisher } from "../../src/client/publisher.ts";
import { decodeFlvTags, type FlvTag, FlvTagType } from "../../src/record/flv.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import type { OutgoingMessage } from "../../src/rtmp/chunk_writer.ts";
import { MessageType } from "../../src/rtmp/messages.ts";
import { countFrames, run } from "../interop/harness.ts";
import type { RawClient } from "./raw_client.ts";

/** A small FLV, split into tags. */
export interface Clip {
  /** Metadata, sequence headers and coded frames, in file order. */
  readonly tags: readonly FlvTag[];
  /** Coded video frames in one pass (what ffprobe counts). */
  readonly video: number;
  /** Coded audio frames in one pass. */
  readonly audio: number;
  /** One pass lasts this long: last timestamp plus one frame. */
  readonly durationMs: number;
}

/** Frames sent, by track. */
export interface FrameCount {
  video: number;
  audio: number;
}

/** Makes the clip in `dir` with FFmpeg and checks our frame count against ffprobe's. */
export async function makeClip(dir: string): Promise<Clip> {
  const path = `${dir}/clip.flv`;
  const r = await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-y"],
    ...["-f", "lavfi", "-i", "testsrc=size=160x120:rate=30"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "1"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "30", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-b:a", "64k", "-f", "flv", path],
  ]);
  if (r.code !== 0) throw new Error(`FFmpeg could not make the clip: ${r.stderr}`);
  const tags = decodeFlvTags(await Deno.readFile(path)).tags;
  const mine = { video: 0, audio: 0 };
  for (const t of tags) {
    const kind = codedFrame(t);
    if (kind !== null) mine[kind]++;
  }
  const probed = await countFrames(path);
  if (probed.video !== mine.video || probed.audio !== mine.audio) {
    throw new Error(`Clip frames: ffprobe ${JSON.stringify(probed)}, ours ${JSON.stringify(mine)}`);
  }
  const last = tags.at(-1)?.timestamp ?? 0;
  return { tags, video: mine.video, audio: mine.audio, durationMs: last + 34 };
}

/** "video" or "audio" for a coded H.264/AAC frame; null for metadata and sequence headers. */
export function codedFrame(tag: FlvTag): "video" | "audio" | null {
  if (tag.type === FlvTagType.Video) return tag.body[1] === 1 ? "video" : null;
  if (tag.type === FlvTagType.Audio) return tag.body[1] === 1 ? "audio" : null;
  return null;
}

/** `@setDataFrame` followed by a script tag's body: the data message FFmpeg sends. */
export function setDataFrame(scriptBody: Uint8Array): Uint8Array {
  const prefix = encodeAmf0(["@setDataFrame"]);
  const out = new Uint8Array(prefix.length + scriptBody.length);
  out.set(prefix);
  out.set(scriptBody, prefix.length);
  return out;
}

/** How a bad client sends the clip. */
export interface SendClipOptions {
  /** Only one track (sequence header included); default both. */
  readonly only?: "video" | "audio";
  /** Chunk stream ids; default 6 (video) and 4 (audio, metadata). */
  readonly csid?: { readonly video: number; readonly audio: number };
  /** Maps each tag's timestamp (and its index) to the one sent. */
  readonly timestamp?: (ts: number, index: number) => number;
  /** Skips the tags before this index (default 0). */
  readonly from?: number;
  /** Called before each tag is sent (to interleave junk). */
  readonly before?: (index: number) => Promise<void>;
}

/** Sends the clip's tags on `c.streamId` unpaced and counts the coded frames in `c.sent`. */
export async function sendClip(
  c: RawClient,
  clip: Clip,
  options: SendClipOptions = {},
): Promise<void> {
  const csid = options.csid ?? { video: 6, audio: 4 };
  for (const [i, tag] of clip.tags.entries()) {
    if (i < (options.from ?? 0)) continue;
    const isVideo = tag.type === FlvTagType.Video;
    if (tag.type === FlvTagType.Script && options.only !== undefined) continue;
    if (options.only === "video" && !isVideo && tag.type !== FlvTagType.Script) continue;
    if (options.only === "audio" && isVideo) continue;
    await options.before?.(i);
    const timestamp = options.timestamp?.(tag.timestamp, i) ?? tag.timestamp;
    const ok = await c.send(
      tagMessage(tag, c.streamId, timestamp, isVideo ? csid.video : csid.audio),
    );
    if (!ok) return;
    const kind = codedFrame(tag);
    if (kind !== null) c.sent[kind]++;
  }
}

/** The RTMP message for an FLV tag (script tags get `@setDataFrame`). */
export function tagMessage(
  tag: FlvTag,
  streamId: number,
  timestamp: number,
  csid: number,
): OutgoingMessage {
  if (tag.type === FlvTagType.Script) {
    return { type: MessageType.DataAmf0, csid, streamId, timestamp, body: setDataFrame(tag.body) };
  }
  return { type: tag.type, csid, streamId, timestamp, body: tag.body };
}

/**
 * Streams the clip in real time, looping with rising timestamps, until `stop()` is true
 * and at least `minMs` have passed; returns the coded frames sent. Sequence headers and
 * metadata go once, at the start.
 */
export async function streamGood(
  pub: RtmpPublisher,
  clip: Clip,
  stop: () => boolean,
  minMs: number,
): Promise<FrameCount> {
  const sent: FrameCount = { video: 0, audio: 0 };
  const start = Date.now();
  for (let pass = 0;; pass++) {
    for (const tag of clip.tags) {
      const kind = codedFrame(tag);
      if (pass > 0 && kind === null) continue;
      const ts = pass * clip.durationMs + tag.timestamp;
      const wait = start + ts - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (kind !== null && stop() && Date.now() - start >= minMs) return sent;
      if (pub.closed) return sent;
      const msg = tagMessage(tag, pub.streamId, ts, tag.type === FlvTagType.Video ? 6 : 4);
      await pub.send(msg);
      if (kind !== null) sent[kind]++;
    }
  }
}
