/**
 * HTTP-FLV with real clients: FFmpeg publishes over RTMP, FFmpeg, curl, fetch and a raw TCP
 * client that never reads play over HTTP-FLV.
 * @module
 */

import assert from "node:assert/strict";
import { decodeFlvTags, type FlvTag } from "../../src/record/flv.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { assertGood, FPS, noFfmpeg, publish } from "../faults/fault_env.ts";
import {
  countFrames,
  have,
  missing,
  recordings,
  run,
  testServer,
  until,
} from "../interop/harness.ts";

const noCurl = missing("curl", have("curl", "--version"));

/** The coded frames: AVC NAL unit tags (no sequence header, no end of sequence). */
function frames(tags: FlvTag[]): FlvTag[] {
  return tags.filter((t) => t.type === 9 && t.body[1] === 1);
}

/** Whether a video tag body is a key frame (frame type 1). */
function isKey(tag: FlvTag): boolean {
  return tag.type === 9 && (tag.body[0]! >> 4 & 0x07) === 1;
}

async function sessions(httpUrl: string): Promise<SessionInfo[]> {
  return (await (await fetch(`${httpUrl}/api/sessions`)).json()).sessions;
}

function players(list: SessionInfo[]): SessionInfo[] {
  return list.filter((s) => s.role === "player");
}

async function httpFlvConsumers(httpUrl: string): Promise<number> {
  const { streams } = await (await fetch(`${httpUrl}/api/streams`)).json();
  return streams[0]?.consumers["http-flv-player"] ?? -1;
}

/**
 * Publishes `seconds` of 640x360 H.264 at 30 fps in real time, with noise so that the stream is
 * heavy (several Mbit/s) and a client that does not read falls behind within seconds.
 */
function publishNoisy(url: string, seconds: number): Promise<{ code: number; stderr: string }> {
  return run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
    ...[
      "-i",
      `testsrc=size=640x360:rate=${FPS}`,
      "-t",
      String(seconds),
      "-vf",
      "noise=alls=60:allf=t",
    ],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"],
    ...["-f", "flv", url],
  ]);
}

/** Waits until `url` is live (HEAD answers 200). */
async function live(url: string): Promise<void> {
  await until(async () => (await fetch(url, { method: "HEAD" })).status === 200, 15_000);
}

/** A raw TCP client that sends the GET and never reads a byte. */
async function nonReader(port: number, path: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
  return conn;
}

Deno.test({
  name: "HTTP-FLV players get every frame from their key frame on, byte-exact with the recording",
  ignore: noFfmpeg,
  async fn() {
    const SECONDS = 8;
    await using t = await testServer({
      config: { playerQueueBytes: 4 * 1024 * 1024, playerMaxLagMs: 1_500 },
    });
    const url = `${t.flvUrl}/live/x.flv`;
    const publishing = publishNoisy(`${t.rtmpUrl}/live/x`, SECONDS);
    await live(url);
    await new Promise((r) => setTimeout(r, 2_000));
    const out = await Deno.makeTempFile({ suffix: ".flv" });
    const ffplayer = run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-y", "-i", url, "-c", "copy", "-f", "flv", out],
    ]);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "video/x-flv");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("content-length"), null);
    const rawBytes = res.bytes();
    const stuck = await nonReader(t.server.httpFlvPort, "/live/x.flv");
    try {
      const pub = await publishing;
      assert.equal(pub.code, 0, pub.stderr);
      const ended = Date.now();
      const [ff, raw] = await Promise.all([ffplayer, rawBytes]);
      assert.equal(ff.code, 0, ff.stderr);
      assert.ok(Date.now() - ended < 5_000, "the responses end when the publisher ends");

      await recordings(t.recordDir);
      await until(async () =>
        (await sessions(t.httpUrl)).find((s) => s.role === "publisher")?.recording?.state ===
          "done"
      );
      const list = await sessions(t.httpUrl);
      const publisher = list.find((s) => s.role === "publisher");
      await assertGood(publisher, SECONDS); // the stuck player did not slow the publisher

      const rec = decodeFlvTags(await Deno.readFile(publisher!.recording!.path!)).tags;
      const got = decodeFlvTags(raw);
      assert.deepEqual(got.header, { audio: false, video: true });
      assert.equal(got.tags[0]?.type, 18, "onMetaData first");
      const sent = frames(got.tags);
      assert.ok(isKey(sent.find((f) => f.type === 9)!), "the first video frame is a key frame");
      const recFrames = frames(rec);
      const at = recFrames.findIndex((f) => isKey(f) && equalBytes(f.body, sent[0]!.body));
      assert.ok(at >= 0, "the player's first frame is in the recording");
      const expected = recFrames.slice(at);
      assert.equal(sent.length, expected.length, "every frame since the player joined");
      assert.ok(sent.length >= (SECONDS - 3) * FPS, `${sent.length} frames`);
      for (let i = 0; i < sent.length; i++) {
        const [a, b] = [sent[i]!, expected[i]!];
        assert.equal(a.type, b.type, `tag ${i}`);
        assert.equal(a.timestamp - sent[0]!.timestamp, b.timestamp - expected[0]!.timestamp);
        assert.ok(equalBytes(a.body, b.body), `tag ${i} body`);
      }
      assert.equal(sent[0]!.timestamp, 0, "timestamps rebased to 0");

      const flv = players(list);
      const ffTags = frames(decodeFlvTags(await Deno.readFile(out)).tags);
      const ffAt = recFrames.findIndex((f) => isKey(f) && equalBytes(f.body, ffTags[0]!.body));
      assert.ok(ffAt >= at, "FFmpeg's first frame is in the recording");
      const ffExpected = recFrames.length - ffAt;
      assert.deepEqual(await countFrames(out), { video: ffExpected, audio: 0 }, "FFmpeg player");
      assert.ok(ffExpected >= (SECONDS - 4) * FPS, `FFmpeg player: ${ffExpected} frames`);

      assert.equal(flv.length, 3);
      for (const p of flv) {
        assert.equal(p.protocol, "http-flv");
        assert.match(p.remoteAddr, /^127\.0\.0\.1:\d+$/, "the client's own address");
      }
      const slow = flv.filter((p) => p.player!.framesSkipped > 0);
      assert.equal(slow.length, 1, "only the stuck player skipped");
      assert.ok(slow[0]!.player!.skipEpisodes >= 1);
      assert.match(slow[0]!.closeReason ?? "", /^Player too slow: behind for over 1500 ms/);
      for (const p of flv.filter((p) => p !== slow[0])) {
        assert.match(p.closeReason ?? "", /^Publisher ended/);
        assert.ok(p.player!.framesSent >= sent.length - 30, `${p.player!.framesSent} frames sent`);
      }
    } finally {
      stuck.close();
      await Deno.remove(out);
    }
  },
});

Deno.test({
  name: "HTTP-FLV cleans up a client that leaves, frees its slot, obeys DELETE and 404s once ended",
  ignore: noFfmpeg || noCurl,
  async fn() {
    await using t = await testServer({ config: { maxPlayersPerStream: 1 } });
    const url = `${t.flvUrl}/live/y.flv`;
    const notLive = await run("curl", ["-s", "-i", url]);
    assert.match(notLive.stdout, /^HTTP\/1\.1 404/);
    assert.match(notLive.stdout, /access-control-allow-origin: \*/i);
    assert.match(notLive.stdout, /\{"error":"Stream live\/y is not live"\}/);
    const publishing = publish(`${t.rtmpUrl}/live/y`, 5);
    await live(url);

    // curl plays for a second and leaves.
    const curl = await run("curl", ["-s", "-o", "/dev/null", "--max-time", "1", url]);
    assert.equal(curl.code, 28, "curl timed out as asked");
    await until(async () => players(await sessions(t.httpUrl))[0]?.state === "closed");
    const [left] = players(await sessions(t.httpUrl));
    assert.equal(left?.closeReason, "Client closed the connection");
    assert.ok(left!.player!.bytesOut > 0);
    assert.equal(await httpFlvConsumers(t.httpUrl), 0);

    // The slot is free again (one player per stream); a second one is refused with 503.
    const res = await fetch(url);
    assert.equal(res.status, 200);
    const refused = await fetch(url);
    assert.equal(refused.status, 503);
    assert.match((await refused.json()).error, /^Limit max-players-per-stream/);
    assert.equal(await httpFlvConsumers(t.httpUrl), 1);
    const id = players(await sessions(t.httpUrl)).find((s) => s.state !== "closed")!.id;
    const del = await fetch(`${t.httpUrl}/api/sessions/${id}`, { method: "DELETE" });
    assert.equal(del.status, 200);
    await del.body?.cancel();
    await res.bytes(); // the response ends
    const dropped = players(await sessions(t.httpUrl)).find((s) => s.id === id);
    assert.equal(dropped?.closeReason, "Dropped by API request");
    assert.equal(await httpFlvConsumers(t.httpUrl), 0);

    assert.equal((await publishing).code, 0);
    await until(async () => (await fetch(url, { method: "HEAD" })).status === 404);
  },
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
