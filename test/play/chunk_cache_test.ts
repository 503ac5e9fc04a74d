import assert from "node:assert/strict";
import { ChunkCache, chunkMessage } from "../../src/play/chunk_cache.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { MessageRecord } from "../../src/parser/types.ts";
import { ChunkWriter } from "../../src/rtmp/chunk_writer.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";

function media(kind: MediaMessage["kind"], timestamp: number, size: number): MediaMessage {
  const body = new Uint8Array(size).map((_, i) => (i * 7 + timestamp) & 0xff);
  return { kind, timestamp, body, keyframe: false, config: false };
}

/** Parses `bytes` as a server's chunk stream (chunk size already `chunkSize`). */
function parse(bytes: Uint8Array, chunkSize: number): { rec: MessageRecord; body: Uint8Array }[] {
  using parser = createJsParser({ maxChunkStreams: 64, maxPartialBytes: 1 << 24 });
  const out: { rec: MessageRecord; body: Uint8Array }[] = [];
  const setSize = new ChunkWriter().encode({
    type: 1,
    csid: 2,
    streamId: 0,
    timestamp: 0,
    body: new Uint8Array([0, 0, chunkSize >> 8, chunkSize & 0xff]),
  });
  const all = new Uint8Array(setSize.length + bytes.length);
  all.set(setSize);
  all.set(bytes, setSize.length);
  for (let o = 0; o < all.length;) {
    o += parser.push(all.subarray(o));
    parser.drain((rec, body) => {
      if (rec.type !== 1) out.push({ rec: { ...rec }, body: body.slice() });
    });
  }
  return out;
}

Deno.test("ChunkCache gives every player of one format the same bytes, chunked once", () => {
  const cache = new ChunkCache();
  const msg = media("video", 1000, 9000);
  const format = { chunkSize: 4096, csid: 7, streamId: 1 };
  const a = cache.chunks(msg, format);
  const b = cache.chunks(msg, { ...format });
  assert.equal(a, b, "the very same Uint8Array");
  assert.equal(cache.encoded, 1);
  const other = cache.chunks(msg, { ...format, streamId: 2 });
  assert.notEqual(other, a);
  assert.equal(cache.encoded, 2);
  assert.equal(other.buffer === a.buffer, false);
});

Deno.test("chunkMessage() starts every message with a type-0 header and an absolute timestamp", () => {
  const msgs = [media("audio", 10, 300), media("audio", 33, 300), media("video", 0x1000000, 200)];
  const bytes = msgs.map((m, i) =>
    chunkMessage(m, { chunkSize: 128, csid: m.kind === "audio" ? 6 : 7, streamId: i + 1 })
  );
  for (const b of bytes) assert.equal(b[0]! >> 6, 0, "fmt 0");
  // Extended timestamp: 0xFFFFFF in the header, the real value after it, repeated on type 3.
  const v = bytes[2]!;
  assert.deepEqual([...v.subarray(1, 4)], [0xff, 0xff, 0xff]);
  assert.deepEqual([...v.subarray(12, 16)], [0x01, 0x00, 0x00, 0x00]);
  const joined = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bytes) joined.set(b, (o += b.length) - b.length);
  const parsed = parse(joined, 128);
  assert.deepEqual(parsed.map((p) => [p.rec.type, p.rec.timestamp, p.rec.streamId]), [
    [8, 10, 1],
    [8, 33, 2],
    [9, 0x1000000, 3],
  ]);
  parsed.forEach((p, i) => assert.deepEqual(p.body, msgs[i]!.body));
});

Deno.test("shared chunks interleave with a connection's own messages on other chunk streams", () => {
  const cache = new ChunkCache();
  const own = new ChunkWriter({ chunkSize: 4096 });
  const parts: Uint8Array[] = [];
  const sent: [number, number][] = [];
  for (let i = 0; i < 20; i++) {
    const m = media(i % 3 === 0 ? "video" : "audio", i * 21, 100 + i * 300);
    parts.push(cache.chunks(m, { chunkSize: 4096, csid: m.kind === "audio" ? 6 : 7, streamId: 1 }));
    sent.push([m.kind === "audio" ? 8 : 9, m.timestamp]);
    if (i % 5 === 0) {
      parts.push(
        own.encode({ type: 20, csid: 5, streamId: 1, timestamp: 0, body: new Uint8Array(40) }),
      );
      sent.push([20, 0]);
    }
  }
  const all = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const p of parts) all.set(p, (o += p.length) - p.length);
  assert.deepEqual(parse(all, 4096).map((p) => [p.rec.type, p.rec.timestamp]), sent);
});
