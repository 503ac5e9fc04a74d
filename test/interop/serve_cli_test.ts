import assert from "node:assert/strict";
import { VERSION } from "../../src/version.ts";
import {
  countFrames,
  have,
  MAIN,
  missing,
  recordings,
  run,
  spawnServer,
  until,
} from "./harness.ts";

const noFfmpeg = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);
Deno.test({
  name: "deno task serve --pipe writes the first publish as FLV to stdout and stops on SIGTERM",
  ignore: noFfmpeg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-cli-" });
    try {
      const s = await spawnServer(["--pipe", "--record-dir", dir]);
      const health = await fetch(`http://127.0.0.1:${s.httpPort}/healthz`);
      assert.deepEqual(await health.json(), { ok: true, version: VERSION });
      const r = await run("ffmpeg", [
        ...[
          "-hide_banner",
          "-loglevel",
          "error",
          "-f",
          "lavfi",
          "-i",
          "testsrc=size=320x240:rate=30",
        ],
        ...["-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30"],
        ...["-f", "flv", `rtmp://127.0.0.1:${s.rtmpPort}/live/piped?key=hunter2`],
      ]);
      assert.equal(r.code, 0, r.stderr);
      // Nobody plays it: the server may read the last frames up to --read-merge-ms later.
      const frames = async () =>
        (await (await fetch(`http://127.0.0.1:${s.httpPort}/api/sessions`)).json()).sessions[0]
          .video.frames;
      await until(async () => await frames() === 30, 2_000);
      assert.equal(await frames(), 30);
      s.child.kill("SIGTERM");
      const status = await s.child.status;
      assert.equal(status.code, 0);
      const log = await s.log();
      assert.match(log, new RegExp(`rtmp-edge ${VERSION} starting`));
      assert.match(log, /Session \w+ connected from/);
      assert.match(log, /publishing live\/piped/);
      assert.match(log, /Session \w+ closed \(.*\): \d+ bytes in, 30 video frames/);
      assert.doesNotMatch(log, /hunter2/);
      const piped = `${dir}/piped.flv`;
      await Deno.writeFile(piped, new Uint8Array(await s.stdout));
      assert.equal((await countFrames(piped)).video, 30);
      const files = (await recordings(dir)).filter((f) => f !== piped);
      assert.equal(files.length, 1);
      assert.equal((await countFrames(files[0]!)).video, 30);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task serve --help lists the flags and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", MAIN, "--help"] })
    .output();
  assert.equal(out.code, 0);
  const text = new TextDecoder().decode(out.stdout);
  for (
    const flag of [
      "--rtmp-port",
      "--http-port",
      "--record-dir",
      "--no-record",
      "--pipe",
      "--parser",
    ]
  ) {
    assert.ok(text.includes(flag), flag);
  }
});

Deno.test("deno task serve --version prints the version from deno.json and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", MAIN, "--version"] })
    .output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), `rtmp-edge ${VERSION}\n`);
});
