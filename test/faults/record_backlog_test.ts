import assert from "node:assert/strict";
import { countFrames, recordings, run, testServer, until } from "../interop/harness.ts";
import { byName, noFfmpeg, NORMAL_CLOSE } from "./fault_env.ts";

/** Times the clip is sent over: about 20 MB, twenty times the queue below. */
const LOOPS = 4;
const QUEUE_BYTES = 1024 * 1024;

Deno.test({
  name: "a publisher faster than the disk is held back: its recording keeps every frame",
  ignore: noFfmpeg,
  async fn() {
    // A small queue for the disk, so FFmpeg sending a file as fast as it can outruns it.
    await using s = await testServer({ config: { recordQueueBytes: QUEUE_BYTES } });
    const clip = `${s.recordDir}/clip.flv`;
    const made = await run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-f", "lavfi"],
      ...["-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000"],
      ...["-t", "8", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "5000k", "-g", "60"],
      ...["-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "flv", clip],
    ]);
    assert.equal(made.code, 0, made.stderr);
    const one = await countFrames(clip);
    const sent = await run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-stream_loop", String(LOOPS - 1), "-i", clip],
      ...["-c", "copy", "-f", "flv", `${s.rtmpUrl}/live/fast`],
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    await Deno.remove(clip);
    const view = s.server.registry.view();
    await until(() =>
      view.list().some((x) =>
        x.state === "closed" && x.recording?.state !== "recording" &&
        x.recording?.state !== "finalizing"
      )
    );
    const info = byName(view.list(), "fast")!;
    const want = { video: LOOPS * one.video, audio: LOOPS * one.audio };
    assert.deepEqual({ video: info.video.frames, audio: info.audio.frames }, want, "frames in");
    assert.match(info.closeReason ?? "", NORMAL_CLOSE);
    assert.equal(info.recording?.error ?? null, null, "the recording did not fall behind");
    assert.equal(info.recording?.state, "done");
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    assert.deepEqual(await countFrames(files[0]!), want, "every frame sent is in the recording");
  },
});
