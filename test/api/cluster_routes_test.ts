import assert from "node:assert/strict";
import { createApp } from "../../src/api/app.ts";
import type { ClusterView } from "../../src/api/cluster_routes.ts";
import type { ClusterStreamView } from "../../src/cluster/cluster.ts";

const VIEW = { list: () => [], get: () => undefined, drop: () => false };
const CAM: ClusterStreamView = {
  key: "live/cam",
  edgeId: "e2",
  sessionId: "s1",
  app: "live",
  name: "cam",
  remoteAddr: "198.51.100.7:4000",
  videoCodec: "H264",
  audioCodec: "AAC",
  bitrateKbps: 900,
  since: "2026-01-01T00:00:00.000Z",
};

function fakeCluster(up: boolean, asked: string[] = []): ClusterView {
  const down = () => Promise.reject(new Error("Redis did not answer within 1000 ms"));
  return {
    health: () => ({ edgeId: "e1", state: up ? "ok" : "degraded", reason: up ? null : "down" }),
    list: () => up ? Promise.resolve([CAM]) : down(),
    drop(key, reason) {
      asked.push(`${key}: ${reason}`);
      if (!up) return down();
      return Promise.resolve(key === CAM.key ? CAM : null);
    },
  };
}

Deno.test("GET /api/cluster/streams lists every edge's streams", async () => {
  const app = createApp(VIEW, { cluster: fakeCluster(true) });
  const res = await app.request("/api/cluster/streams");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { edgeId: "e1", streams: [CAM] });
});

Deno.test("DELETE /api/cluster/streams/:app/:name asks the holder to drop, 404 when none", async () => {
  const asked: string[] = [];
  const app = createApp(VIEW, { cluster: fakeCluster(true, asked) });
  const res = await app.request("/api/cluster/streams/live/cam", { method: "DELETE" });
  assert.deepEqual(await res.json(), { dropped: "live/cam", edgeId: "e2" });
  assert.deepEqual(asked, ["live/cam: Dropped through the cluster API of edge e1"]);
  const none = await app.request("/api/cluster/streams/live/nope", { method: "DELETE" });
  assert.equal(none.status, 404);
  assert.deepEqual(await none.json(), { error: "No edge publishes live/nope" });
});

Deno.test("the cluster routes answer 503 while Redis is away, and /healthz says degraded", async () => {
  const app = createApp(VIEW, { cluster: fakeCluster(false), version: "0.1.0" });
  const list = await app.request("/api/cluster/streams");
  assert.equal(list.status, 503);
  assert.match((await list.json()).error, /^Cluster unavailable: Redis did not answer/);
  const del = await app.request("/api/cluster/streams/live/cam", { method: "DELETE" });
  assert.equal(del.status, 503);
  await del.body?.cancel();
  const health = await (await app.request("/healthz")).json();
  assert.deepEqual(health, {
    ok: true,
    version: "0.1.0",
    cluster: { edgeId: "e1", state: "degraded", reason: "down" },
  });
});

Deno.test("the cluster routes need the API token and have their methods", async () => {
  const app = createApp(VIEW, { cluster: fakeCluster(true), token: "t0ken" });
  const res = await app.request("/api/cluster/streams");
  assert.equal(res.status, 401);
  await res.body?.cancel();
  const auth = { authorization: "Bearer t0ken" };
  const post = await app.request("/api/cluster/streams", { method: "POST", headers: auth });
  assert.equal(post.status, 405);
  await post.body?.cancel();
  const get = await app.request("/api/cluster/streams/live/cam", { headers: auth });
  assert.equal(get.status, 405);
  await get.body?.cancel();
});

Deno.test("without a cluster there are no cluster routes and /healthz has no cluster", async () => {
  const app = createApp(VIEW);
  assert.equal((await app.request("/api/cluster/streams")).status, 404);
  assert.deepEqual(await (await app.request("/healthz")).json(), { ok: true });
});
