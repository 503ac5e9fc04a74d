import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { CLIENT_CLOSED, FlvPlayer, type FlvPlayerOptions } from "../../src/http_flv/flv_player.ts";
import { decodeFlvTags } from "../../src/record/flv.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";

function video(timestamp: number, keyframe: boolean, size = 8): MediaMessage {
  const body = new Uint8Array(size).fill(timestamp & 0xff);
  body[0] = keyframe ? 0x17 : 0x27;
  body[1] = 1;
  return { kind: "video", timestamp, body, keyframe, config: false };
}

const VIDEO_CONFIG: MediaMessage = {
  kind: "video",
  timestamp: 0,
  body: new Uint8Array([0x17, 0, 0, 0, 0, 1, 2, 3]),
  keyframe: true,
  config: true,
};
const META: MediaMessage = {
  kind: "data",
  timestamp: 0,
  body: new Uint8Array([2, 0, 10, ...new TextEncoder().encode("onMetaData"), 5]),
  keyframe: false,
  config: false,
};

function player(overrides: Partial<FlvPlayerOptions> = {}) {
  const closed: string[] = [];
  const skips: number[] = [];
  const clock = new FakeClock();
  const p = new FlvPlayer({
    id: "p1",
    key: "live/x",
    tracks: { audio: false, video: true },
    maxQueuedBytes: 64 * 1024,
    maxLagMs: 1_000,
    clock,
    onClose: (r) => closed.push(r),
    onSkipStart: (q) => skips.push(q),
    ...overrides,
  });
  return { p, closed, skips, clock };
}

async function tagsOf(p: FlvPlayer) {
  const bytes = await new Response(p.body).bytes();
  return decodeFlvTags(bytes);
}

Deno.test("FlvPlayer writes the header, metadata and sequence header at 0, then frames rebased to the first", async () => {
  const { p, closed } = player();
  for (const m of [META, VIDEO_CONFIG, video(90_000, true), video(90_033, false)]) p.take(m);
  p.end("Publisher ended (test)");
  const { header, tags } = await tagsOf(p);
  assert.deepEqual(header, { audio: false, video: true });
  assert.deepEqual(tags.map((t) => [t.type, t.timestamp]), [[18, 0], [9, 0], [9, 0], [9, 33]]);
  assert.deepEqual(tags[0]!.body, META.body);
  assert.deepEqual(tags[1]!.body, VIDEO_CONFIG.body);
  assert.deepEqual(closed, ["Publisher ended (test)"]);
  assert.equal(p.stats.framesSent, 2);
});

Deno.test("FlvPlayer skips video until the first key frame", async () => {
  const { p } = player();
  for (
    const m of [VIDEO_CONFIG, video(10, false), video(20, false), video(30, true), video(40, false)]
  ) {
    p.take(m);
  }
  p.end("done");
  const { tags } = await tagsOf(p);
  assert.deepEqual(tags.map((t) => [t.body[0], t.timestamp]), [[0x17, 0], [0x17, 0], [0x27, 10]]);
});

Deno.test("FlvPlayer passes large bodies through byte-exact", async () => {
  const { p } = player({ maxQueuedBytes: 1024 * 1024 });
  const big = video(0, true, 100_000);
  p.take(big);
  p.take(video(33, false, 600));
  p.end("done");
  const { tags } = await tagsOf(p);
  assert.equal(tags.length, 2);
  assert.deepEqual(tags[0]!.body, big.body);
  assert.equal(tags[1]!.body.length, 600);
});

Deno.test("FlvPlayer gives data tags the time of the last frame", async () => {
  const { p } = player();
  for (const m of [video(1_000, true), video(1_500, false), META]) p.take(m);
  p.end("done");
  const { tags } = await tagsOf(p);
  assert.deepEqual(tags.map((t) => [t.type, t.timestamp]), [[9, 0], [9, 500], [18, 500]]);
});

Deno.test("FlvPlayer counts queued bytes and skips to the next key frame when over its limit", async () => {
  const { p, skips } = player({ maxQueuedBytes: 4_000 });
  p.take(video(0, true, 1_000));
  p.take(video(33, false, 1_000));
  p.take(video(66, false, 1_000));
  assert.ok(p.queuedBytes > 3_000, `queued ${p.queuedBytes}`);
  p.take(video(99, false, 1_000)); // over 4000: skipping starts
  p.take(video(133, false, 1_000));
  assert.equal(skips.length, 1);
  assert.equal(p.stats.framesSkipped, 2);
  assert.equal(p.stats.skipEpisodes, 1);
  const reader = p.body.getReader();
  let got = 0;
  while (got < 13 + 3 * 1_015) got += (await reader.read()).value?.length ?? 0;
  p.take(video(166, true, 1_000)); // drained: sent
  p.end("done");
  const rest = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest.push(...value);
  }
  const { tags } = decodeFlvTags(new Uint8Array(rest));
  assert.deepEqual(tags.map((t) => [t.body[0], t.timestamp]), [[0x17, 166]]);
  assert.equal(p.stats.framesSent, 4);
});

Deno.test("FlvPlayer is dropped when it stays behind longer than the lag limit", async () => {
  const { p, closed, clock } = player({ maxQueuedBytes: 2_000, maxLagMs: 1_000 });
  p.take(video(0, true, 1_500));
  p.take(video(33, false, 1_500)); // skip
  clock.advance(1_001);
  p.take(video(66, false, 100)); // drop
  assert.equal(closed.length, 1);
  assert.match(closed[0]!, /^Player too slow: behind for over 1000 ms/);
  assert.equal(p.closeReason, closed[0]);
  assert.equal(p.queuedBytes, 0, "the queue is discarded");
  assert.deepEqual(decodeFlvTags(await new Response(p.body).bytes()).tags, []);
  p.take(video(99, true)); // ignored once closed
  assert.equal(closed.length, 1);
});

Deno.test("FlvPlayer reports a client that went away once", async () => {
  const { p, closed } = player();
  p.take(video(0, true));
  await p.body.cancel();
  p.end("later");
  assert.deepEqual(closed, [CLIENT_CLOSED]);
  assert.equal(p.queuedBytes, 0);
});

Deno.test("FlvPlayer drop discards the queue and ends the body", async () => {
  const { p, closed } = player();
  p.take(video(0, true));
  p.drop("Dropped by API request");
  assert.deepEqual(closed, ["Dropped by API request"]);
  assert.deepEqual(decodeFlvTags(await new Response(p.body).bytes()).tags, []);
});
