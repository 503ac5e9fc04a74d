import assert from "node:assert/strict";
import { have, missing, testServer, until } from "../interop/harness.ts";

const noFfmpeg = missing("ffmpeg", have("ffmpeg", "-version"));

/** Streams 5 s of 30 fps H.264 (150 frames) to `url` in real time. */
function publish(url: string): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
      ...["-i", "testsrc=size=320x240:rate=30", "-t", "5"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"],
      ...["-f", "flv", url],
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

/** Blocks this process's event loop (where the server runs) for `ms`. */
function stallLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* the server cannot read, time out or tick meanwhile */ }
}

Deno.test({
  name: "a 2.5 s event-loop stall drops no publisher under a 1 s idle timeout",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({
      config: { idleTimeoutMs: 1000, handshakeTimeoutMs: 5000, publishTimeoutMs: 5000 },
    });
    const view = s.server.registry.view();
    const clients = ["a", "b"].map((name) => publish(`${s.rtmpUrl}/live/${name}`));
    try {
      await until(() => {
        const live = view.list().filter((x) => x.state === "publishing");
        return live.length === 2 && live.every((x) => x.video.frames >= 20);
      });
      stallLoop(2500);
      const results = await Promise.all(clients.map((c) => c.output()));
      await until(() => view.list().every((x) => x.state === "closed"));
      const ended = view.list().map((x) => [x.streamName, x.video.frames]);
      ended.sort((x, y) => String(x[0]).localeCompare(String(y[0])));
      assert.deepEqual(ended, [["a", 150], ["b", 150]]);
      for (const x of view.list()) {
        assert.match(
          x.closeReason ?? "",
          /^(Client closed the connection|Connection reset by peer)$/,
        );
      }
      for (const r of results) assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    } finally {
      for (const c of clients) {
        try {
          c.kill("SIGKILL");
        } catch { /* already exited */ }
      }
      await Promise.all(clients.map((c) => c.status));
    }
  },
});
