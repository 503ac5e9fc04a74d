import assert from "node:assert/strict";
import { createJsParser } from "../../src/parser/js_parser.ts";
import { encodeFlvHeader, encodeFlvTag, type FlvTag } from "../../src/record/flv.ts";
import { decodeAmf0, encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { runLoad } from "../../tools/load.ts";
import { encodeLoadStream, planFlv } from "../../tools/load_stream.ts";
import {
  countFrames,
  have,
  missing,
  recordings,
  run,
  testServer,
  until,
} from "../interop/harness.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../fixtures/media/${name}.bin`, import.meta.url));

/** A small FLV: metadata, AVC + AAC sequence headers, 3 video and 4 audio frames, end of sequence. */
function smallFlv(): Uint8Array {
  const video = (key: boolean) => new Uint8Array([key ? 0x17 : 0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]);
  const audio = new Uint8Array([0xaf, 0x01, 0x21, 0x10]);
  const tags: FlvTag[] = [
    { type: 18, timestamp: 0, body: encodeAmf0(["onMetaData", new Map([["duration", 0.1]])]) },
    { type: 9, timestamp: 0, body: fixture("h264_320x240_seq") },
    { type: 8, timestamp: 0, body: fixture("aac_44100_2_seq") },
    { type: 9, timestamp: 0, body: video(true) },
    { type: 8, timestamp: 0, body: audio },
    { type: 8, timestamp: 21, body: audio },
    { type: 9, timestamp: 33, body: video(false) },
    { type: 8, timestamp: 43, body: audio },
    { type: 8, timestamp: 64, body: audio },
    { type: 9, timestamp: 66, body: video(false) },
    { type: 9, timestamp: 66, body: new Uint8Array([0x17, 2, 0, 0, 0]) }, // end of sequence
  ];
  const parts = [encodeFlvHeader({ audio: true, video: true }), ...tags.map(encodeFlvTag)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

Deno.test("planFlv() sends metadata and sequence headers once and loops the frames", () => {
  const plan = planFlv(smallFlv());
  assert.deepEqual(decodeAmf0(plan.metadata!).slice(0, 2), ["@setDataFrame", "onMetaData"]);
  assert.deepEqual(plan.headers.map((t) => t.type), [9, 8]);
  assert.equal(plan.media.length, 7); // the end-of-sequence tag is dropped
  assert.equal(plan.periodMs, 66 + 33);
});

Deno.test("encodeLoadStream() loop passes parse with timestamps one period apart", () => {
  const plan = planFlv(smallFlv());
  const stream = encodeLoadStream(plan, 1, 128);
  using parser = createJsParser();
  const got: { type: number; timestamp: number; streamId: number }[] = [];
  for (const bytes of [stream.head.bytes, stream.loop.bytes, stream.loop.bytes]) {
    for (let o = 0; o < bytes.length;) {
      o += parser.push(bytes.subarray(o));
      parser.drain((rec) =>
        got.push({ type: rec.type, timestamp: rec.timestamp, streamId: rec.streamId })
      );
    }
  }
  assert.deepEqual(got.slice(0, 3).map((m) => m.type), [18, 9, 8]);
  const media = got.slice(3).map((m) => m.timestamp);
  const pass = [0, 0, 21, 33, 43, 64, 66];
  assert.deepEqual(media, [...pass, ...pass.map((t) => t + 99), ...pass.map((t) => t + 198)]);
  assert.ok(got.every((m) => m.streamId === 1));
  assert.equal(stream.head.videoBefore[stream.head.count], 3);
  assert.equal(stream.loop.audioBefore[stream.loop.count], 4);
});

const ffmpeg = have("ffmpeg", "-version") && have("ffprobe", "-version");

Deno.test({
  name: "runLoad() with 3 publishers leaves recordings holding exactly the frames sent",
  ignore: missing("ffmpeg/ffprobe", ffmpeg),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-load-" });
    try {
      const flv = `${dir}/tiny.flv`;
      // deno-fmt-ignore
      const made = await run("ffmpeg", [
        "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=30",
        "-f", "lavfi", "-i", "sine", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
        "-c:a", "aac", "-b:a", "64k", "-t", "1", "-f", "flv", flv,
      ]);
      assert.equal(made.code, 0, made.stderr);
      await using s = await testServer();
      const report = await runLoad({
        url: `${s.rtmpUrl}/live/load`,
        flv: await Deno.readFile(flv),
        publishers: 3,
        seconds: 2,
      });
      assert.deepEqual(report.errors, []);
      assert.equal(report.connected, 3);
      await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
      const files = await recordings(s.recordDir);
      assert.equal(files.length, 3);
      for (const p of report.publishers) {
        assert.ok(p.video > 30, `${p.name} looped the 1 s file: ${p.video} video frames`);
        const file = files.find((f) => f.includes(`/${p.name}-`));
        assert.ok(file, `${p.name} has a recording`);
        assert.deepEqual(await countFrames(file), { video: p.video, audio: p.audio });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
