import assert from "node:assert/strict";
import type { ConsumerKind, StreamConsumer } from "../../src/stream/consumer.ts";
import { GopCache } from "../../src/stream/gop_cache.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import { LiveStream, MAX_CONFIG_BYTES } from "../../src/stream/live_stream.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";

function msg(
  kind: MediaMessage["kind"],
  timestamp: number,
  opts: { key?: boolean; config?: boolean; size?: number } = {},
): MediaMessage {
  return {
    kind,
    timestamp,
    body: new Uint8Array(opts.size ?? 10),
    keyframe: opts.key ?? false,
    config: opts.config ?? false,
  };
}

/** A consumer that records what it was given. */
class Collect implements StreamConsumer {
  got: MediaMessage[] = [];
  ended: string | null = null;
  queuedBytes = 0;
  constructor(readonly id: string, readonly kind: ConsumerKind = "rtmp-player") {}
  take(m: MediaMessage): void {
    this.got.push(m);
  }
  end(reason: string): void {
    this.ended = reason;
  }
}

function stream(gopCacheBytes = 1 << 20, onChange?: (s: LiveStream) => void): LiveStream {
  return new LiveStream({
    key: "live/a",
    app: "live",
    name: "a",
    publisherId: "p1",
    startedAt: "2026-01-01T00:00:00.000Z",
    gopCacheBytes,
    codecs: { video: { codec: "h264" }, audio: { codec: "aac" } },
    ...(onChange ? { onConsumersChanged: onChange } : {}),
  });
}

Deno.test("GopCache holds messages from the last key frame and forgets an outgrown GOP", () => {
  const gop = new GopCache(100);
  gop.push(msg("video", 0, { size: 30 }));
  assert.equal(gop.messages.length, 0, "nothing before the first key frame");
  gop.push(msg("video", 40, { key: true, size: 30 }));
  gop.push(msg("audio", 41, { size: 10 }));
  gop.push(msg("video", 80, { size: 30 }));
  assert.deepEqual(gop.messages.map((m) => m.timestamp), [40, 41, 80]);
  assert.equal(gop.bytes, 70);
  gop.push(msg("video", 120, { size: 40 }));
  assert.equal(gop.messages.length, 0, "over the bound: dropped until the next key frame");
  gop.push(msg("video", 160, { size: 10 }));
  assert.equal(gop.messages.length, 0);
  gop.push(msg("video", 200, { key: true, size: 10 }));
  assert.deepEqual(gop.messages.map((m) => m.timestamp), [200]);
  assert.equal(new GopCache(0).messages.length, 0);
});

Deno.test("LiveStream gives a new consumer metadata, sequence headers and the GOP, then live", () => {
  const s = stream();
  s.publish(msg("data", 0));
  s.publish(msg("video", 0, { config: true }));
  s.publish(msg("audio", 0, { config: true }));
  s.publish(msg("video", 0, { key: true }));
  s.publish(msg("video", 40));
  s.publish(msg("video", 80, { key: true }));
  s.publish(msg("audio", 90));
  const c = new Collect("c1");
  s.attach(c);
  s.publish(msg("video", 120));
  assert.deepEqual(
    c.got.map((m) => `${m.kind}${m.config ? "-config" : ""}@${m.timestamp}`),
    ["data@0", "video-config@0", "audio-config@0", "video@80", "audio@90", "video@120"],
  );
  assert.equal(c.got[3]!.keyframe, true, "the first frame is a key frame");
});

Deno.test("LiveStream shares one body among consumers and ends them all once", () => {
  const changes: number[] = [];
  const s = stream(1 << 20, (st) => changes.push(st.count("rtmp-player")));
  const a = new Collect("a");
  const b = new Collect("b");
  const rec = new Collect("r", "recording");
  s.attach(a);
  s.attach(b);
  s.attach(rec);
  const m = msg("video", 0, { key: true });
  s.publish(m);
  assert.equal(a.got[0]!.body, b.got[0]!.body, "one body shared by every consumer");
  assert.notEqual(a.got[0]!.body, m.body, "copied from the publisher's view once");
  assert.deepEqual(a.got[0]!.body, m.body);
  assert.deepEqual(s.view().consumers, {
    "recording": 1,
    "relay": 0,
    "rtmp-player": 2,
    "http-flv-player": 0,
  });
  s.detach("b");
  s.publish(msg("video", 40));
  assert.equal(b.got.length, 1);
  s.end("Publisher ended");
  s.end("again");
  assert.equal(a.ended, "Publisher ended");
  assert.equal(rec.ended, "Publisher ended");
  assert.equal(b.ended, null, "a detached consumer is not told");
  assert.deepEqual(changes, [1, 2, 2, 1, 0]);
  const late = new Collect("late");
  s.attach(late);
  assert.equal(late.ended, "Publisher ended", "a consumer of an ended stream is told at once");
});

Deno.test("LiveStream cuts off a consumer that throws and goes on with the others", () => {
  const errors: string[] = [];
  const s = new LiveStream({
    key: "live/a",
    app: "live",
    name: "a",
    publisherId: "p",
    startedAt: "",
    gopCacheBytes: 0,
    codecs: { video: { codec: null }, audio: { codec: null } },
    onConsumerError: (c, e) => errors.push(`${c.id}: ${(e as Error).message}`),
  });
  const bad = new Collect("bad");
  bad.take = () => {
    throw new Error("boom");
  };
  const good = new Collect("good");
  s.attach(bad);
  s.attach(good);
  s.publish(msg("video", 0, { key: true }));
  s.publish(msg("video", 40));
  assert.deepEqual(errors, ["bad: boom"]);
  assert.equal(bad.ended, "Consumer failed: boom");
  assert.equal(good.got.length, 2);
});

Deno.test("StreamHub refuses a second claim, frees a key on release, and wakes waiting players", async () => {
  const hub = new StreamHub({ gopCacheBytes: 0 });
  const init = {
    key: "live/a",
    app: "live",
    name: "a",
    publisherId: "p1",
    startedAt: "",
    codecs: { video: { codec: null }, audio: { codec: null } },
  };
  const waiting = hub.waitFor("live/a", 5_000);
  const first = hub.claim(init)!;
  assert.equal(await waiting, first);
  assert.equal(hub.claim({ ...init, publisherId: "p2" }), null);
  assert.equal(await hub.waitFor("live/a", 0), first);
  assert.equal(hub.list().length, 1);
  hub.release(first, "done");
  assert.equal(first.ended, "done");
  assert.equal(hub.isLive("live/a"), false);
  assert.equal(await hub.waitFor("live/a", 10), null, "times out");
  const ac = new AbortController();
  const aborted = hub.waitFor("live/a", 5_000, ac.signal);
  ac.abort();
  assert.equal(await aborted, null);
  const again = hub.claim({ ...init, publisherId: "p3" })!;
  hub.unlist(again);
  assert.equal(hub.isLive("live/a"), false, "unlisted: the key is free");
  assert.equal(again.ended, null, "but the stream goes on until released");
});

Deno.test("LiveStream copies a body only when a consumer or the GOP cache keeps it", () => {
  const s = stream(1 << 20);
  const view = msg("video", 0, { key: true });
  s.publish(view);
  const cached = s.startMessages().at(-1)!;
  assert.notEqual(cached.body, view.body, "the GOP cache keeps its own copy");
  view.body.fill(7);
  assert.deepEqual(cached.body, new Uint8Array(10), "later writes to the view do not reach it");
  const off = stream(0);
  const frame = msg("video", 0);
  off.publish(frame);
  assert.deepEqual(off.startMessages(), [], "nothing kept, nothing copied");
});

Deno.test("sequence headers kept for late joiners are bounded in bytes, the newest always kept", () => {
  const s = stream();
  const big = 300 * 1024;
  for (let i = 0; i < 32; i++) {
    s.publish({ ...msg("video", 0, { config: true, size: big }), configKey: `seq:t${i}` });
  }
  const configs = s.startMessages().filter((m) => m.config);
  const bytes = configs.reduce((n, m) => n + m.body.length, 0);
  assert.ok(bytes <= MAX_CONFIG_BYTES, `${bytes} bytes of sequence headers kept`);
  assert.equal(configs.at(-1)?.configKey, "seq:t31", "the newest is kept");
  s.publish({ ...msg("video", 0, { config: true, size: 2 * MAX_CONFIG_BYTES }), configKey: "x" });
  const after = s.startMessages().filter((m) => m.config);
  assert.deepEqual(after.map((m) => m.configKey), ["x"], "one over the bound alone is still kept");
});

Deno.test("LiveStream hands a consumer that copies on take the publisher's view, a copy once another keeps it", () => {
  class Copier extends Collect {
    readonly copiesOnTake = true;
    bodies: Uint8Array[] = [];
    override take(m: MediaMessage): void {
      super.take(m);
      this.bodies.push(m.body.slice());
    }
  }
  const s = stream(0);
  const rec = new Copier("r", "recording");
  s.attach(rec);
  const alone = msg("video", 0, { key: true });
  s.publish(alone);
  assert.equal(rec.got[0]!.body, alone.body, "alone: the view itself, not copied");
  const player = new Collect("p");
  s.attach(player);
  const shared = msg("video", 40);
  s.publish(shared);
  assert.notEqual(player.got.at(-1)!.body, shared.body, "a keeping consumer gets a copy");
  assert.equal(rec.got.at(-1)!.body, player.got.at(-1)!.body, "one copy for both");
  s.detach("p");
  const again = msg("video", 80);
  s.publish(again);
  assert.equal(rec.got.at(-1)!.body, again.body, "the keeper gone: the view again");
  const config = msg("video", 80, { config: true });
  s.publish(config);
  assert.notEqual(rec.got.at(-1)!.body, config.body, "sequence headers are kept: copied");
  assert.deepEqual(rec.bodies.map((b) => b.length), [10, 10, 10, 10]);
});

Deno.test("LiveStream.passBy() counts only a frame nothing keeps or takes; the rest must be published", () => {
  let now = 100;
  const s = new LiveStream({
    key: "live/a",
    app: "live",
    name: "a",
    publisherId: "p1",
    startedAt: "2026-01-01T00:00:00.000Z",
    gopCacheBytes: 100,
    codecs: { video: { codec: "h264" }, audio: { codec: "aac" } },
    now: () => now,
  });
  assert.equal(
    s.passBy("video", false, 10, 40),
    true,
    "before the first key frame the GOP is closed",
  );
  assert.equal(s.silentMs(), 60, "it counts as the publisher's last message");
  assert.equal(s.unflushed, true);
  assert.equal(s.passBy("video", true, 10, 40), false, "a key frame opens the GOP");
  s.publish(msg("video", 0, { key: true, size: 10 }), 50);
  assert.equal(s.passBy("audio", false, 10, 60), false, "the open GOP keeps it");
  s.publish(msg("video", 40, { size: 95 }), 60); // over the bound: the GOP closes
  assert.equal(s.passBy("audio", false, 10, 70), true);
  const c = new Collect("c1");
  s.attach(c);
  assert.equal(s.passBy("audio", false, 10, 80), false, "a consumer takes it");
  s.end("done");
  now = 200;
  assert.equal(s.passBy("audio", false, 10, 90), true, "an ended stream drops it");
  assert.equal(s.silentMs(), 130, "without counting it");
});

Deno.test("LiveStream keeps the same GOP whether its unkept frames passed by or were published", () => {
  const plain = stream(300);
  const fast = stream(300);
  for (let i = 0; i < 200; i++) {
    const key = i % 25 === 0;
    const size = 7 + (i * 13) % 40;
    const m = msg(i % 3 === 0 ? "audio" : "video", i * 20, { key: key && i % 3 !== 0, size });
    plain.publish(m, i);
    const kind = m.kind === "audio" ? "audio" : "video";
    if (!fast.passBy(kind, m.keyframe, size, i)) fast.publish(m, i);
    const a = plain.startMessages().map((x) => [x.timestamp, x.body.length]);
    const b = fast.startMessages().map((x) => [x.timestamp, x.body.length]);
    assert.deepEqual(b, a, `after message ${i}`);
  }
});
