import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import {
  DROP_REASON,
  randomSessionId,
  type SessionInit,
  SessionRegistry,
} from "../../src/session/registry.ts";

const START = Date.UTC(2024, 0, 1, 12, 0, 0);

function counterIds(): () => string {
  let n = 0;
  return () => `s${++n}`;
}

function setup(opts: { keepClosed?: number } = {}) {
  const clock = new FakeClock(START);
  const registry = new SessionRegistry({ clock, newId: counterIds(), ...opts });
  return { clock, registry, view: registry.view() };
}

function init(drops: string[] = []): SessionInit {
  return { remoteAddr: "127.0.0.1:50000", parser: "wasm", drop: (r) => drops.push(r) };
}

Deno.test("open() registers a session in state handshake with empty facts", () => {
  const { registry, view } = setup();
  const h = registry.open({ remoteAddr: "10.0.0.1:4242", parser: "js", drop: () => {} });
  assert.equal(h.id, "s1");
  assert.equal(registry.liveCount, 1);
  assert.deepEqual(view.get("s1"), {
    id: "s1",
    state: "handshake",
    remoteAddr: "10.0.0.1:4242",
    app: null,
    streamName: null,
    tcUrl: null,
    encoder: null,
    protocol: "rtmp",
    parser: "js",
    tls: false,
    tlsVersion: null,
    role: null,
    startedAt: "2024-01-01T12:00:00.000Z",
    publishStartedAt: null,
    closedAt: null,
    closeReason: null,
    bytesIn: 0,
    bitrateKbps: 0,
    video: { codec: null, width: null, height: null, fps: null, frames: 0, keyframes: 0 },
    audio: { codec: null, sampleRate: null, channels: null, frames: 0 },
    recording: null,
    dataMessages: 0,
    unknownCommands: 0,
    player: null,
    relays: [],
    players: 0,
    health: null,
  });
});

Deno.test("randomSessionId() gives 12 hex characters, different each time", () => {
  const ids = new Set<string>();
  for (let i = 0; i < 100; i++) {
    const id = randomSessionId();
    assert.match(id, /^[0-9a-f]{12}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 100);
  const registry = new SessionRegistry({ clock: new FakeClock() });
  assert.match(registry.open(init()).id, /^[0-9a-f]{12}$/);
});

Deno.test("open() retries an id already in use and gives up after a few", () => {
  const clock = new FakeClock();
  const ids = ["a", "a", "a", "b"];
  const registry = new SessionRegistry({ clock, newId: () => ids.shift() ?? "a" });
  assert.equal(registry.open(init()).id, "a");
  assert.equal(registry.open(init()).id, "b");
  assert.throws(() => registry.open(init()), /8 ids in use/);
});

Deno.test("update() sets the given fields on the live object", () => {
  const { clock, registry } = setup();
  const h = registry.open(init());
  h.update({ state: "connected", app: "live", tcUrl: "rtmp://h/live", encoder: "FMLE/3.0" });
  clock.advance(1_500);
  h.update({
    state: "publishing",
    streamName: "cam1",
    publishStartedAt: new Date(clock.now()).toISOString(),
    recording: { path: "recordings/live/cam1.flv", bytes: 0, state: "recording", error: null },
  });
  assert.equal(h.info.state, "publishing");
  assert.equal(h.info.app, "live");
  assert.equal(h.info.streamName, "cam1");
  assert.equal(h.info.tcUrl, "rtmp://h/live");
  assert.equal(h.info.encoder, "FMLE/3.0");
  assert.equal(h.info.publishStartedAt, "2024-01-01T12:00:01.500Z");
  assert.deepEqual(h.info.recording, {
    path: "recordings/live/cam1.flv",
    bytes: 0,
    state: "recording",
    error: null,
  });
  h.update({ recording: null });
  assert.equal(h.info.recording, null);
});

Deno.test("close() records time and reason, moves the session, and is idempotent", () => {
  const { clock, registry, view } = setup();
  const h = registry.open(init());
  h.addBytesIn(100);
  clock.advance(2_000);
  h.close("Peer closed the connection");
  clock.advance(1_000);
  h.close("Second reason");
  assert.equal(registry.liveCount, 0);
  const s = view.get(h.id);
  assert.equal(s?.state, "closed");
  assert.equal(s?.closedAt, "2024-01-01T12:00:02.000Z");
  assert.equal(s?.closeReason, "Peer closed the connection");
  assert.equal(s?.bitrateKbps, 0);
  assert.equal(s?.bytesIn, 100);
  assert.equal(view.list().length, 1);
});

Deno.test("update() and addBytesIn() do nothing once the session is closed", () => {
  const { registry } = setup();
  const h = registry.open(init());
  h.close("done");
  h.update({ state: "publishing", app: "late" });
  h.addBytesIn(1_000);
  assert.equal(h.info.state, "closed");
  assert.equal(h.info.app, null);
  assert.equal(h.info.bytesIn, 0);
});

Deno.test("update({ state: 'closed' }) closes the session", () => {
  const { registry, view } = setup();
  const h = registry.open(init());
  h.update({ state: "closed" });
  assert.equal(registry.liveCount, 0);
  assert.equal(view.get(h.id)?.closeReason, "closed");
});

Deno.test("list() gives live sessions first, then closed ones newest first", () => {
  const { registry, view } = setup();
  const a = registry.open(init());
  const b = registry.open(init());
  const c = registry.open(init());
  const d = registry.open(init());
  b.close("x");
  d.close("y");
  assert.deepEqual(view.list().map((s) => s.id), [a.id, c.id, d.id, b.id]);
});

Deno.test("the closed list keeps only the last 100", () => {
  const { registry, view } = setup();
  const live = registry.open(init());
  for (let i = 0; i < 105; i++) registry.open(init()).close(`reason ${i}`);
  const list = view.list();
  assert.equal(list.length, 101);
  assert.equal(list[0]?.id, live.id);
  assert.equal(list[1]?.closeReason, "reason 104");
  assert.equal(list[100]?.closeReason, "reason 5");
  assert.equal(view.get("s2"), undefined); // the first closed one
  assert.equal(view.get("s7")?.closeReason, "reason 5");
});

Deno.test("keepClosed sets the cap, and 0 keeps none", () => {
  const three = setup({ keepClosed: 3 });
  for (let i = 0; i < 5; i++) three.registry.open(init()).close("x");
  assert.deepEqual(three.view.list().map((s) => s.id), ["s5", "s4", "s3"]);
  const none = setup({ keepClosed: 0 });
  const h = none.registry.open(init());
  h.close("x");
  assert.deepEqual(none.view.list(), []);
  assert.equal(none.view.get(h.id), undefined);
  assert.throws(() => setup({ keepClosed: -1 }), RangeError);
});

Deno.test("drop() calls the live session's callback and reports whether it could", () => {
  const { registry, view } = setup();
  const drops: string[] = [];
  const h = registry.open(init(drops));
  assert.equal(view.drop(h.id), true);
  assert.deepEqual(drops, [DROP_REASON]);
  assert.equal(registry.liveCount, 1, "the connection closes itself, not the registry");
  h.close(DROP_REASON);
  assert.equal(view.drop(h.id), false);
  assert.equal(view.drop("nope"), false);
  assert.deepEqual(drops, [DROP_REASON]);
});

Deno.test("list() and get() give snapshots that do not alias the live object", () => {
  const { registry, view } = setup();
  const h = registry.open(init());
  h.update({ recording: { path: "a.flv", bytes: 1, state: "recording", error: null } });
  const before = view.get(h.id);
  const listed = view.list()[0];
  assert.ok(before !== undefined && listed !== undefined);
  h.info.video.frames = 30;
  h.info.audio.frames = 40;
  h.info.recording!.bytes = 999;
  assert.equal(before.video.frames, 0);
  assert.equal(listed.audio.frames, 0);
  assert.equal(before.recording?.bytes, 1);
  listed.video.keyframes = 7;
  before.state = "closed";
  assert.equal(h.info.video.keyframes, 0);
  assert.equal(h.info.state, "handshake");
  assert.equal(view.get(h.id)?.video.frames, 30);
});

Deno.test("snapshots carry the bit rate over the last 5 s from the clock", () => {
  const { clock, registry, view } = setup();
  const h = registry.open(init());
  for (let i = 0; i < 100; i++) {
    h.addBytesIn(12_500); // 125 000 B/s = 1 000 kbit/s
    clock.advance(100);
  }
  assert.equal(h.info.bytesIn, 1_250_000);
  assert.equal(view.get(h.id)?.bitrateKbps, 1_000);
  assert.equal(view.list()[0]?.bitrateKbps, 1_000);
  clock.advance(5_000);
  assert.equal(view.get(h.id)?.bitrateKbps, 0);
});

Deno.test("update() records the TLS version of an RTMPS session", () => {
  const registry = new SessionRegistry({ clock: { now: () => 0 } });
  const h = registry.open({ remoteAddr: "10.0.0.1:4242", parser: "js", tls: true, drop: () => {} });
  assert.equal(h.info.tls, true);
  assert.equal(h.info.tlsVersion, null);
  h.update({ tlsVersion: "TLSv1.3" });
  assert.equal(registry.view().list()[0]?.tlsVersion, "TLSv1.3");
});
