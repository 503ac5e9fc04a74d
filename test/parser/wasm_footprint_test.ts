import assert from "node:assert/strict";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import type { ChunkParser } from "../../src/parser/types.ts";
import { encodeU32Message, MessageType } from "../../src/rtmp/messages.ts";
import { ChunkWriter, type OutgoingMessage } from "../../src/rtmp/chunk_writer.ts";
import { concatBytes } from "../../src/bytes.ts";

/** OS pages (4 KiB) of `mem` holding any non-zero byte: what a session has touched. */
function touchedPages(mem: Uint8Array): number {
  let pages = 0;
  for (let p = 0; p < mem.length; p += 4096) {
    const page = mem.subarray(p, p + 4096);
    if (page.some((b) => b !== 0)) pages++;
  }
  return pages;
}

Deno.test("wasm parser touches a few pages, not its largest message or its history", async () => {
  const make = await loadWasmParser();
  using parser = make();
  const memory = new Uint8Array(parser.writable().buffer);
  const before = touchedPages(memory);
  // About 1 Mbit/s for 10 s: 30 video frames a second (a 40 KB key frame every 60), audio
  // between them; bodies filled with non-zero bytes so touched pages show.
  const sent = clip(300);
  const largest = Math.max(...sent.map((m) => m.body.length));
  const stream = chunkStream(sent);
  let messages = 0;
  // Reads of up to 3 000 bytes, splitting chunks anywhere (a few KB per 20 ms tick).
  for (let o = 0, k = 0; o < stream.length; k++) {
    const n = Math.min(stream.length - o, 500 + (k * 2654435761 % 2500));
    const w = parser.writable();
    w.set(stream.subarray(o, o + n));
    parser.commit(n);
    o += n;
    parser.drain(() => messages++);
  }
  assert.equal(messages, 601);
  const grownKiB = (touchedPages(memory) - before) * 4;
  // The ring's first few KiB and an arena of the 3-5 KB frames (the 40 KB key frames are
  // reassembled outside the instance): not the largest message and slack, as before.
  assert.ok(grownKiB <= 24, `touched ${grownKiB} KiB for a largest message of ${largest} bytes`);
});

Deno.test("wasm parser touches a few arena pages for full reads of multi-chunk messages", async () => {
  const make = await loadWasmParser();
  using parser = make();
  const memory = new Uint8Array(parser.writable().buffer);
  // 5 KB frames: each spans two chunks, so each is reassembled in the arena.
  const stream = chunkStream(
    Array.from({ length: 200 }, (_, i) => ({
      type: 9,
      csid: 6,
      streamId: 1,
      timestamp: i * 33,
      body: fill(5000),
    })),
  );
  const before = touchedPages(memory);
  assert.equal(feedReads(parser, stream, 0, stream.length), 201);
  const grownKiB = (touchedPages(memory) - before) * 4;
  // Reads fill the 64 KiB ring; the arena holds about ARENA_SOFT (4 KiB) and a frame; records,
  // slots and the csid map a few pages more. It was 148 KiB with an arena that took every
  // multi-chunk message of a read.
  assert.ok(grownKiB <= 64 + 8 + 8 + 16, `touched ${grownKiB} KiB`);
});

Deno.test("wasm parser touches 16 KiB of its ring for bursts of up to 112 KiB", async () => {
  const make = await loadWasmParser();
  using parser = make();
  const memory = new Uint8Array(parser.writable().buffer);
  const before = touchedPages(memory);
  // The 1 Mbit/s clip above, arriving in lumps (a key frame's burst, a stall): each lump is read
  // at once, in as many reads as the parser offers.
  const stream = chunkStream(clip(600));
  let messages = 0;
  for (let o = 0, k = 0; o < stream.length; k++) {
    const lump = Math.min(stream.length - o, 2_000 + (k * 2654435761 % 112_000));
    messages += feedReads(parser, stream, o, o + lump);
    o += lump;
  }
  assert.equal(messages, 1201);
  const grownKiB = (touchedPages(memory) - before) * 4;
  // The ring's first 16 KiB, the arena (about 8 KiB and a frame), a page of slots and records.
  // Reads that doubled to 64 KiB after one full read touched the whole ring (84 KiB here).
  assert.ok(grownKiB <= 16 + 8 + 8 + 8, `touched ${grownKiB} KiB`);
});

Deno.test("wasm parser touches no arena pages for frames of 8 to 16 KiB", async () => {
  const make = await loadWasmParser();
  using parser = make();
  const memory = new Uint8Array(parser.writable().buffer);
  const before = touchedPages(memory);
  // The larger P-frames of a busier 1 Mbit/s scene: each spans two to four 4096-byte chunks and
  // is handed out in pieces, copied by the host, instead of being reassembled in the arena.
  const sent: OutgoingMessage[] = [];
  for (let i = 0; i < 300; i++) {
    const ts = Math.round(i * 33.3);
    sent.push({
      type: 9,
      csid: 6,
      streamId: 1,
      timestamp: ts,
      body: fill(8_300 + i * 7919 % 8_000),
    });
    sent.push({ type: 8, csid: 4, streamId: 1, timestamp: ts, body: fill(400) });
  }
  // Read as a paced publisher's bytes arrive: lumps of up to 14 KB, each read at once.
  const stream = chunkStream(sent);
  let messages = 0;
  for (let o = 0, k = 0; o < stream.length; k++) {
    const lump = Math.min(stream.length - o, 2_000 + (k * 2654435761 % 12_000));
    messages += feedReads(parser, stream, o, o + lump);
    o += lump;
  }
  assert.equal(messages, 601);
  const grownKiB = (touchedPages(memory) - before) * 4;
  // The ring's first 16 KiB and a page of slots and records; with messages up to 16 KiB
  // reassembled in the arena it was 36 KiB.
  assert.ok(grownKiB <= 16 + 4 + 4, `touched ${grownKiB} KiB`);
});

/** Feeds `stream[from, to)` to `parser` in the reads it offers; the messages it drained. */
function feedReads(parser: ChunkParser, stream: Uint8Array, from: number, to: number): number {
  let messages = 0;
  for (let o = from; o < to;) {
    const w = parser.writable();
    const n = Math.min(w.length, to - o);
    w.set(stream.subarray(o, o + n));
    parser.commit(n);
    o += n;
    parser.drain(() => messages++);
  }
  return messages;
}

/** `frames` video frames of a ~1 Mbit/s clip at 30 fps (a 40 KB key frame every 60), audio between. */
function clip(frames: number): OutgoingMessage[] {
  const sent: OutgoingMessage[] = [];
  for (let i = 0; i < frames; i++) {
    const size = i % 60 === 0 ? 40_000 : 3_000 + (i * 7919) % 2_000;
    const ts = Math.round(i * 33.3);
    sent.push({ type: 9, csid: 6, streamId: 1, timestamp: ts, body: fill(size) });
    sent.push({ type: 8, csid: 4, streamId: 1, timestamp: ts, body: fill(400) });
  }
  return sent;
}

function fill(n: number): Uint8Array {
  return new Uint8Array(n).fill(0x5a);
}

/** Set Chunk Size 4096, then `messages` in chunks of 4096 bytes. */
function chunkStream(messages: readonly OutgoingMessage[]): Uint8Array {
  const writer = new ChunkWriter({ chunkSize: 128 });
  const parts = [
    writer.encode({
      type: MessageType.SetChunkSize,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: encodeU32Message(4096),
    }),
  ];
  writer.chunkSize = 4096;
  for (const m of messages) parts.push(writer.encode(m));
  return concatBytes(parts);
}

/** Feeds `bytes` in reads of at most 8 KiB; returns the bodies, copied. */
function feed(parser: ChunkParser, bytes: Uint8Array): Uint8Array[] {
  const got: Uint8Array[] = [];
  for (let o = 0; o < bytes.length;) {
    const w = parser.writable();
    const n = Math.min(w.length, bytes.length - o, 8192);
    w.set(bytes.subarray(o, o + n));
    parser.commit(n);
    o += n;
    parser.drain((_rec, b) => got.push(b.slice()));
  }
  return got;
}

Deno.test("wasm parser reassembles a large message outside its memory", async () => {
  const make = await loadWasmParser();
  using parser = make();
  const start = parser.writable().buffer.byteLength;
  assert.ok(start <= 6 * 65536, `starts with ${start} bytes`);
  const body = new Uint8Array(3_000_000).map((_, i) => i & 0xff);
  const got = feed(parser, chunkStream([{ type: 9, csid: 6, streamId: 1, timestamp: 0, body }]));
  assert.equal(got.length, 2);
  assert.deepEqual(got[1], body);
  assert.equal(parser.writable().buffer.byteLength, start);
});

Deno.test("wasm parser memory grows for a large message at small chunk sizes", async () => {
  const make = await loadWasmParser();
  using parser = make();
  // At 128-byte chunks a message is reassembled in the instance (one piece per chunk would
  // cost the host more than the copy), growing its memory on demand.
  const body = new Uint8Array(3_000_000).map((_, i) => i & 0xff);
  const writer = new ChunkWriter({ chunkSize: 128 });
  const got = feed(parser, writer.encode({ type: 9, csid: 6, streamId: 1, timestamp: 0, body }));
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], body);
  assert.ok(parser.writable().buffer.byteLength >= 3_000_000);
});

Deno.test("wasm parser memory grows for many small messages in progress at once", async () => {
  const make = await loadWasmParser();
  using parser = make();
  const start = parser.writable().buffer.byteLength;
  // 60 chunk streams, each with a 4000-byte message (reassembled in the arena) of which only
  // the first chunk has arrived: 240 KB in progress, more than the arena's first page.
  const writer = new ChunkWriter({ chunkSize: 128 });
  const firsts: Uint8Array[] = [];
  const rests: Uint8Array[] = [];
  for (let k = 0; k < 60; k++) {
    const body = new Uint8Array(4000).fill(k + 1);
    const all = writer.encode({ type: 9, csid: 3 + k, streamId: 1, timestamp: 0, body });
    const head = 12 + 128;
    firsts.push(all.subarray(0, head));
    rests.push(all.subarray(head));
  }
  const got: Uint8Array[] = [];
  for (const bytes of [concatBytes(firsts), concatBytes(rests)]) {
    for (let o = 0; o < bytes.length;) {
      const w = parser.writable();
      const n = Math.min(w.length, bytes.length - o);
      w.set(bytes.subarray(o, o + n));
      parser.commit(n);
      o += n;
      parser.drain((_rec, b) => got.push(b.slice()));
    }
  }
  assert.equal(got.length, 60);
  got.forEach((b, k) => assert.deepEqual(b, new Uint8Array(4000).fill(k + 1)));
  assert.ok(parser.writable().buffer.byteLength > start + 65536);
});
