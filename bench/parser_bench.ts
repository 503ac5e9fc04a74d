/**
 * Parser throughput: the WASM core against the TypeScript reference on synthetic publish
 * streams, fed in socket-sized reads. Run with `deno task bench`.
 * @module
 */

import { createJsParser } from "../src/parser/js_parser.ts";
import type { ChunkParser } from "../src/parser/types.ts";
import { loadWasmParser } from "../src/parser/wasm_parser.ts";
import { publishLike } from "../test/parser/stream_gen.ts";

const wasm = await loadWasmParser();

/** Feeds `bytes` through `parser` in reads of `read` bytes, as a socket loop would. */
function run(parser: ChunkParser, bytes: Uint8Array, read: number): number {
  let messages = 0;
  let sum = 0;
  const onMessage = (_rec: unknown, body: Uint8Array) => {
    messages++;
    sum += body.length;
  };
  for (let o = 0; o < bytes.length;) {
    const dst = parser.writable();
    const n = Math.min(dst.length, read, bytes.length - o);
    dst.set(bytes.subarray(o, o + n));
    parser.commit(n);
    parser.drain(onMessage);
    o += n;
  }
  return messages + sum;
}

for (const chunkSize of [128, 4096]) {
  const { bytes } = publishLike({ chunkSize, frames: 300, seed: 7 });
  const mib = (bytes.length / 1048576).toFixed(1);
  for (const read of [1460, 65536]) {
    const group = `${mib} MiB publish, chunk size ${chunkSize}, ${read}-byte reads`;
    // Parser creation (an instance and its memory for WASM) stays outside the timing.
    Deno.bench({ group, name: "js", baseline: true }, (b) => {
      using p = createJsParser();
      b.start();
      run(p, bytes, read);
      b.end();
    });
    Deno.bench({ group, name: "wasm" }, (b) => {
      using p = wasm();
      b.start();
      run(p, bytes, read);
      b.end();
    });
  }
}
