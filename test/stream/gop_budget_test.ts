import assert from "node:assert/strict";
import type { ConsumerKind, StreamConsumer } from "../../src/stream/consumer.ts";
import { GopBudget } from "../../src/stream/gop_budget.ts";
import { FIRST_GOP_BYTES } from "../../src/stream/gop_cache.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import type { LiveStream } from "../../src/stream/live_stream.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";

/** A parser-like view: one scratch buffer overwritten for every message. */
const scratch = new Uint8Array(20_000);

function frame(ts: number, size: number, key = false): MediaMessage {
  return {
    kind: "video",
    timestamp: ts,
    body: scratch.subarray(0, size),
    keyframe: key,
    config: false,
  };
}

/**
 * One GOP of 28 000 bytes: a 10 000-byte key frame and nine of 2 000. Its store takes two
 * 16 KiB blocks (32 768 bytes).
 */
const GOP_STORE = 32_768;

function gop(s: LiveStream, t: number): void {
  s.publish(frame(t, 10_000, true));
  for (let i = 1; i < 10; i++) s.publish(frame(t + i * 40, 2_000));
}

/** A consumer that records what it was given. */
class Collect implements StreamConsumer {
  got: MediaMessage[] = [];
  queuedBytes = 0;
  constructor(readonly id: string, readonly kind: ConsumerKind = "rtmp-player") {}
  take(m: MediaMessage): void {
    this.got.push(m);
  }
  end(): void {}
}

function streams(budget: GopBudget, n: number): { hub: StreamHub; live: LiveStream[] } {
  const hub = new StreamHub({ gopCacheBytes: 1 << 20, gopBudget: budget });
  const live: LiveStream[] = [];
  for (let i = 0; i < n; i++) {
    live.push(
      hub.claim({
        key: `live/s${i}`,
        app: "live",
        name: `s${i}`,
        publisherId: `p${i}`,
        startedAt: "2026-01-01T00:00:00.000Z",
        codecs: { video: { codec: "h264" }, audio: { codec: null } },
      })!,
    );
  }
  return { hub, live };
}

const cached = (s: LiveStream) => s.view().gopCacheBytes;

Deno.test("GopBudget bounds all GOP caches together: a stream past it caches nothing", () => {
  const budget = new GopBudget(3 * GOP_STORE + 1000);
  const { live } = streams(budget, 4);
  for (let g = 0; g < 3; g++) for (const s of live) gop(s, g * 400);
  assert.deepEqual(live.map(cached), [28_000, 28_000, 28_000, 0]);
  assert.deepEqual(budget.view(), {
    totalBytes: 3 * GOP_STORE + 1000,
    usedBytes: 3 * GOP_STORE,
    evictions: 0,
  });
});

Deno.test("GopBudget: an unwatched stream past the budget does not start a GOP it cannot hold", () => {
  // Room for three stores and the fourth stream's first block, not its second.
  const budget = new GopBudget(3 * GOP_STORE + 20_000);
  const { live } = streams(budget, 4);
  for (const s of live) gop(s, 0); // the first GOP: the fourth tries, and gives up at its second block
  for (let g = 1; g < 4; g++) {
    for (const s of live.slice(0, 3)) gop(s, g * 400);
    live[3]!.publish(frame(g * 400, 10_000, true));
    assert.equal(cached(live[3]!), 0, "no room for a GOP like the last: the key frame is not kept");
    for (let i = 1; i < 10; i++) live[3]!.publish(frame(g * 400 + i * 40, 2_000));
  }
  assert.equal(budget.view().usedBytes, 3 * GOP_STORE);
});

Deno.test("GopBudget: a stream that gets a player takes the room of unwatched ones from its next key frame", () => {
  const budget = new GopBudget(3 * GOP_STORE);
  const { live } = streams(budget, 4);
  const [a, b, c, d] = live as [LiveStream, LiveStream, LiveStream, LiveStream];
  // First GOPs book FIRST_GOP_BYTES, over this budget: the second ones, known in size, fit.
  for (let g = 0; g < 2; g++) for (const s of live) gop(s, g * 400);
  b.publish(frame(800, 10_000, true)); // b's store stays, one GOP of it cached
  assert.deepEqual(live.map(cached), [28_000, 10_000, 28_000, 0]);

  const player = new Collect("p1");
  d.attach(player);
  d.publish(frame(800, 2_000)); // mid-GOP: nothing to cache yet, the player waits for a key frame
  assert.equal(cached(d), 0);
  gop(d, 840);
  assert.equal(cached(d), 28_000, "cached from its key frame on");
  assert.equal(player.got.filter((m) => m.kind === "video")[1]!.keyframe, true);
  assert.equal(budget.view().evictions, 1);
  assert.equal(
    live.filter((s) => cached(s) === 0).length,
    1,
    "one unwatched stream gave its GOP up",
  );
  assert.ok(budget.view().usedBytes <= 3 * GOP_STORE);

  const second = new Collect("p2");
  d.attach(second);
  assert.equal(second.got[0]!.keyframe, true, "a new player starts at once, on the key frame");
  assert.equal(second.got.length, 10);
  void [a, c];
});

Deno.test("GopBudget: a recording alone does not keep a stream's GOP, and watched streams keep theirs", () => {
  const budget = new GopBudget(2 * GOP_STORE);
  const { live } = streams(budget, 3);
  const [recorded, relayed, played] = live as [LiveStream, LiveStream, LiveStream];
  recorded.attach(new Collect("rec", "recording"));
  relayed.attach(new Collect("relay", "relay"));
  for (const s of live) gop(s, 0); // first GOPs: FIRST_GOP_BYTES each is over this budget
  assert.deepEqual(live.map(cached), [0, 0, 0]);
  gop(recorded, 400);
  gop(relayed, 400);
  assert.deepEqual(live.map(cached), [28_000, 28_000, 0]);
  played.attach(new Collect("p", "http-flv-player"));
  gop(played, 400);
  assert.deepEqual(live.map(cached), [0, 28_000, 28_000], "the recorded stream gave its GOP up");
  for (let g = 2; g < 5; g++) for (const s of live) gop(s, g * 400);
  assert.equal(cached(relayed), 28_000, "watched streams do not evict each other");
  assert.equal(cached(recorded), 0);
  assert.equal(budget.view().evictions, 1);
  assert.ok(budget.view().usedBytes <= 2 * GOP_STORE);
});

Deno.test("GopBudget: streams starting together book their first GOP ahead, and those past the budget allocate nothing", () => {
  const budget = new GopBudget(3 * FIRST_GOP_BYTES + 100_000);
  const { live } = streams(budget, 10);
  for (const s of live) s.publish(frame(0, 10_000, true));
  assert.equal(live.filter((s) => cached(s) > 0).length, 3);
  assert.equal(budget.view().usedBytes, 3 * FIRST_GOP_BYTES, "booked, not yet allocated");
  for (const s of live) for (let i = 1; i < 10; i++) s.publish(frame(i * 40, 2_000));
  assert.deepEqual(live.map(cached), [28_000, 28_000, 28_000, 0, 0, 0, 0, 0, 0, 0]);
  for (const s of live) gop(s, 400); // now each books a GOP like its last (28 000): all fit
  assert.deepEqual(live.map(cached), Array(10).fill(28_000));
  assert.equal(budget.view().usedBytes, 10 * GOP_STORE);
});

Deno.test("GopBudget: what the caches held is given back when their streams end", () => {
  const budget = new GopBudget(0); // no bound: still counted
  const { hub, live } = streams(budget, 5);
  live[0]!.attach(new Collect("p")); // its bodies are lent: new blocks every GOP
  live[1]!.attach(new Collect("r", "recording"));
  for (let g = 0; g < 3; g++) for (const s of live) gop(s, g * 400);
  assert.ok(budget.view().usedBytes >= 5 * 28_000);
  for (const s of live) hub.release(s, "Publisher ended");
  assert.deepEqual(budget.view(), { totalBytes: 0, usedBytes: 0, evictions: 0 });
  live[2]!.publish(frame(2000, 10_000, true));
  assert.equal(budget.view().usedBytes, 0, "an ended stream caches nothing");
});

Deno.test("GopBudget: a cache turned off books nothing", () => {
  const budget = new GopBudget(1000);
  const hub = new StreamHub({ gopCacheBytes: 0, gopBudget: budget });
  const s = hub.claim({
    key: "live/x",
    app: "live",
    name: "x",
    publisherId: "p",
    startedAt: "2026-01-01T00:00:00.000Z",
    codecs: { video: { codec: "h264" }, audio: { codec: null } },
  })!;
  s.attach(new Collect("p"));
  gop(s, 0);
  assert.deepEqual(budget.view(), { totalBytes: 1000, usedBytes: 0, evictions: 0 });
});

Deno.test("GopBudget: a watched stream with no room to take does not start a GOP it cannot hold", () => {
  const budget = new GopBudget(GOP_STORE + 20_000);
  const { live } = streams(budget, 2);
  for (const s of live) s.attach(new Collect(`p-${s.name}`));
  for (const s of live) gop(s, 0); // the second fails at its second block
  for (let g = 1; g < 4; g++) {
    gop(live[0]!, g * 400);
    live[1]!.publish(frame(g * 400, 10_000, true));
    assert.equal(cached(live[1]!), 0, "watched streams give no room: the key frame is not kept");
    for (let i = 1; i < 10; i++) live[1]!.publish(frame(g * 400 + i * 40, 2_000));
  }
  assert.equal(cached(live[0]!), 28_000);
  assert.deepEqual(budget.view(), {
    totalBytes: GOP_STORE + 20_000,
    usedBytes: GOP_STORE,
    evictions: 0,
  });
});
