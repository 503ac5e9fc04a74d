import assert from "node:assert/strict";
import { GopCache } from "../../src/stream/gop_cache.ts";
import { GopStore } from "../../src/stream/gop_store.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";

/** A parser-like view: one scratch buffer overwritten for every message. */
const scratch = new Uint8Array(300_000);

function view(kind: "audio" | "video", fill: number, size: number, key = false): MediaMessage {
  const body = scratch.subarray(0, size).fill(fill);
  return { kind, timestamp: fill, body, keyframe: key, config: false };
}

/** One GOP: a key frame and `frames` more video and audio messages, bodies filled with `tag`. */
function gop(cache: GopCache, tag: number, frames: number, lend = false): MediaMessage[] {
  const kept = [cache.take(view("video", tag, 9000, true), lend)!];
  for (let i = 0; i < frames; i++) {
    kept.push(cache.take(view("video", tag, 3000), lend)!);
    kept.push(cache.take(view("audio", tag, 300), lend)!);
  }
  return kept;
}

Deno.test("GopCache.take() copies each kept body and reuses its store GOP after GOP", () => {
  const cache = new GopCache(1 << 20);
  const first = gop(cache, 1, 50);
  assert.ok(first.every((m) => m.body.every((b) => b === 1)), "copies, not the scratch view");
  const store = cache.storeBytes;
  assert.ok(store >= 9000 + 50 * 3300 && store <= 2 * (9000 + 50 * 3300), `store ${store}`);
  for (let g = 2; g < 20; g++) gop(cache, g, 50);
  assert.equal(cache.storeBytes, store, "the same blocks, nothing new per GOP");
  assert.ok(cache.messages.every((m) => m.body.every((b) => b === 19)));
});

Deno.test("GopCache.take() never overwrites bodies lent to consumers", () => {
  const cache = new GopCache(1 << 20);
  const lent = gop(cache, 1, 20, true);
  gop(cache, 2, 20);
  assert.ok(lent.every((m) => m.body.every((b) => b === 1)), "lent bodies unchanged");
});

Deno.test("GopCache bodies read through messages stay intact after the next GOP", () => {
  const cache = new GopCache(1 << 20);
  gop(cache, 1, 20);
  const held = [...cache.messages];
  gop(cache, 2, 20);
  gop(cache, 3, 20);
  assert.ok(held.every((m) => m.body.every((b) => b === 1)), "a consumer's start is kept");
});

Deno.test("GopCache lets its store go when a GOP outgrows the bound", () => {
  const cache = new GopCache(40_000);
  gop(cache, 1, 5);
  assert.ok(cache.storeBytes > 0);
  gop(cache, 2, 20); // 9000 + 20 × 3300 > 40 000
  assert.equal(cache.messages.length, 0);
  assert.equal(cache.storeBytes, 0);
  assert.equal(cache.take(view("video", 3, 100), false), null, "closed until a key frame");
});

Deno.test("GopStore gives a large body its own buffer", () => {
  const store = new GopStore();
  const big = store.copy(new Uint8Array(200_000).fill(5))!;
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, 200_000);
  assert.equal(store.capacity, 0);
});

Deno.test("GopStore books what it holds and copies nothing its booking refuses", () => {
  const booked: number[] = [];
  let limit = 40_000;
  const store = new GopStore({ resize: (n) => (n <= limit && booked.push(n) > 0) });
  assert.ok(store.copy(new Uint8Array(10_000)) !== null);
  assert.ok(store.copy(new Uint8Array(10_000)) !== null);
  assert.equal(store.copy(new Uint8Array(150_000)), null, "a body of its own past the limit");
  assert.equal(store.copy(new Uint8Array(20_000)), null, "a third block past the limit");
  assert.equal(store.bytes, 32_768);
  limit = 1 << 20;
  assert.ok(store.copy(new Uint8Array(150_000)) !== null);
  assert.equal(store.bytes, 32_768 + 150_000);
  store.reset();
  assert.equal(store.bytes, 32_768, "the blocks are kept, the body of its own let go");
  for (let g = 0; g < 7; g++) {
    store.copy(new Uint8Array(100));
    store.reset();
  }
  assert.equal(store.bytes, 32_768, "a block seven GOPs did not use is kept");
  store.copy(new Uint8Array(100));
  store.reset();
  assert.equal(store.bytes, 16_384, "a block eight GOPs in a row did not use is let go");
  store.clear();
  assert.deepEqual(booked, [
    16_384,
    32_768,
    32_768 + 150_000,
    ...Array(8).fill(32_768),
    16_384,
    0,
  ]);
});
