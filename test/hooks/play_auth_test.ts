import assert from "node:assert/strict";
import { signName } from "../../src/auth/hmac.ts";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { RawClient } from "../hostile/raw_client.ts";
import { type TestServer, testServer } from "../interop/harness.ts";
import { hookServer } from "./hook_server.ts";

async function player(s: TestServer): Promise<RawClient> {
  const c = await RawClient.open(s.server.rtmpPort);
  await c.handshake();
  await c.connect("live");
  await c.createStream();
  return c;
}

/** The HTTP-FLV status of `path`, reading a little of a 200 and cancelling it. */
async function flvStatus(s: TestServer, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${s.flvUrl}${path}`);
  if (res.status !== 200) return { status: res.status, body: await res.text() };
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  return { status: 200, body: "" };
}

Deno.test("--play-auth webhook gates RTMP and HTTP-FLV plays", async () => {
  await using hook = hookServer((call) =>
    new Response(null, { status: call.body.name === "ok" ? 200 : 403 })
  );
  await using s = await testServer({
    parser: "js",
    config: { playAuth: "webhook", onPlay: `${hook.url}/play`, edgeId: "edge-p" },
  });
  const pubs = [
    await RtmpPublisher.connect(`${s.rtmpUrl}/live/ok`),
    await RtmpPublisher.connect(`${s.rtmpUrl}/live/no`),
  ];
  try {
    assert.equal(hook.calls.length, 0, "publishes are not asked");
    assert.deepEqual(await flvStatus(s, "/live/ok.flv?token=t"), { status: 200, body: "" });
    const refused = await flvStatus(s, "/live/no.flv");
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), { error: "Play refused: Webhook answered 403" });
    const asked = hook.calls[0]!.body;
    assert.equal(asked.action, "play");
    assert.equal(asked.protocol, "http-flv");
    assert.equal(asked.key, "token=t");
    assert.equal(asked.sessionId, null);
    assert.equal(asked.edgeId, "edge-p");
    const good = await player(s);
    const bad = await player(s);
    try {
      assert.equal(await good.play("ok?token=r"), "NetStream.Play.Start");
      assert.equal(await bad.play("no"), "NetStream.Play.Failed");
      assert.ok(await bad.waitClosed(5_000), "a refused player is closed");
      const rtmpAsk = hook.calls.find((c) => c.body.protocol === "rtmp")!.body;
      assert.equal(rtmpAsk.key, "token=r");
      assert.equal(typeof rtmpAsk.sessionId, "string");
      assert.match(String(rtmpAsk.tcUrl), /^rtmp:\/\//);
    } finally {
      await good.close();
      await bad.close();
    }
  } finally {
    for (const p of pubs) await p.close();
  }
});

Deno.test("--play-auth hmac lets in play-signed names only", async () => {
  const secret = "play-secret";
  await using s = await testServer({
    parser: "js",
    config: { playAuth: "hmac", hmacSecret: secret },
  });
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`);
  try {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const playName = signName(secret, { app: "live", name: "cam", exp, scope: "play" });
    const publishName = signName(secret, { app: "live", name: "cam", exp });
    const query = playName.slice(playName.indexOf("?"));
    assert.equal((await flvStatus(s, `/live/cam.flv${query}`)).status, 200);
    const unsigned = await flvStatus(s, "/live/cam.flv");
    assert.equal(unsigned.status, 403);
    assert.match(unsigned.body, /Missing signature/);
    const c = await player(s);
    const d = await player(s);
    try {
      assert.equal(await c.play(playName), "NetStream.Play.Start");
      assert.equal(await d.play(publishName), "NetStream.Play.Failed");
    } finally {
      await c.close();
      await d.close();
    }
  } finally {
    await pub.close();
  }
});
