import assert from "node:assert/strict";
import { countFrames, have, missing, recordings, run, spawnServer, until } from "./harness.ts";

const noFfmpeg = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);

function publish(port: number, name: string, seconds: number): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
      ...["-i", "testsrc=size=320x240:rate=30", "-t", String(seconds)],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30"],
      ...["-f", "flv", `rtmp://127.0.0.1:${port}/live/${name}`],
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
}

async function frames(httpPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/sessions`);
  const { sessions } = await res.json();
  return sessions[0]?.video.frames ?? 0;
}

async function parts(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/live`)) {
    if (e.name.endsWith(".part")) out.push(`${dir}/live/${e.name}`);
  }
  return out;
}

Deno.test({
  name: "after kill -9 the .part file is readable and the next start repairs and renames it",
  ignore: noFfmpeg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-crash-" });
    try {
      const s = await spawnServer(["--record-dir", dir]);
      const ff = publish(s.rtmpPort, "crash", 30);
      await until(async () => (await frames(s.httpPort)) >= 90, 20_000);
      const atKill = await frames(s.httpPort);
      s.child.kill("SIGKILL");
      await s.child.status;
      await s.log();
      await s.stdout;
      try {
        ff.kill("SIGKILL");
      } catch { /* FFmpeg already left when the server went away */ }
      await ff.status;
      const [part] = await parts(dir);
      assert.ok(part, "a .part file is left");
      const readable = await countFrames(part!);
      assert.ok(
        readable.video >= atKill - 45,
        `${readable.video} frames readable of ${atKill} seen`,
      );
      const again = await spawnServer(["--record-dir", dir]);
      again.child.kill("SIGTERM");
      assert.equal((await again.child.status).code, 0);
      const log = await again.log();
      await again.stdout;
      assert.match(log, /Repaired recording .*crash-\d{8}T\d{6}Z\.flv: \d+ whole tags/);
      assert.deepEqual(await parts(dir), []);
      const files = await recordings(dir);
      assert.equal(files.length, 1);
      assert.equal((await countFrames(files[0]!)).video, readable.video);
      const probe = await run("ffprobe", [
        "-v",
        "error",
        "-show_entries",
        "format=duration",
        "-of",
        "csv=p=0",
        files[0]!,
      ]);
      assert.ok(Number(probe.stdout) >= 2, `duration ${probe.stdout}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "SIGTERM tells the publisher, finalizes its recording and exits 0 within 5 s",
  ignore: noFfmpeg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-term-" });
    try {
      const s = await spawnServer(["--record-dir", dir]);
      const ff = publish(s.rtmpPort, "term", 30);
      await until(async () => (await frames(s.httpPort)) >= 30, 20_000);
      const t0 = Date.now();
      s.child.kill("SIGTERM");
      assert.equal((await s.child.status).code, 0);
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      const log = await s.log();
      await s.stdout;
      assert.match(log, /closed \(Server shutting down\)/);
      try {
        ff.kill("SIGKILL");
      } catch { /* FFmpeg already left when told the server was stopping */ }
      await ff.status;
      assert.deepEqual(await parts(dir), []);
      const files = await recordings(dir);
      assert.equal(files.length, 1);
      assert.ok((await countFrames(files[0]!)).video >= 30);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
