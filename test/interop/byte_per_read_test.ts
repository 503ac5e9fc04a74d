import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { systemClock } from "../../src/clock.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { RecordingFactory } from "../../src/record/recording.ts";
import { type RtmpConn, serveConnection } from "../../src/session/connection.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import { countFrames, have, missing, recordings, run } from "./harness.ts";

const noFfmpeg = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);

/** A connection whose reads return at most `n` bytes, whatever the kernel has. */
function limitReads(conn: Deno.Conn, n: number): RtmpConn {
  return {
    read: (p) => conn.read(p.subarray(0, Math.min(n, p.length))),
    write: (p) => conn.write(p),
    close: () => conn.close(),
  };
}

for (const parser of ["wasm", "js"] as const) {
  Deno.test({
    name: `FFmpeg's publish read one byte at a time loses no frame (${parser} parser)`,
    ignore: noFfmpeg,
    async fn() {
      const recordDir = await Deno.makeTempDir({ prefix: "rtmp-edge-bytes-" });
      const factory = parser === "wasm" ? await loadWasmParser() : createJsParser;
      const registry = new SessionRegistry({ clock: systemClock });
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const served = (async () => {
          const conn = await listener.accept();
          await serveConnection(limitReads(conn, 1), "test", {
            registry,
            hub: new StreamHub(),
            recordings: new RecordingFactory({ recordDir, pipe: null }),
            makeParser: () => factory(),
            clock: systemClock,
            log: getLogger(["rtmp-edge-test"]),
          });
        })();
        const r = await run("ffmpeg", [
          ...["-hide_banner", "-loglevel", "error", "-f", "lavfi"],
          ...["-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine", "-t", "2"],
          ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac"],
          ...["-f", "flv", `rtmp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/live/bytes`],
        ]);
        assert.equal(r.code, 0, r.stderr);
        await served;
        const files = await recordings(recordDir);
        assert.equal(files.length, 1);
        const frames = await countFrames(files[0]!);
        assert.equal(frames.video, 60);
        const info = registry.view().list()[0]!;
        assert.equal(info.video.frames, 60);
        assert.equal(info.audio.frames, frames.audio);
        assert.ok(frames.audio >= 86, `audio frames: ${frames.audio}`);
      } finally {
        listener.close();
        await Deno.remove(recordDir, { recursive: true });
      }
    },
  });
}
