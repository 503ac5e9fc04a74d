import assert from "node:assert/strict";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { ChunkParser } from "../../src/parser/types.ts";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { ChunkWriter } from "../../src/rtmp/chunk_writer.ts";
import { prng } from "./stream_gen.ts";

/** Reads of random sizes (1 byte to 80 KiB), each drained; the view lengths offered, in order. */
function offers(parser: ChunkParser, bytes: Uint8Array, seed: number): number[] {
  const rnd = prng(seed);
  const out: number[] = [];
  for (let o = 0; o < bytes.length;) {
    const want = 1 + Math.floor(rnd() * (rnd() < 0.3 ? 80_000 : 3_000));
    let piece = bytes.subarray(o, Math.min(bytes.length, o + want));
    while (piece.length > 0) {
      const w = parser.writable();
      out.push(w.length);
      const n = Math.min(w.length, piece.length);
      w.set(piece.subarray(0, n));
      parser.commit(n);
      parser.drain(() => {});
      o += n;
      piece = piece.subarray(n);
    }
  }
  return out;
}

Deno.test("both parsers offer the same read sizes at every step, whatever the reads", async () => {
  const makeWasm = await loadWasmParser();
  const w = new ChunkWriter();
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 400; i++) {
    const size = i % 30 === 0 ? 60_000 : 200 + (i * 7919) % 9_000;
    const body = new Uint8Array(size).fill(i & 0xff);
    parts.push(w.encode({ type: 9, csid: 6, streamId: 1, timestamp: i * 33, body }));
    const audio = body.subarray(0, 300);
    parts.push(w.encode({ type: 8, csid: 4, streamId: 1, timestamp: i * 33, body: audio }));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (bytes.set(p, o), o + p.length), 0);
  for (const seed of [1, 2, 3, 4, 5]) {
    using js = createJsParser();
    using wasm = makeWasm();
    const a = offers(js, bytes, seed);
    const b = offers(wasm, bytes, seed);
    assert.deepEqual(a, b, `seed ${seed}`);
    assert.ok(a.some((n) => n < 16384 - 64) && a.some((n) => n === 16384), "sizes vary");
  }
});
