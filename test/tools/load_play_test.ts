import assert from "node:assert/strict";
import { ensureNginx, startNginx } from "../../bench/e2e_servers.ts";
import { encodeFlvHeader, encodeFlvTag, type FlvTag } from "../../src/record/flv.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { LagHistogram } from "../../tools/lag_histogram.ts";
import { runPlay } from "../../tools/load_play.ts";
import { SendLog } from "../../tools/load_send_log.ts";
import { encodeLoadStream, planFlv } from "../../tools/load_stream.ts";
import { missing } from "../interop/harness.ts";

const fixture = (name: string) =>
  Deno.readFileSync(new URL(`../fixtures/media/${name}.bin`, import.meta.url));

/** An FLV of 1 s: AVC + AAC sequence headers, a keyframe every 10 video frames, 30 fps video. */
function clip(): Uint8Array {
  const video = (key: boolean) => new Uint8Array([key ? 0x17 : 0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]);
  const tags: FlvTag[] = [
    { type: 18, timestamp: 0, body: encodeAmf0(["onMetaData", new Map([["duration", 1]])]) },
    { type: 9, timestamp: 0, body: fixture("h264_320x240_seq") },
    { type: 8, timestamp: 0, body: fixture("aac_44100_2_seq") },
  ];
  for (let i = 0; i < 30; i++) tags.push({ type: 9, timestamp: i * 33, body: video(i % 10 === 0) });
  for (let i = 0; i < 43; i++) {
    tags.push({ type: 8, timestamp: i * 23, body: new Uint8Array([0xaf, 1, 0x21, 0x10]) });
  }
  tags.sort((a, b) => a.timestamp - b.timestamp);
  const parts = [encodeFlvHeader({ audio: true, video: true }), ...tags.map(encodeFlvTag)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

Deno.test("SendLog matches frames by track and timestamp across loop passes", () => {
  const stream = encodeLoadStream(planFlv(clip()), 1);
  const log = new SendLog();
  log.sent({ seg: stream.head, pass: 0, periodMs: stream.periodMs, from: 0, to: 10 }, 100);
  const rest = { seg: stream.loop, pass: 1, periodMs: stream.periodMs };
  log.sent({ ...rest, from: 0, to: stream.loop.count }, 200);
  const period = stream.periodMs;
  assert.equal(period, 42 * 23 + 33); // last tag + one video frame step
  assert.equal(log.sendTime(0, 0), 100);
  assert.equal(log.sendTime(0, 66), 100);
  assert.equal(log.sendTime(0, period), 200); // first video frame of pass 1
  assert.ok(Number.isNaN(log.sendTime(0, 99))); // the head's 10 messages end before it
  assert.ok(Number.isNaN(log.sendTime(0, 1))); // no video frame at 1 ms
  assert.equal(log.count(0), 3 + 30); // head: metadata, 2 sequence headers, video 0/33/66, 4 audio
  assert.equal(log.framesFrom(0, period), 30);
  assert.equal(log.framesFrom(0, 33), 32);
  assert.equal(log.framesSentSince(1, 150), 43);
  assert.equal(log.lastTimestamp(1), 42 * 23 + period);
});

Deno.test("LagHistogram gives nearest-rank percentiles in 0.1 ms buckets and the exact max", () => {
  const h = new LagHistogram();
  assert.equal(h.percentile(0.5), null);
  for (let i = 1; i <= 100; i++) h.add(i / 10);
  h.add(20_000); // beyond the last bucket
  assert.equal(h.count, 101);
  assert.equal(h.percentile(0.5), 5.1);
  assert.equal(h.percentile(1), 20_000);
  assert.equal(h.max, 20_000);
});

const nginxFound = await nginxInstalled();

async function nginxInstalled(): Promise<boolean> {
  const found = await Promise.all(
    ["/usr/sbin/nginx", "/usr/lib/nginx/modules/ngx_rtmp_module.so"].map((p) =>
      Deno.stat(p).then(() => true, () => false)
    ),
  );
  return found.every((x) => x);
}

Deno.test({
  name: "runPlay() against nginx-rtmp counts every frame sent after each of 3 players joined",
  ignore: missing("nginx with libnginx-mod-rtmp", nginxFound),
  async fn() {
    const install = (await ensureNginx(() => {}))!;
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-play-" });
    const server = await startNginx(install, { recordDir: dir, workDir: dir });
    try {
      const r = await runPlay({
        url: `rtmp://127.0.0.1:${server.rtmpPort}/live/play`,
        flv: clip(),
        players: 3,
        seconds: 2,
        joinAfterMs: 300,
      });
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.publish?.errors, []);
      assert.equal(r.started, 3);
      assert.equal(r.complete, 3, JSON.stringify(r.perPlayer));
      for (const p of r.perPlayer) {
        assert.ok(p.video >= 50, `2 s at 30 fps: got ${p.video} video frames`);
        assert.equal(p.video + p.audio, p.due);
        assert.ok(p.firstKeyMs !== null && p.firstKeyMs < 1000, `first key ${p.firstKeyMs} ms`);
      }
      assert.equal(r.unmatched, 0);
      assert.equal(r.lagSamples, r.framesReceived);
      assert.ok(r.lagP50Ms !== null && r.lagP50Ms < 100, `lag p50 ${r.lagP50Ms} ms`);
      assert.ok(r.windowSeconds >= 1.9 && r.windowBytes > 0);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
