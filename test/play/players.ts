/**
 * Real players for the play tests (FFmpeg, GStreamer `rtmp2src`, rtmpdump), an FFmpeg
 * publisher with audio and video, and the byte-exact comparison of what a player wrote
 * with the server's own recording.
 * @module
 */

import assert from "node:assert/strict";
import { decodeFlvTags, type FlvTag, FlvTagType } from "../../src/record/flv.ts";
import { have, missing, run } from "../interop/harness.ts";

/** True (after a loud message) when a real player or FFmpeg is missing. */
export const noPlayers: boolean = missing(
  "ffmpeg/ffprobe, gst-launch-1.0 with rtmp2src or rtmpdump",
  have("ffmpeg", "-version") && have("ffprobe", "-version") &&
    have("gst-inspect-1.0", "rtmp2src") && have("rtmpdump", "-h"),
);

/** Publishes `seconds` of H.264 (keyframe every 30 frames) and AAC in real time to `url`. */
export function publishAv(url: string, seconds: number): Promise<{ code: number; stderr: string }> {
  return run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30"],
    ...["-f", "lavfi", "-i", "sine=frequency=440", "-t", String(seconds)],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-f", "flv", url],
  ]);
}

/** The players, each writing what it received to an FLV file. */
export const PLAYERS = {
  ffmpeg: (url: string, out: string) =>
    run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-i",
      url,
      "-c",
      "copy",
      "-f",
      "flv",
      out,
    ]),
  gstreamer: (url: string, out: string) =>
    run("gst-launch-1.0", [
      "-q",
      "rtmp2src",
      `location=${url}`,
      "!",
      "filesink",
      `location=${out}`,
    ]),
  rtmpdump: (url: string, out: string) => run("rtmpdump", ["-q", "-r", url, "-o", out]),
} as const;

/** Coded audio and video tags of an FLV file (no metadata, no sequence headers). */
export async function codedTags(path: string): Promise<FlvTag[]> {
  const tags = decodeFlvTags(await Deno.readFile(path)).tags;
  return tags.filter((t) =>
    (t.type === FlvTagType.Video || t.type === FlvTagType.Audio) && t.body.length > 1 &&
    t.body[1] !== 0
  );
}

/** Whether a video tag body is an AVC key frame. */
export function isKeyframe(tag: FlvTag): boolean {
  return tag.type === FlvTagType.Video && tag.body[0]! >> 4 === 1;
}

/**
 * Asserts that `got` (a player's coded tags) is `want` (the recording's) from some tag on,
 * to the end, body for body (and timestamp for timestamp unless the player rewrote them),
 * and that its first video tag is a key frame. Returns the index in `want` it starts at.
 * `lastLost`: how many of the last frames the player may drop itself (librtmp and
 * GStreamer close on UnpublishNotify with the last tag still in their buffers).
 */
export function assertTail(
  got: readonly FlvTag[],
  want: readonly FlvTag[],
  opts: { who: string; timestamps: boolean; lastLost: number },
): number {
  assert.ok(got.length > 0, `${opts.who} got no frames`);
  const first = got[0]!;
  const at = want.findIndex((t) => t.type === first.type && equal(t.body, first.body));
  assert.ok(at >= 0, `${opts.who}: its first frame is not in the recording`);
  const lost = want.length - at - got.length;
  assert.ok(
    lost >= 0 && lost <= opts.lastLost,
    `${opts.who}: ${got.length} frames from the one it joined at, want ${want.length - at}` +
      ` (up to ${opts.lastLost} last ones lost)`,
  );
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[at + i]!;
    assert.equal(g.type, w.type, `${opts.who}: tag ${i} type`);
    assert.ok(equal(g.body, w.body), `${opts.who}: tag ${i} body differs`);
    if (opts.timestamps) assert.equal(g.timestamp, w.timestamp, `${opts.who}: tag ${i} time`);
  }
  const video = got.find((t) => t.type === FlvTagType.Video);
  assert.ok(video !== undefined && isKeyframe(video), `${opts.who}: first video is a key frame`);
  return at;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
