import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import {
  decodeAcknowledgement,
  encodeU32Message,
  encodeUserControl,
} from "../../src/rtmp/messages.ts";
import { recordings, testServer, until } from "./harness.ts";

/** A tiny AVC sequence header + keyframe pair is enough for the recorder; bodies are opaque. */
function videoBody(key: boolean, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = key ? 0x17 : 0x27; // frame type, codec 7 (AVC)
  b[1] = 1; // AVC NALU
  return b;
}

Deno.test("an unknown command gets _error and the session keeps publishing", async () => {
  await using s = await testServer();
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/unknown`);
  await pub.sendCommand({ name: "noSuchCall", transactionId: 9, commandObject: null, args: [] }, 0);
  const reply = await pub.expect((c) => c.transactionId === 9, "noSuchCall reply");
  assert.equal(reply.name, "_error");
  await pub.sendCommand(
    { name: "noSuchCall", transactionId: 10, commandObject: null, args: [] },
    0,
  );
  await pub.expect((c) => c.transactionId === 10, "second noSuchCall reply");
  assert.equal(s.server.registry.view().list()[0]!.unknownCommands, 2);
  for (let i = 0; i < 10; i++) await pub.sendMedia(9, i * 33, videoBody(i === 0, 500));
  await until(() => s.server.registry.view().list()[0]!.video.frames === 10);
  await pub.close();
  await until(() => s.server.registry.view().list()[0]!.state === "closed");
  assert.equal((await recordings(s.recordDir)).length, 1);
});

Deno.test("the server acknowledges at the window the client set", async () => {
  // Reads one by one (merged reads off): acks come at most once per read.
  await using s = await testServer({ config: { readMergeMs: 0 } });
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/acks`);
  await pub.send({ type: 5, csid: 2, streamId: 0, timestamp: 0, body: encodeU32Message(20_000) });
  for (let i = 0; i < 20; i++) {
    await pub.sendMedia(9, i * 33, videoBody(i === 0, 5_000));
    await new Promise((r) => setTimeout(r, 10)); // separate reads: acks come at most once per read
  }
  await until(() => pub.received().filter((m) => m.rec.type === 3).length >= 4);
  const acks = pub.received().filter((m) => m.rec.type === 3).map((m) =>
    decodeAcknowledgement(m.body)
  );
  for (let i = 1; i < acks.length; i++) assert.ok(acks[i]! - acks[i - 1]! >= 20_000, `${acks}`);
  await pub.close();
});

Deno.test("a ping request gets a ping response with the same timestamp", async () => {
  await using s = await testServer();
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/ping`);
  await pub.send({
    type: 4,
    csid: 2,
    streamId: 0,
    timestamp: 0,
    body: encodeUserControl({ event: 6, value: 4242 }),
  });
  await until(() =>
    pub.received().some((m) =>
      m.rec.type === 4 && m.body[1] === 7 && new DataView(m.body.buffer).getUint32(2) === 4242
    )
  );
  await pub.close();
});

Deno.test("DELETE /api/sessions/:id drops that client and keeps the recording", async () => {
  await using s = await testServer();
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/dropme`);
  const other = await RtmpPublisher.connect(`${s.rtmpUrl}/live/stays`);
  for (let i = 0; i < 5; i++) await pub.sendMedia(9, i * 33, videoBody(i === 0, 100));
  await until(() =>
    s.server.registry.view().list().some((x) => x.streamName === "dropme" && x.video.frames === 5)
  );
  const id = s.server.registry.view().list().find((x) => x.streamName === "dropme")!.id;
  const live = await (await fetch(`${s.httpUrl}/api/sessions/${id}`)).json();
  assert.equal(live.state, "publishing");
  assert.ok(live.bitrateKbps > 0);
  const res = await fetch(`${s.httpUrl}/api/sessions/${id}`, { method: "DELETE" });
  assert.equal(res.status, 200);
  await res.body?.cancel();
  await until(() => pub.closed);
  const gone = await (await fetch(`${s.httpUrl}/api/sessions/${id}`)).json();
  assert.equal(gone.state, "closed");
  assert.equal(gone.closeReason, "Dropped by API request");
  assert.equal(
    s.server.registry.view().list().find((x) => x.streamName === "stays")!.state,
    "publishing",
  );
  await pub.close(true);
  await other.close();
  const notFound = await fetch(`${s.httpUrl}/api/sessions/nope`);
  assert.equal(notFound.status, 404);
  assert.ok((await notFound.json()).error);
});

Deno.test("a connection over max-connections is closed at once; the others go on", async () => {
  await using s = await testServer({ config: { maxConnections: 2 } });
  const a = await RtmpPublisher.connect(`${s.rtmpUrl}/live/one`);
  const b = await RtmpPublisher.connect(`${s.rtmpUrl}/live/two`);
  const c = await Deno.connect({ hostname: "127.0.0.1", port: s.server.rtmpPort });
  assert.equal(await c.read(new Uint8Array(16)), null);
  c.close();
  await a.sendMedia(9, 0, videoBody(true, 10));
  await until(() =>
    s.server.registry.view().list().every((x) => x.video.frames === 0 || x.streamName === "one")
  );
  await a.close();
  await b.close();
});

Deno.test("a stream name is free again as soon as its publisher is dropped", async () => {
  await using s = await testServer();
  const first = await RtmpPublisher.connect(`${s.rtmpUrl}/live/kick`);
  const id = s.server.registry.view().list()[0]!.id;
  const res = await fetch(`${s.httpUrl}/api/sessions/${id}`, { method: "DELETE" });
  await res.body?.cancel();
  const second = await RtmpPublisher.connect(`${s.rtmpUrl}/live/kick`);
  await until(() => first.closed);
  await second.close();
  await first.close(true);
});

Deno.test("a publish of a live name takes it over once its publisher has been silent long enough", async () => {
  await using s = await testServer({ config: { takeoverAfterMs: 400 } });
  const view = s.server.registry.view();
  const first = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`);
  for (let i = 0; i < 3; i++) await first.sendMedia(9, i * 33, videoBody(i === 0, 500));
  await until(() => view.list()[0]!.video.frames === 3);
  // While the first sends, a second publisher of the name is refused.
  await assert.rejects(RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`), /BadName/);
  await new Promise((r) => setTimeout(r, 600)); // the first goes silent (a dropped network)
  const second = await RtmpPublisher.connect(`${s.rtmpUrl}/live/cam`);
  for (let i = 0; i < 5; i++) await second.sendMedia(9, i * 33, videoBody(i === 0, 500));
  const old = view.list().find((x) => x.video.frames === 3)!;
  await until(() => view.get(old.id)?.state === "closed");
  assert.match(
    view.get(old.id)!.closeReason ?? "",
    /^Taken over by session \w+: no data for \d+ ms$/,
  );
  await until(() => view.list().some((x) => x.state === "publishing" && x.video.frames === 5));
  await second.close();
  await first.close(true).catch(() => {});
  await until(() => view.list().every((x) => x.state === "closed"));
  assert.equal((await recordings(s.recordDir)).length, 2, "both publishes were recorded");
});
