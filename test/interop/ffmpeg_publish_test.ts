import assert from "node:assert/strict";
import { countFrames, have, missing, recordings, run, testServer, until } from "./harness.ts";

const noFfmpeg = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);

const X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "30"];

for (const parser of ["wasm", "js"] as const) {
  Deno.test({
    name: `FFmpeg publishes 60 frames of H.264 and all 60 are recorded (${parser} parser)`,
    ignore: noFfmpeg,
    async fn() {
      await using s = await testServer({ parser });
      const r = await run("ffmpeg", [
        ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
        ...["-i", "testsrc=size=320x240:rate=30", "-t", "2", ...X264],
        ...["-f", "flv", `${s.rtmpUrl}/live/test`],
      ]);
      assert.equal(r.code, 0, r.stderr);
      await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
      const files = await recordings(s.recordDir);
      assert.equal(files.length, 1);
      assert.match(files[0]!, /\/live\/test-\d{8}T\d{6}Z\.flv$/);
      assert.deepEqual(await countFrames(files[0]!), { video: 60, audio: 0 });
      const res = await fetch(`${s.httpUrl}/api/sessions`);
      const { sessions } = await res.json();
      assert.equal(sessions.length, 1);
      const info = sessions[0];
      assert.equal(info.parser, parser);
      assert.equal(info.app, "live");
      assert.equal(info.streamName, "test");
      assert.match(info.encoder, /^FMLE\/3.0/);
      assert.deepEqual(
        [
          info.video.codec,
          info.video.width,
          info.video.height,
          info.video.frames,
          info.video.keyframes,
        ],
        ["h264", 320, 240, 60, 2],
      );
      assert.equal(info.recording.path, files[0]);
      assert.equal(info.recording.bytes, (await Deno.stat(files[0]!)).size);
    },
  });
}

Deno.test({
  name: "FFmpeg with AAC audio and H.264 video: frames recorded equal frames sent",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer();
    const local = await Deno.makeTempFile({ suffix: ".flv" });
    try {
      const r = await run("ffmpeg", [
        ...["-hide_banner", "-loglevel", "error", "-y"],
        ...["-f", "lavfi", "-i", "testsrc=size=640x360:rate=25"],
        ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
        ...[
          "-t",
          "3",
          ...X264,
          "-flags:v",
          "+global_header",
          "-c:a",
          "aac",
          "-ac",
          "2",
          "-map",
          "0:v",
          "-map",
          "1:a",
        ],
        ...["-f", "tee", `[f=flv]${s.rtmpUrl}/live/av?key=secret|[f=flv]${local}`],
      ]);
      assert.equal(r.code, 0, r.stderr);
      await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
      const sent = await countFrames(local);
      assert.equal(sent.video, 75);
      assert.ok(sent.audio > 120, `audio frames sent: ${sent.audio}`);
      const files = await recordings(s.recordDir);
      assert.equal(files.length, 1);
      assert.deepEqual(await countFrames(files[0]!), sent);
      const info = s.server.registry.view().list()[0]!;
      assert.equal(info.streamName, "av");
      assert.deepEqual(
        [info.audio.codec, info.audio.sampleRate, info.audio.channels, info.audio.frames],
        ["aac", 44100, 2, sent.audio],
      );
      assert.deepEqual([info.video.width, info.video.height, info.video.frames], [640, 360, 75]);
    } finally {
      await Deno.remove(local);
    }
  },
});

Deno.test({
  name: "a second FFmpeg publish to a live name gets NetStream.Publish.BadName",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer();
    const first = run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
      ...["-i", "testsrc=size=160x120:rate=10", "-t", "3", ...X264],
      ...["-f", "flv", `${s.rtmpUrl}/live/dup`],
    ]);
    await until(() => s.server.registry.view().list().some((x) => x.state === "publishing"));
    const second = await run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "info", "-f", "lavfi"],
      ...["-i", "testsrc=size=160x120:rate=10", "-t", "1", ...X264],
      ...["-f", "flv", `${s.rtmpUrl}/live/dup`],
    ]);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /NetStream\.Publish\.BadName|already publishing/);
    assert.equal((await first).code, 0);
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    assert.equal((await countFrames(files[0]!)).video, 30);
    const refused = s.server.registry.view().list().find((x) => x.role === null)!;
    assert.equal(refused.streamName, "dup", "the refused session keeps the name it asked for");
    assert.equal(refused.closeReason, "Publish refused: live/dup is already publishing");
  },
});

Deno.test({
  name: "a publisher killed mid-stream leaves a finalized, readable recording",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer();
    const child = new Deno.Command("ffmpeg", {
      args: [
        ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
        ...["-i", "testsrc=size=320x240:rate=30", "-t", "30", ...X264],
        ...["-f", "flv", `${s.rtmpUrl}/live/dropped`],
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await until(() => s.server.registry.view().list().some((x) => x.video.frames >= 30));
    child.kill("SIGKILL");
    await child.status;
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    const info = s.server.registry.view().list()[0]!;
    assert.equal((await countFrames(files[0]!)).video, info.video.frames);
    const probe = await run("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "format=duration",
      "-of",
      "csv=p=0",
      files[0]!,
    ]);
    assert.ok(Number(probe.stdout) > 0.9, `duration ${probe.stdout}`);
  },
});

Deno.test({
  name:
    "a publish whose sequence header is empty still shows its picture size (SPS in the key frame)",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer();
    const local = await Deno.makeTempFile({ suffix: ".flv" });
    try {
      const r = await run("ffmpeg", [
        ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"],
        ...["-i", "testsrc=size=352x288:rate=25", "-t", "1", ...X264, "-map", "0:v"],
        ...["-f", "tee", `[f=flv]${s.rtmpUrl}/live/inband|[f=flv]${local}`],
      ]);
      assert.equal(r.code, 0, r.stderr);
      await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
      const info = s.server.registry.view().list()[0]!;
      assert.deepEqual([info.video.width, info.video.height, info.video.frames], [352, 288, 25]);
    } finally {
      await Deno.remove(local);
    }
  },
});
