/**
 * Two edges in one process on a real Redis: one owner per name across edges, the takeover
 * of a silent holder, the cluster API on any edge, a drop through another edge, and Redis
 * going away and coming back.
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { type TestServer, testServer, until } from "../interop/harness.ts";
import { noRedis, startRedis } from "./redis.ts";

const TAKEOVER_MS = 800;

async function edge(id: string, url: string): Promise<TestServer> {
  return await testServer({
    parser: "js",
    config: { clusterRedis: url, edgeId: id, record: false, takeoverAfterMs: TAKEOVER_MS },
  });
}

interface Listed {
  key: string;
  edgeId: string;
  remoteAddr: string;
  sessionId: string;
}

async function clusterStreams(s: TestServer): Promise<Listed[]> {
  const res = await fetch(`${s.httpUrl}/api/cluster/streams`);
  const body = await res.json();
  return res.ok ? body.streams : [];
}

async function health(s: TestServer): Promise<{ state: string; reason: string | null }> {
  const res = await fetch(`${s.httpUrl}/healthz`);
  return (await res.json()).cluster;
}

/** Sends one small video frame (keeps the publisher from counting as silent). */
function tick(p: RtmpPublisher, ts: number): Promise<number> {
  return p.sendMedia(9, ts, new Uint8Array([0x17, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x65]));
}

Deno.test({
  name: "edges on one Redis share one owner per name, list and drop each other's streams",
  ignore: noRedis,
  async fn() {
    await using redis = await startRedis();
    await using a = await edge("edge-a", redis.url);
    await using b = await edge("edge-b", redis.url);
    await until(async () => (await health(a)).state === "ok" && (await health(b)).state === "ok");

    // Publish on a: b's API lists it with a's edge id and the publisher's address.
    const p1 = await RtmpPublisher.connect(`${a.rtmpUrl}/live/cam`);
    await tick(p1, 0);
    await until(async () => (await clusterStreams(b)).some((x) => x.key === "live/cam"));
    const [listed] = await clusterStreams(b);
    assert.equal(listed?.edgeId, "edge-a");
    assert.match(listed?.remoteAddr ?? "", /^127\.0\.0\.1:\d+$/);

    // The same name on b while a's publisher sends: refused by the cluster.
    let ts = 0;
    const feeding = setInterval(() => void tick(p1, ts += 40).catch(() => {}), 100);
    try {
      await assert.rejects(
        RtmpPublisher.connect(`${b.rtmpUrl}/live/cam`),
        /Publish refused: NetStream.Publish.BadName/,
      );
    } finally {
      clearInterval(feeding);
    }
    assert.equal(b.server.registry.view().list().some((x) => x.state === "publishing"), false);

    // a's publisher falls silent: after the takeover time b takes the name, a drops it.
    await new Promise((r) => setTimeout(r, TAKEOVER_MS + 1_500));
    const p2 = await RtmpPublisher.connect(`${b.rtmpUrl}/live/cam`);
    await tick(p2, 0);
    await until(async () => (await clusterStreams(a)).some((x) => x.edgeId === "edge-b"));
    await until(() => p1.closed, 5_000);
    const old = a.server.registry.view().list().find((x) => x.role === "publisher");
    assert.match(old?.closeReason ?? "", /Taken over by edge edge-b/);
    await p1.close();

    // DELETE through a drops the publisher on b.
    const del = await fetch(`${a.httpUrl}/api/cluster/streams/live/cam`, { method: "DELETE" });
    assert.deepEqual(await del.json(), { dropped: "live/cam", edgeId: "edge-b" });
    await until(() => p2.closed, 5_000);
    await p2.close();
    await until(async () => (await clusterStreams(a)).length === 0, 5_000);
    const none = await fetch(`${a.httpUrl}/api/cluster/streams/live/cam`, { method: "DELETE" });
    assert.equal(none.status, 404);
    await none.body?.cancel();
  },
});

Deno.test({
  name: "Redis away: publishing goes on, /healthz says degraded, ownership comes back",
  ignore: noRedis,
  async fn() {
    await using redis = await startRedis();
    await using a = await edge("edge-a", redis.url);
    await until(async () => (await health(a)).state === "ok");
    const p = await RtmpPublisher.connect(`${a.rtmpUrl}/live/r`);
    let ts = 0;
    const feeding = setInterval(() => void tick(p, ts += 40).catch(() => {}), 50);
    try {
      await until(async () => (await clusterStreams(a)).length === 1);
      await redis.stop();
      await until(async () => (await health(a)).state === "degraded", 5_000);
      assert.match((await health(a)).reason ?? "", /Redis unreachable/);
      const down = await fetch(`${a.httpUrl}/api/cluster/streams`);
      assert.equal(down.status, 503);
      await down.body?.cancel();
      // A new publish while degraded is allowed locally.
      const q = await RtmpPublisher.connect(`${a.rtmpUrl}/live/q`);
      const before = a.server.registry.view().list().find((x) => x.streamName === "r");
      await redis.start();
      await until(async () => (await health(a)).state === "ok", 10_000);
      await until(async () => (await clusterStreams(a)).length === 2, 5_000);
      const after = a.server.registry.view().list().find((x) => x.streamName === "r");
      assert.equal(after?.state, "publishing");
      assert.ok((after?.video.frames ?? 0) > (before?.video.frames ?? 0));
      await q.close();
    } finally {
      clearInterval(feeding);
      await p.close();
    }
  },
});

Deno.test({
  name: "an edge started while Redis is down publishes locally and registers once Redis comes",
  ignore: noRedis,
  async fn() {
    await using redis = await startRedis();
    await redis.stop();
    await using a = await edge("edge-a", redis.url);
    await until(async () => (await health(a)).state === "degraded", 5_000);
    const p = await RtmpPublisher.connect(`${a.rtmpUrl}/live/early`);
    try {
      await redis.start();
      await until(async () => (await health(a)).state === "ok", 10_000);
      await until(async () => (await clusterStreams(a)).some((x) => x.key === "live/early"), 5_000);
    } finally {
      await p.close();
    }
  },
});
