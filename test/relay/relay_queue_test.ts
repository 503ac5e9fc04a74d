import assert from "node:assert/strict";
import { RelayQueue } from "../../src/relay/relay_queue.ts";
import { msg } from "./fakes.ts";

function drain(q: RelayQueue): string[] {
  const out: string[] = [];
  for (let m = q.shift(); m !== undefined; m = q.shift()) out.push(`${m.kind[0]}${m.timestamp}`);
  return out;
}

Deno.test("RelayQueue keeps messages in order and counts their bytes", () => {
  const q = new RelayQueue(1000);
  q.reset([msg("data", 0), msg("video", 0, { config: true }), msg("video", 0, { keyframe: true })]);
  assert.equal(q.push(msg("audio", 10)), "queued");
  assert.equal(q.push(msg("video", 33)), "queued");
  assert.equal(q.bytes, 50);
  assert.deepEqual(drain(q), ["d0", "v0", "v0", "a10", "v33"]);
  assert.equal(q.bytes, 0);
});

Deno.test("RelayQueue that overflows drops its frames and skips to the next key frame", () => {
  const q = new RelayQueue(100);
  q.reset([msg("video", 0, { config: true })]);
  assert.equal(q.push(msg("video", 0, { keyframe: true, size: 40 })), "queued");
  assert.equal(q.push(msg("video", 33, { size: 40 })), "queued");
  assert.equal(q.push(msg("video", 66, { size: 40 })), "overflow");
  assert.equal(q.push(msg("audio", 70)), "skipped");
  assert.equal(q.push(msg("video", 99, { config: true })), "queued");
  assert.equal(q.push(msg("video", 100, { size: 40 })), "skipped");
  assert.equal(q.push(msg("video", 133, { keyframe: true, size: 40 })), "queued");
  assert.equal(q.push(msg("audio", 140)), "queued");
  assert.deepEqual(drain(q), ["v0", "v99", "v133", "a140"]);
  assert.equal(q.framesSkipped, 5);
  assert.equal(q.skipEpisodes, 1);
});

Deno.test("RelayQueue waits for a key frame when the start is only a sequence header flagged as one", () => {
  const q = new RelayQueue(1000);
  q.reset([msg("video", 0, { config: true, keyframe: true })]);
  assert.ok(q.skipping, "FLV flags AVC/HEVC sequence headers as key frames; they are no picture");
  assert.equal(q.push(msg("video", 33)), "skipped");
  assert.equal(q.push(msg("video", 66, { keyframe: true })), "queued");
  assert.deepEqual(drain(q), ["v0", "v66"]);
});

Deno.test("RelayQueue waits for a key frame when the start has video but no key frame", () => {
  const q = new RelayQueue(1000);
  q.reset([msg("video", 0, { config: true })]);
  assert.ok(q.skipping);
  assert.equal(q.push(msg("audio", 5)), "skipped");
  assert.equal(q.push(msg("video", 33, { keyframe: true })), "queued");
  assert.deepEqual(drain(q), ["v0", "v33"]);
});

Deno.test("RelayQueue of an audio-only stream never waits for a key frame", () => {
  const q = new RelayQueue(35);
  q.reset([]);
  assert.equal(q.push(msg("audio", 0, { config: true })), "queued");
  assert.equal(q.push(msg("audio", 21)), "queued");
  assert.equal(q.push(msg("audio", 42)), "queued");
  assert.equal(q.push(msg("audio", 63)), "overflow");
  assert.deepEqual(drain(q), ["a0", "a63"]);
});

Deno.test("RelayQueue does not count the replayed start against its bound", () => {
  const q = new RelayQueue(100);
  const gop = [msg("video", 0, { keyframe: true, size: 400 }), msg("video", 33, { size: 400 })];
  q.reset([msg("video", 0, { config: true }), ...gop]);
  assert.equal(
    q.push(msg("video", 66, { size: 40 })),
    "queued",
    "a GOP over the bound is replayed",
  );
  assert.equal(q.push(msg("video", 99, { size: 70 })), "overflow", "live frames still are bounded");
});
