/**
 * Fault suite helpers: real FFmpeg publishers, tmpfs mounts (CI runs as root), and the
 * checks every fault case makes of the good publishers beside it.
 * @module
 */

import assert from "node:assert/strict";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { countFrames, have, missing, run } from "../interop/harness.ts";

/** True (after a loud message) when FFmpeg is missing. */
export const noFfmpeg: boolean = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);

/** How a client that ended by itself is closed: a FIN, or a reset (FFmpeg does both). */
export const NORMAL_CLOSE = /^(Client closed the connection|Connection reset by peer)$/;

/** Frames per second of the test publishers. */
export const FPS = 30;

/**
 * Publishes `seconds` of H.264 (320x240 unless `size` says) at 30 fps in real time to `url`; resolves to
 * FFmpeg's exit code and stderr.
 */
export function publish(
  url: string,
  seconds: number,
  size = "320x240",
): Promise<{ code: number; stderr: string }> {
  return run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
    ...["-i", `testsrc=size=${size}:rate=${FPS}`, "-t", String(seconds)],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"],
    ...["-f", "flv", url],
  ]);
}

/** A tmpfs mounted for one test; unmounted on dispose. */
export interface Mount extends AsyncDisposable {
  readonly path: string;
}

/**
 * Mounts a tmpfs of `sizeKb` at `path` (read-only with `readOnly`); returns null, after a loud
 * message, where mounting is not allowed (the injected-failure tests in
 * test/record/file_sink_test.ts cover the same paths there).
 */
export async function mountTmpfs(
  path: string,
  opts: { sizeKb: number; readOnly?: boolean },
): Promise<Mount | null> {
  await Deno.mkdir(path, { recursive: true });
  const options = `size=${opts.sizeKb}k${opts.readOnly ? ",ro" : ""}`;
  const r = await run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]).catch((e) => ({
    code: -1,
    stdout: "",
    stderr: String(e),
  }));
  if (r.code !== 0) {
    console.warn(
      `\n!!! FAULT TEST DEGRADED: cannot mount a tmpfs at ${path} (${r.stderr.trim()}); ` +
        "the storage-fault paths are covered by the injected failures of " +
        "test/record/file_sink_test.ts instead !!!\n",
    );
    return null;
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await run("umount", ["-l", path]);
    },
  };
}

/** Asserts a good publisher's session counted every frame and its file holds them all. */
export async function assertGood(info: SessionInfo | undefined, seconds: number): Promise<void> {
  assert.ok(info !== undefined, "the good publisher has a session");
  const frames = seconds * FPS;
  assert.equal(info.video.frames, frames, `${info.streamName}: frames counted`);
  assert.match(info.closeReason ?? "", NORMAL_CLOSE, `${info.streamName}: close reason`);
  assert.equal(info.recording?.state, "done", `${info.streamName}: recording state`);
  const path = info.recording?.path;
  assert.ok(path, `${info.streamName}: has a recording`);
  assert.deepEqual(await countFrames(path), { video: frames, audio: 0 }, path);
  assert.equal(info.recording?.bytes, (await Deno.stat(path)).size);
}

/** The sessions of a server's registry whose stream name is `name`. */
export function byName(list: SessionInfo[], name: string): SessionInfo | undefined {
  return list.find((s) => s.streamName === name);
}
