import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import type { Command } from "../../src/rtmp/commands.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { RawClient } from "../hostile/raw_client.ts";
import { recordings, type TestServer, testServer, until } from "../interop/harness.ts";
import { freePort } from "../relay/nginx.ts";
import { type Answer, hookServer, json } from "./hook_server.ts";
import { sendAudio } from "./audio.ts";

/** A server whose publishes are decided by the webhook at `url`. */
function webhookServer(url: string, extra: Record<string, unknown> = {}): Promise<TestServer> {
  return testServer({
    parser: "js",
    config: {
      publishAuth: "webhook",
      onPublish: `${url}/publish`,
      edgeId: "edge-test",
      webhookTimeoutMs: 2_000,
      ...extra,
    },
  });
}

function sessions(s: TestServer): SessionInfo[] {
  return s.server.registry.view().list();
}

function publishing(s: TestServer): SessionInfo[] {
  return sessions(s).filter((x) => x.state === "publishing");
}

/** The description of the last onStatus a raw client got. */
function lastStatus(c: RawClient): string {
  const infos = c.commands.filter((x: Command) => x.name === "onStatus").map((x) => x.args[0]);
  const last = infos.at(-1);
  return last instanceof Map ? String(last.get("description")) : "";
}

/** A raw client connected to `app` with a created stream. */
async function rawClient(s: TestServer): Promise<RawClient> {
  const c = await RawClient.open(s.server.rtmpPort);
  await c.handshake();
  await c.setChunkSize(4096);
  await c.connect("live");
  await c.createStream();
  return c;
}

Deno.test("webhook allows a publish and gets app, name, key, clientIp, tcUrl, sessionId, edgeId", async () => {
  await using hook = hookServer(() => new Response(null, { status: 204 }));
  await using s = await webhookServer(hook.url);
  const p = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam1?key=abc&x=1`);
  try {
    const live = publishing(s);
    assert.equal(live.length, 1);
    assert.deepEqual(hook.calls[0]!.body, {
      action: "publish",
      app: "live",
      name: "cam1",
      key: "key=abc&x=1",
      clientIp: "127.0.0.1",
      tcUrl: `${s.rtmpUrl}/live`,
      sessionId: live[0]!.id,
      edgeId: "edge-test",
    });
  } finally {
    await p.close();
  }
});

Deno.test("webhook 403: BadName onStatus with the reason, then the server closes", async () => {
  await using hook = hookServer(() => new Response("go away", { status: 403 }));
  await using s = await webhookServer(hook.url);
  const c = await rawClient(s);
  try {
    assert.equal(await c.publish("cam?key=nope"), "NetStream.Publish.BadName");
    assert.equal(lastStatus(c), "Webhook answered 403");
    assert.ok(await c.waitClosed(5_000), "the server closes the connection");
    await until(() => sessions(s).every((x) => x.state === "closed"));
    const info = sessions(s)[0]!;
    assert.equal(info.closeReason, "Publish refused: Webhook answered 403");
    assert.equal(info.publishStartedAt ?? null, null);
    assert.deepEqual(await recordings(s.recordDir), []);
  } finally {
    await c.close();
  }
});

Deno.test("webhook slow, 3xx, garbage or unreachable: refused with the reason", async () => {
  const answers: [string, Answer, string][] = [
    ["302", () => new Response(null, { status: 302, headers: { location: "/x" } }), "302"],
    ["garbage", () => new Response("<html>"), "not JSON"],
    ["slow", () => new Promise((r) => setTimeout(() => r(json({})), 1_500)), "within 300 ms"],
  ];
  for (const [what, answer, reason] of answers) {
    await using hook = hookServer(answer);
    await using s = await webhookServer(hook.url, { webhookTimeoutMs: 300 });
    const c = await rawClient(s);
    try {
      assert.equal(await c.publish("cam"), "NetStream.Publish.BadName", what);
      assert.ok(lastStatus(c).includes(reason), `${what}: ${lastStatus(c)}`);
      assert.ok(await c.waitClosed(5_000), `${what}: closed`);
    } finally {
      await c.close();
    }
  }
  await using s = await webhookServer(`http://127.0.0.1:${freePort()}`);
  const c = await rawClient(s);
  try {
    assert.equal(await c.publish("cam"), "NetStream.Publish.BadName");
    assert.match(lastStatus(c), /^Webhook unreachable: Connection refused/);
  } finally {
    await c.close();
  }
});

Deno.test("--webhook-fail-open publishes when the webhook is unreachable", async () => {
  await using s = await webhookServer(`http://127.0.0.1:${freePort()}`, { webhookFailOpen: true });
  const p = await RtmpPublisher.connect(`${s.rtmpUrl}/live/open1`);
  try {
    assert.equal(publishing(s)[0]?.streamName, "open1");
  } finally {
    await p.close();
  }
});

Deno.test("webhook renames the stream: the hub, the recording and the relay use the channel name", async () => {
  await using origin = await testServer({ parser: "js" });
  const push = `rtmp://127.0.0.1:${origin.server.rtmpPort}/live`;
  await using hook = hookServer((call) =>
    call.body.name === "sk-123" ? json({ name: "channel1", push: [push] }) : json({ record: false })
  );
  await using s = await webhookServer(hook.url);
  const renamed = await RtmpPublisher.connect(`${s.rtmpUrl}/live/sk-123`);
  const unrecorded = await RtmpPublisher.connect(`${s.rtmpUrl}/live/norec`);
  try {
    const byName = (n: string) => publishing(s).find((x) => x.streamName === n);
    assert.ok(byName("channel1"), "published as channel1");
    assert.equal(byName("sk-123"), undefined);
    assert.match(byName("channel1")!.recording?.path ?? "", /channel1/);
    assert.equal(byName("norec")!.recording ?? null, null, "record:false: not recorded");
    assert.equal(byName("channel1")!.relays.length, 1);
    assert.equal(byName("norec")!.relays.length, 0, "push is for that publish only");
    // The push target is a second rtmp-edge: the stream arrives there as live/channel1.
    await until(() => publishing(origin).some((x) => x.streamName === "channel1"));
    await sendAudio(renamed, 5);
    await until(() => (byName("channel1")?.audio.frames ?? 0) >= 5);
    // A second publish of the same key is refused: the channel is live.
    await assert.rejects(
      RtmpPublisher.connect(`${s.rtmpUrl}/live/sk-123`),
      /NetStream\.Publish\.BadName/,
    );
  } finally {
    await renamed.close();
    await unrecorded.close();
  }
  const files = await recordings(s.recordDir);
  assert.equal(files.length, 1, files.join(", "));
  assert.match(files[0]!, /channel1/);
  assert.ok(!JSON.stringify(sessions(s)).includes("sk-123"), "the key shows nowhere");
});

Deno.test("while the webhook thinks, the connection still answers; a second publish is refused", async () => {
  await using hook = hookServer(async () => {
    await hook.wait();
    return json({});
  });
  await using s = await webhookServer(hook.url);
  const c = await rawClient(s);
  try {
    await c.command({ name: "publish", transactionId: 0, commandObject: null, args: ["cam"] }, 1);
    await hook.until(1);
    // The connection keeps reading: createStream is answered while the publish waits.
    assert.equal(await c.createStream(5), 2);
    assert.equal(await c.publish("cam", 1), "NetStream.Publish.BadName");
    assert.match(lastStatus(c), /being authorized/);
    hook.release();
    assert.ok(await c.until(() => c.statusCodes().includes("NetStream.Publish.Start"), 5_000));
    assert.equal(publishing(s).length, 1);
    assert.equal(hook.calls.length, 1, "the refused publish never reached the hook");
  } finally {
    await c.close();
  }
});

Deno.test("a client gone while its webhook is pending leaves nothing claimed", async () => {
  await using hook = hookServer(async (_call, n) => {
    if (n === 1) await hook.wait();
    return json({});
  });
  await using s = await webhookServer(hook.url);
  const c = await rawClient(s);
  await c.command({ name: "publish", transactionId: 0, commandObject: null, args: ["cam"] }, 1);
  await hook.until(1);
  await c.close();
  await until(() => sessions(s).every((x) => x.state === "closed"));
  hook.release();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(publishing(s).length, 0);
  assert.deepEqual(await recordings(s.recordDir), []);
  // The name is free: the next publisher gets it.
  const p = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`);
  await p.close();
});

Deno.test("two publishers of one name racing through the webhook: one starts, one is refused", async () => {
  await using hook = hookServer(async (_call, n) => {
    if (n <= 2) await hook.wait();
    return json({});
  });
  await using s = await webhookServer(hook.url);
  const racing = [
    RtmpPublisher.connect(`${s.rtmpUrl}/live/race`),
    RtmpPublisher.connect(`${s.rtmpUrl}/live/race`),
  ];
  await hook.until(2);
  hook.release();
  const results = await Promise.allSettled(racing);
  const ok = results.filter((r) => r.status === "fulfilled");
  const refused = results.filter((r) => r.status === "rejected");
  assert.equal(ok.length, 1);
  assert.equal(refused.length, 1);
  assert.match(String((refused[0] as PromiseRejectedResult).reason), /BadName/);
  for (const r of ok) await (r as PromiseFulfilledResult<RtmpPublisher>).value.close();
});
