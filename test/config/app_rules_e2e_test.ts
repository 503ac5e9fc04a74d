/**
 * Per-app rules end to end: an in-process server with `[apps.*]` rules, publishers of our own
 * RTMP client, players over RTMP and HTTP-FLV.
 * @module
 */

import assert from "node:assert/strict";
import { signName } from "../../src/auth/hmac.ts";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { hookServer } from "../hooks/hook_server.ts";
import { RawClient } from "../hostile/raw_client.ts";
import { recordings, testServer, until } from "../interop/harness.ts";

/** An opaque AVC frame: enough for the recorder and the hub. */
function videoBody(key: boolean, size = 500): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = key ? 0x17 : 0x27;
  b[1] = 1;
  return b;
}

/** Publishes `frames` frames to `url` and leaves the publisher open. */
async function publishFrames(url: string, frames = 5): Promise<RtmpPublisher> {
  const pub = await RtmpPublisher.connect(url);
  for (let i = 0; i < frames; i++) await pub.sendMedia(9, i * 33, videoBody(i === 0));
  return pub;
}

function named(list: SessionInfo[], app: string, name: string): SessionInfo | undefined {
  return list.find((s) => s.app === app && s.streamName === name);
}

Deno.test("an app with record off makes no file; an app with its own record_dir records there", async () => {
  const own = await Deno.makeTempDir({ prefix: "rtmp-edge-own-" });
  try {
    await using s = await testServer({
      config: { apps: { norec: { record: false }, own: { recordDir: own } } },
    });
    const view = s.server.registry.view();
    const pubs = await Promise.all([
      publishFrames(`${s.rtmpUrl}/live/a`),
      publishFrames(`${s.rtmpUrl}/norec/b`),
      publishFrames(`${s.rtmpUrl}/own/c`),
    ]);
    await until(() => view.list().filter((x) => x.video.frames === 5).length === 3);
    assert.equal(named(view.list(), "norec", "b")?.recording, null);
    await Promise.all(pubs.map((p) => p.close()));
    await until(() => view.list().every((x) => x.state === "closed"));
    const main = await recordings(s.recordDir);
    assert.equal(main.length, 1, `only live/a in the server's dir: ${main}`);
    assert.match(main[0]!, /\/live\/a-[^/]+\.flv$/);
    const elsewhere = await recordings(own);
    assert.equal(elsewhere.length, 1, `own/c in its own dir: ${elsewhere}`);
    assert.match(elsewhere[0]!, /\/own\/c-[^/]+\.flv$/);
  } finally {
    await Deno.remove(own, { recursive: true });
  }
});

Deno.test("an app with hmac refuses unsigned publishes; a webhook app asks its own URL; others stay open", async () => {
  const secret = "app-secret-e2e";
  // The webhook lets in only the stream key "good".
  await using hook = hookServer((call) =>
    new Response(null, { status: call.body.key === "key=good" ? 200 : 403 })
  );
  await using s = await testServer({
    config: {
      apps: {
        secure: { publishAuth: "hmac", hmacSecret: secret },
        hooked: { publishAuth: "webhook", onPublish: `${hook.url}/hooked` },
      },
    },
  });
  const view = s.server.registry.view();
  await assert.rejects(RtmpPublisher.connect(`${s.rtmpUrl}/secure/cam`), /BadName/);
  await assert.rejects(RtmpPublisher.connect(`${s.rtmpUrl}/hooked/cam?key=bad`), /BadName/);
  const exp = Math.floor(Date.now() / 1000) + 600;
  const forged = signName("guess", { app: "secure", name: "forged", exp });
  await assert.rejects(RtmpPublisher.connect(`${s.rtmpUrl}/secure/${forged}`), /BadName/);
  const good = await RtmpPublisher.connect(
    `${s.rtmpUrl}/secure/${signName(secret, { app: "secure", name: "cam", exp })}`,
  );
  const hooked = await RtmpPublisher.connect(`${s.rtmpUrl}/hooked/cam?key=good`);
  const open = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`);
  await until(() => view.list().filter((x) => x.state === "publishing").length === 3);
  await until(() => view.list().filter((x) => x.state === "closed").length === 3);
  const reasons = view.list().filter((x) => x.state === "closed").map((x) => x.closeReason).sort();
  assert.equal(reasons.length, 3);
  assert.equal(reasons[0], "Publish refused: Bad signature");
  assert.equal(reasons[1], "Publish refused: Missing signature (exp and sig)");
  assert.match(reasons[2] ?? "", /^Publish refused: .*403/);
  assert.deepEqual(hook.calls.map((c) => [c.path, c.body.app, c.body.name]), [
    ["/hooked", "hooked", "cam"],
    ["/hooked", "hooked", "cam"],
  ], "only the webhook app asks, at its own URL");
  await Promise.all([good.close(), hooked.close(), open.close()]);
});

Deno.test("an app with takeover=reject refuses even a silent holder; the default takes over", async () => {
  await using s = await testServer({
    config: { takeoverAfterMs: 300, apps: { strict: { takeover: "reject" } } },
  });
  const view = s.server.registry.view();
  const strict = await publishFrames(`${s.rtmpUrl}/strict/cam`, 3);
  const loose = await publishFrames(`${s.rtmpUrl}/live/cam`, 3);
  await until(() => view.list().filter((x) => x.video.frames === 3).length === 2);
  await new Promise((r) => setTimeout(r, 700)); // both holders go silent past the takeover time
  await assert.rejects(RtmpPublisher.connect(`${s.rtmpUrl}/strict/cam`), /BadName/);
  const taker = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`);
  const holder = named(view.list().filter((x) => x.video.frames === 3), "strict", "cam")!;
  await until(() => view.list().some((x) => x.closeReason?.startsWith("Taken over") === true));
  assert.equal(view.get(holder.id)?.state, "publishing", "the silent strict holder stays");
  assert.ok(
    view.list().some((x) => x.closeReason === "Publish refused: strict/cam is already publishing"),
  );
  await Promise.all([strict.close(), taker.close(), loose.close(true).catch(() => {})]);
});

Deno.test("an app with play off refuses RTMP players and HTTP-FLV answers 403", async () => {
  await using s = await testServer({ config: { apps: { private: { play: false } } } });
  const pub = await publishFrames(`${s.rtmpUrl}/private/cam`);
  const open = await publishFrames(`${s.rtmpUrl}/live/cam`);
  const refused = await fetch(`${s.flvUrl}/private/cam.flv`);
  assert.equal(refused.status, 403);
  assert.deepEqual(await refused.json(), { error: "Playing is not allowed in app private" });
  const notLive = await fetch(`${s.flvUrl}/private/nobody.flv`);
  assert.equal(notLive.status, 403, "refused before the live check: liveness is not told");
  await notLive.body?.cancel();
  const allowed = await fetch(`${s.flvUrl}/live/cam.flv`);
  assert.equal(allowed.status, 200);
  await allowed.body?.cancel();
  const player = await RawClient.open(s.server.rtmpPort);
  try {
    await player.handshake();
    await player.connect("private");
    await player.createStream();
    assert.equal(await player.play("cam"), "NetStream.Play.Failed");
  } finally {
    await player.close();
  }
  await Promise.all([pub.close(), open.close()]);
});

Deno.test("an app's push list sends its publishes to its own origin app", async () => {
  await using origin = await testServer();
  await using edge = await testServer({
    config: {
      push: [`rtmp://127.0.0.1:${origin.server.rtmpPort}/live`],
      apps: { cams: { push: [`rtmp://127.0.0.1:${origin.server.rtmpPort}/ingest`] } },
    },
  });
  const atOrigin = origin.server.registry.view();
  const cam = await publishFrames(`${edge.rtmpUrl}/cams/one`);
  const live = await publishFrames(`${edge.rtmpUrl}/live/two`);
  const other = await publishFrames(`${edge.rtmpUrl}/other/three`);
  await until(() =>
    named(atOrigin.list(), "ingest", "one")?.state === "publishing" &&
    named(atOrigin.list(), "live", "two")?.state === "publishing"
  );
  assert.equal(named(atOrigin.list(), "other", "three"), undefined, "no target for app other");
  await Promise.all([cam.close(), live.close(), other.close()]);
});
