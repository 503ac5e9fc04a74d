import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { RawClient } from "../hostile/raw_client.ts";
import { testServer, until } from "../interop/harness.ts";
import { sendAudio } from "./audio.ts";
import { hookServer } from "./hook_server.ts";

Deno.test("--on-event gets play, play_done, publish_done and recording_done, retried after a 500", async () => {
  await using hook = hookServer((_call, n) => new Response(null, { status: n === 1 ? 500 : 204 }));
  await using s = await testServer({
    parser: "js",
    config: { onEvent: `${hook.url}/events`, edgeId: "edge-ev" },
  });
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/ev1?key=hidden`);
  await sendAudio(pub, 10);
  // An HTTP-FLV player: reads a little, then goes away.
  const res = await fetch(`${s.flvUrl}/live/ev1.flv`);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  await reader.cancel();
  // An RTMP player.
  const player = await RawClient.open(s.server.rtmpPort);
  await player.handshake();
  await player.connect("live");
  await player.createStream();
  assert.equal(await player.play("ev1"), "NetStream.Play.Start");
  await player.close();
  await until(() =>
    s.server.registry.view().list().filter((x) => x.state === "closed").length >= 2
  );
  await pub.close();
  const actions = () => hook.calls.map((c) => String(c.body.action));
  await until(() => actions().includes("recording_done"), 15_000);
  await until(() => actions().filter((a) => a === "play_done").length === 2, 15_000);
  const events = hook.calls.slice(1);
  assert.equal(hook.calls[0]!.body.action, events[0]!.body.action, "the first one was retried");
  assert.deepEqual(
    events.map((c) => `${c.body.action}:${c.body.protocol ?? "-"}`).sort(),
    [
      "play:http-flv",
      "play:rtmp",
      "play_done:http-flv",
      "play_done:rtmp",
      "publish_done:-",
      "recording_done:-",
    ],
  );
  for (const { body, path } of events) {
    assert.equal(path, "/events");
    assert.equal(body.app, "live");
    assert.equal(body.name, "ev1");
    assert.equal(body.edgeId, "edge-ev");
    assert.equal(body.clientIp, "127.0.0.1");
    assert.match(String(body.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(typeof body.sessionId, "string");
  }
  const find = (a: string) => events.find((c) => c.body.action === a)!.body;
  const done = find("publish_done");
  assert.equal(done.audioFrames, 10);
  assert.ok(Number(done.bytesIn) > 0);
  assert.ok(Number(done.durationMs) >= 0);
  const rec = find("recording_done");
  assert.equal(rec.state, "done");
  assert.match(String(rec.path), /ev1.*\.flv$/);
  assert.equal((await Deno.stat(String(rec.path))).size, rec.bytes);
  assert.equal(typeof rec.durationMs, "number");
  assert.ok(!JSON.stringify(hook.calls).includes("hidden"), "no query in any event");
});
