import assert from "node:assert/strict";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { concat, setChunkSizeBody } from "../parser/stream_gen.ts";
import { differential, knownDivergence } from "./differential.ts";
import { rawChunk } from "./mutate.ts";
import { loadRegressions } from "./regressions.ts";

const makeWasm = await loadWasmParser();

for (const r of loadRegressions()) {
  if (r.known === null) {
    Deno.test(`JS and WASM parsers agree on the saved fuzz input ${r.name}`, () => {
      const result = differential(makeWasm, r);
      assert.equal(result.mismatch, null);
    });
    continue;
  }
  Deno.test(`saved fuzz input ${r.name} still shows only the known "${r.known}" divergence`, () => {
    const result = differential(makeWasm, r);
    assert.notEqual(
      result.mismatch,
      null,
      `The parsers agree on ${r.name} now: remove "known" from ${r.name}.json`,
    );
    assert.equal(knownDivergence(result.js, result.wasm), r.known, result.mismatch ?? "");
  });
}

/** Chunks [from, to) of a message at chunk size 4096: type 0 first, then type 3. */
function part(csid: number, length: number, from: number, to: number): Uint8Array {
  const out: Uint8Array[] = [];
  for (let o = from; o < to; o += 4096) {
    const body = new Uint8Array(Math.min(4096, to - o));
    out.push(rawChunk(o === 0 ? { fmt: 0, csid, length, type: 9, body } : { fmt: 3, csid, body }));
  }
  return concat(out);
}

/**
 * A valid stream, default limits, no Abort: a 4.3 MB message in progress while `k` 100 KB
 * messages complete; then, in one read, a 50 KB message starts (the arena compacts), the
 * 4.3 MB one completes and an 8 338 608-byte one starts (8 MiB in flight: within the limit).
 * Built in code: as a file it would be 8.5 MB.
 */
function arenaAfterCompletions(k: number) {
  const x = 1050 * 4096 + 1000;
  const head = concat([
    rawChunk({ fmt: 0, csid: 2, type: 1, streamId: 0, body: setChunkSizeBody(4096) }),
    part(4, x, 0, x - 1000),
    ...Array.from({ length: k }, () => part(5, 100_000, 0, 100_000)),
  ]);
  const last = concat([
    part(6, 50_000, 0, 4096),
    rawChunk({ fmt: 3, csid: 4, body: new Uint8Array(1000) }),
    part(7, 8_388_608 - 50_000, 0, 4096),
  ]);
  const reads = Array.from(
    { length: Math.ceil(head.length / 65536) },
    (_, i) => Math.min(65536, head.length - i * 65536),
  );
  return { bytes: concat([head, last]), reads: [...reads, last.length], limits: {} };
}

Deno.test("JS and WASM parsers agree on a valid stream whose arena fills after completions", () => {
  // The filler count that fills the arena depends on the core's static layout: try a range.
  for (let k = 30; k <= 45; k++) {
    const r = differential(makeWasm, arenaAfterCompletions(k));
    assert.equal(r.mismatch, null, `k = ${k}`);
  }
});
