import assert from "node:assert/strict";
import { createJsParser } from "../../src/parser/js_parser.ts";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { loadFixtures, summarizeRecords } from "../fuzz/fixtures.ts";
import { type Collected, feed, prng } from "./stream_gen.ts";

const fixtures = await loadFixtures();
const makeWasm = await loadWasmParser();

/** Random read sizes, 1 byte to 64 KiB, log-uniform so small reads are common. */
function randomSizes(seed: number): number[] {
  const rnd = prng(seed);
  return Array.from({ length: 257 }, () => Math.max(1, Math.floor(2 ** (rnd() * 16))));
}

const READS: readonly { name: string; sizes: (i: number) => number[] }[] = [
  { name: "1-byte reads", sizes: () => [1] },
  { name: "1460-byte reads", sizes: () => [1460] },
  { name: "65536-byte reads", sizes: () => [65536] },
  { name: "random reads", sizes: (i) => randomSizes(0x5eed + i) },
];

function header(m: Collected): number[] {
  return [m.type, m.csid, m.streamId, m.timestamp, m.length];
}

Deno.test("the captures directory holds the FFmpeg, GStreamer and synthetic fixtures", () => {
  const names = fixtures.map((f) => f.name);
  for (const prefix of ["ffmpeg_", "gst_rtmp2sink_", "gst_rtmpsink_", "synthetic_"]) {
    assert.ok(names.some((n) => n.startsWith(prefix)), `a fixture named ${prefix}*`);
  }
  for (const f of fixtures) assert.equal(f.raw.length, f.summary.bytes, f.name);
});

for (const [i, fixture] of fixtures.entries()) {
  for (const reads of READS) {
    Deno.test(`JS and WASM parsers agree on ${fixture.name} in ${reads.name}`, () => {
      const sizes = reads.sizes(i);
      using js = createJsParser();
      using wasm = makeWasm();
      const a = feed(js, fixture.chunks, sizes);
      const b = feed(wasm, fixture.chunks, sizes);
      const { messages, bodyBytes, types } = fixture.summary;
      assert.deepEqual(summarizeRecords(a), { messages, bodyBytes, types }, "JS vs the summary");
      assert.equal(b.length, a.length, "message count");
      for (let k = 0; k < a.length; k++) {
        assert.deepEqual(header(b[k]!), header(a[k]!), `message ${k} header`);
        assert.ok(
          b[k]!.body.length === a[k]!.body.length &&
            b[k]!.body.every((x, j) => x === a[k]!.body[j]),
          `message ${k} body`,
        );
      }
    });
  }
}
