/**
 * Relays to nginx-rtmp as the origin, with real FFmpeg publishing to the edge: every frame
 * arrives, an origin restart is ridden out, a refusing target disturbs nothing.
 * @module
 */

import assert from "node:assert/strict";
import type { RelayInfo, SessionInfo } from "../../src/session/session_info.ts";
import { FPS, noFfmpeg, publish } from "../faults/fault_env.ts";
import { countFrames, recordings, type TestServer, testServer, until } from "../interop/harness.ts";
import { freePort, noNginx, originRecordings, startNginx, videoTags } from "./nginx.ts";

const ignore = noFfmpeg || noNginx;

function publisher(s: TestServer, name: string): SessionInfo | undefined {
  return s.server.registry.view().list().find((x) =>
    x.streamName === name && x.role === "publisher"
  );
}

function relays(s: TestServer, name: string): RelayInfo[] {
  return publisher(s, name)?.relays ?? [];
}

async function edgeFrames(s: TestServer, name: string): Promise<number> {
  const files = (await recordings(s.recordDir)).filter((f) => f.includes(name));
  assert.equal(files.length, 1, `one edge recording of ${name}: ${files}`);
  return (await countFrames(files[0]!)).video;
}

Deno.test({
  name: "a relay to nginx-rtmp delivers every frame the edge recorded",
  ignore,
  async fn() {
    await using origin = await startNginx();
    await using s = await testServer({ config: { push: [origin.url] } });
    const seconds = 4;
    const r = await publish(`${s.rtmpUrl}/live/all`, seconds);
    assert.equal(r.code, 0, r.stderr);
    await until(() => relays(s, "all")[0]?.state === "stopped", 10_000);
    const info = relays(s, "all")[0]!;
    assert.equal(info.target, `rtmp://127.0.0.1:${origin.port}/live/all`);
    assert.equal(info.reconnects, 0);
    assert.ok(info.bytesOut > 10_000, `${info.bytesOut} bytes out`);
    const files = await originRecordings(origin.recordDir, "all");
    assert.equal(files.length, 1, (await origin.errorLog()).slice(-2000));
    const atOrigin = await countFrames(files[0]!);
    const atEdge = await edgeFrames(s, "all");
    console.log(`frames: published ${seconds * FPS}, edge ${atEdge}, nginx ${atOrigin.video}`);
    assert.equal(atEdge, seconds * FPS);
    assert.equal(atOrigin.video, atEdge);
    assert.match(await origin.errorLog(), /FCUnpublish|deleteStream/);
  },
});

Deno.test({
  name:
    "a relay rides out an origin killed and restarted mid-stream, starting again on a key frame",
  ignore,
  async fn() {
    await using origin = await startNginx();
    await using s = await testServer({ config: { push: [origin.url] } });
    const seconds = 12;
    const t0 = Date.now();
    const publishing = publish(`${s.rtmpUrl}/live/restart`, seconds);
    await until(() => relays(s, "restart")[0]?.state === "live", 5_000);
    await new Promise((r) => setTimeout(r, 3_000 - (Date.now() - t0)));
    await origin.kill();
    const killedAt = Date.now() - t0;
    await until(() => relays(s, "restart")[0]?.state === "retrying", 5_000);
    await new Promise((r) => setTimeout(r, 5_000 - (Date.now() - t0)));
    await origin.restart();
    const backAt = Date.now() - t0;
    await until(() => relays(s, "restart")[0]?.state === "live", 10_000);
    const liveAt = Date.now() - t0;
    const info = { ...relays(s, "restart")[0]! };
    const r = await publishing;
    console.log(
      `timeline (ms from publish start): origin killed at ${killedAt}, back at ${backAt}, ` +
        `relay live again at ${liveAt} (${info.reconnects} retries, last error "${info.lastError}")`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      liveAt - backAt <= 4_000,
      `live again ${liveAt - backAt} ms after the origin came back`,
    );
    assert.ok(info.reconnects >= 1);
    await until(() => relays(s, "restart")[0]?.state === "stopped", 10_000);
    assert.equal(await edgeFrames(s, "restart"), seconds * FPS);
    const files = await originRecordings(origin.recordDir, "restart");
    assert.equal(files.length, 2, `${files}`);
    const tags = await videoTags(files[1]!);
    assert.ok(tags.length > 0);
    assert.ok(tags[0]!.keyframe, "the first video tag after the restart is a key frame");
    assert.ok(tags.find((t) => !t.config)!.keyframe, "the first coded frame is a key frame");
    const after = await countFrames(files[1]!);
    const before = await countFrames(files[0]!);
    console.log(
      `frames: edge ${
        seconds * FPS
      }, nginx before the kill ${before.video}, after the restart ${after.video}`,
    );
    // From the restart to the end: at least the seconds left after the relay came back.
    assert.ok(after.video >= Math.floor(((seconds * 1000 - liveAt) / 1000) * FPS) - FPS);
  },
});

Deno.test({
  name:
    "a refused target retries with growing delays while the publisher and a good target carry on",
  ignore,
  async fn() {
    await using origin = await startNginx();
    const dead = `rtmp://127.0.0.1:${freePort()}/live`;
    await using s = await testServer({ config: { push: [dead, origin.url] } });
    const seconds = 8;
    const r = await publish(`${s.rtmpUrl}/live/two`, seconds);
    assert.equal(r.code, 0, r.stderr);
    const [bad, good] = relays(s, "two").map((x) => ({ ...x }));
    assert.ok(bad !== undefined && good !== undefined);
    console.log(`refused target after ${seconds} s: ${JSON.stringify(bad)}`);
    assert.match(bad.lastError ?? "", /refused/i);
    // 1 + 2 + 4 s of backoff fit in 8 s; a fixed 1 s would have made about 7 tries.
    assert.ok(bad.reconnects >= 2 && bad.reconnects <= 4, `${bad.reconnects} retries`);
    assert.equal(good.reconnects, 0);
    await until(() => relays(s, "two").every((x) => x.state === "stopped"), 10_000);
    assert.equal(await edgeFrames(s, "two"), seconds * FPS);
    const files = await originRecordings(origin.recordDir, "two");
    assert.equal((await countFrames(files[0]!)).video, seconds * FPS);
  },
});

Deno.test({
  name: "a relay to a second rtmp-edge as the origin delivers every frame",
  ignore: noFfmpeg,
  async fn() {
    await using origin = await testServer();
    await using s = await testServer({ config: { push: [`${origin.rtmpUrl}/live`] } });
    const seconds = 4;
    const r = await publish(`${s.rtmpUrl}/live/chain`, seconds);
    assert.equal(r.code, 0, r.stderr);
    await until(() => relays(s, "chain")[0]?.state === "stopped", 10_000);
    const atOrigin = await edgeFrames(origin, "chain");
    const atEdge = await edgeFrames(s, "chain");
    console.log(`frames: edge ${atEdge}, origin edge ${atOrigin}`);
    assert.equal(atEdge, seconds * FPS);
    assert.equal(atOrigin, atEdge);
    const upstream = publisher(origin, "chain");
    assert.match(upstream?.encoder ?? "", /rtmp-edge/);
  },
});
