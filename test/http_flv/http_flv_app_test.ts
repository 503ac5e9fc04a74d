import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeClock } from "../../src/clock.ts";
import { createHttpFlvApp } from "../../src/http_flv/http_flv_app.ts";
import { decodeFlvTags } from "../../src/record/flv.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";
import { PlayerSlots } from "../../src/stream/player_slots.ts";

function key(timestamp: number): MediaMessage {
  return {
    kind: "video",
    timestamp,
    body: new Uint8Array([0x17, 1, 0, 0, 0, 9]),
    keyframe: true,
    config: false,
  };
}

function env(maxPlayersPerStream = 10) {
  const clock = new FakeClock();
  const hub = new StreamHub();
  const registry = new SessionRegistry({ clock });
  const slots = new PlayerSlots({ maxPlayers: 100, maxPlayersPerStream });
  const app = createHttpFlvApp({
    hub,
    registry,
    slots,
    clock,
    log: getLogger(["rtmp-edge-test"]),
    playerQueueBytes: 1024 * 1024,
    playerMaxLagMs: 1_000,
  });
  const live = () =>
    hub.claim({
      key: "live/x",
      app: "live",
      name: "x",
      publisherId: "pub",
      startedAt: new Date(0).toISOString(),
      codecs: { video: { codec: "h264" }, audio: { codec: null } },
    })!;
  return { app, hub, registry, slots, live };
}

Deno.test("GET of a stream that is not live answers 404 JSON at once", async () => {
  const { app, registry } = env();
  const res = await app.request("/live/x.flv");
  assert.equal(res.status, 404);
  assert.equal(res.headers.get("Access-Control-Allow-Origin"), "*");
  assert.deepEqual(await res.json(), { error: "Stream live/x is not live" });
  assert.equal(registry.liveCount, 0);
});

Deno.test("paths of another shape answer 404 and names a publish refuses 400", async () => {
  const { app } = env();
  for (const path of ["/", "/live", "/live/x", "/live/x.mp4", "/a/live/x.flv", "/x.flv"]) {
    const res = await app.request(path);
    assert.equal(res.status, 404, path);
    assert.match((await res.json()).error, /^No stream at /);
  }
  for (const path of ["/live/..%2fx.flv", "/live/a%2fb.flv", "/li%20ve/x.flv", "/live/.flv"]) {
    const res = await app.request(path);
    assert.equal(res.status, 400, path);
    assert.match((await res.json()).error, /^Invalid app or stream name/);
  }
});

Deno.test("other methods answer 405 JSON with Allow", async () => {
  const { app } = env();
  const res = await app.request("/live/x.flv", { method: "POST" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("Allow"), "GET, HEAD, OPTIONS");
  assert.match((await res.json()).error, /^Method POST not allowed/);
});

Deno.test("OPTIONS answers the CORS preflight", async () => {
  const { app } = env();
  const res = await app.request("/live/x.flv", {
    method: "OPTIONS",
    headers: { "Access-Control-Request-Headers": "range" },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("Access-Control-Allow-Origin"), "*");
  assert.equal(res.headers.get("Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");
  assert.equal(res.headers.get("Access-Control-Allow-Headers"), "range");
});

Deno.test("HEAD of a live stream answers the stream headers and starts no player", async () => {
  const { app, live, registry } = env();
  const stream = live();
  const res = await app.request("/live/x.flv", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Content-Type"), "video/x-flv");
  assert.equal(res.body, null);
  assert.equal(registry.liveCount, 0);
  assert.equal(stream.count("http-flv-player"), 0);
});

Deno.test("GET plays a live stream as a player session until the client goes away", async () => {
  const { app, live, registry, slots } = env();
  const stream = live();
  stream.publish(key(5_000));
  const res = await app.request("/live/x.flv");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Content-Type"), "video/x-flv");
  assert.equal(res.headers.get("Cache-Control"), "no-cache");
  assert.equal(res.headers.get("Access-Control-Allow-Origin"), "*");
  assert.equal(res.headers.get("Content-Length"), null);
  const [session] = registry.view().list();
  assert.equal(session?.protocol, "http-flv");
  assert.equal(session?.role, "player");
  assert.equal(session?.parser, null);
  assert.equal(session?.player?.key, "live/x");
  assert.equal(stream.count("http-flv-player"), 1);
  assert.equal(slots.total, 1);
  const reader = res.body!.getReader();
  const first = await reader.read();
  const second = await reader.read();
  const bytes = new Uint8Array([...first.value!, ...second.value!]);
  const { header, tags } = decodeFlvTags(bytes);
  assert.deepEqual(header, { audio: false, video: true });
  assert.deepEqual(tags.map((t) => t.timestamp), [0]);
  await reader.cancel();
  const closed = registry.view().get(session!.id);
  assert.equal(closed?.closeReason, "Client closed the connection");
  assert.equal(stream.count("http-flv-player"), 0);
  assert.equal(slots.total, 0);
});

Deno.test("the response ends when the publisher ends", async () => {
  const { app, live, hub, registry, slots } = env();
  const stream = live();
  stream.publish(key(0));
  const res = await app.request("/live/x.flv");
  stream.publish(key(40));
  hub.release(stream, "Publisher ended (test)");
  const { tags } = decodeFlvTags(await res.bytes());
  assert.deepEqual(tags.map((t) => t.timestamp), [0, 40]);
  assert.equal(registry.view().list()[0]?.closeReason, "Publisher ended (test)");
  assert.equal(slots.total, 0);
});

Deno.test("dropping the session through the registry ends the response", async () => {
  const { app, live, registry, slots } = env();
  const stream = live();
  const res = await app.request("/live/x.flv");
  const id = registry.view().list()[0]!.id;
  assert.ok(registry.view().drop(id));
  await res.bytes(); // ends
  assert.equal(registry.view().get(id)?.closeReason, "Dropped by API request");
  assert.equal(stream.count("http-flv-player"), 0);
  assert.equal(slots.total, 0);
});

Deno.test("GET past the player limit answers 503 JSON with the limit", async () => {
  const { app, live } = env(1);
  live();
  const one = await app.request("/live/x.flv");
  const two = await app.request("/live/x.flv");
  assert.equal(two.status, 503);
  assert.match((await two.json()).error, /^Limit max-players-per-stream: live\/x has 1 players/);
  await one.body!.cancel();
});
