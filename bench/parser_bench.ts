/**
 * Parser throughput on the captured client streams (`test/fixtures/captures/`, handshake
 * stripped), fed as the server does in 1460-byte and 64 KiB reads: the JS parser (baseline),
 * the WASM parser, node-media-server v4's parser, and memcpy (the same read loop, no parsing) as
 * the ceiling. One iteration is one pass over a capture; the parser is made before and disposed
 * after the timed part. Run with `deno task bench`; `bench/parser_table.ts` prints the same as
 * MB/s in one table.
 * @module
 */

import { Buffer } from "node:buffer";
import { createJsParser } from "../src/parser/js_parser.ts";
import { loadWasmParser } from "../src/parser/wasm_parser.ts";
import { createNmsParser } from "./nms_parser.ts";
import {
  feedCopy,
  feedNms,
  feedParser,
  type Fixture,
  loadFixtures,
  READ_SIZES,
  Tally,
} from "./parser_table.ts";

const wasm = await loadWasmParser();
const fixtures = await loadFixtures();

/** The group label: capture, its size and chunk size, and the read size. */
function group(f: Fixture, read: number): string {
  const kb = (f.bytes.length / 1000).toFixed(0);
  return `${f.name} (${kb} kB, chunk size ${f.chunkSize}), ${read}-byte reads`;
}

for (const f of fixtures) {
  for (const read of READ_SIZES) {
    const g = group(f, read);
    const tally = new Tally();
    const ring = new Uint8Array(65536);
    // Nothing to set up, and too short for b.start()/b.end() (Deno ignores them below 10 µs).
    Deno.bench({ group: g, name: "memcpy" }, () => {
      feedCopy(ring, f.bytes, read);
    });
    Deno.bench({ group: g, name: "js", baseline: true }, (b) => {
      using p = createJsParser();
      b.start();
      feedParser(p, f.bytes, read, tally.onMessage);
      b.end();
    });
    Deno.bench({ group: g, name: "wasm" }, (b) => {
      using p = wasm();
      b.start();
      feedParser(p, f.bytes, read, tally.onMessage);
      b.end();
    });
    const sock = Buffer.alloc(65536);
    Deno.bench({ group: g, name: "nms" }, (b) => {
      const p = createNmsParser(tally.onNms);
      b.start();
      feedNms(p, sock, f.bytes, read);
      b.end();
    });
  }
}
