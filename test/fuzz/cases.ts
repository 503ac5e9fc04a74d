/**
 * Fuzz cases: a base stream (a captured fixture, a `publishLike()` stream with random
 * options, or a generated chunk list), random mutations, random read boundaries and
 * sometimes small limits. Case `index` of seed `seed` is made from its own PRNG, so any
 * case can be rebuilt alone.
 * @module
 */

import type { ParserLimits } from "../../src/parser/types.ts";
import { concat, prng, publishLike } from "../parser/stream_gen.ts";
import type { FuzzInput } from "./differential.ts";
import { generateChunks, int, pick } from "./gen.ts";
import { mutate } from "./mutate.ts";

/** A base stream the fuzzer may start from (a fixture's chunk stream). */
export interface CorpusEntry {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A built case and how it was made. */
export interface FuzzCase extends FuzzInput {
  readonly seed: number;
  readonly index: number;
  /** Base stream, mutations, read mode and limits, for the failure report. */
  readonly recipe: string;
}

/** The PRNG of case `index` under `seed`. */
export function casePrng(seed: number, index: number): () => number {
  return prng((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
}

/** Limit sets the fuzzer uses: few, so the WASM factory's per-limits pools stay few. */
export const LIMIT_SETS: readonly Partial<ParserLimits>[] = [
  {},
  {},
  {},
  {},
  {},
  {},
  { maxMessageSize: 0 },
  { maxMessageSize: 100 },
  { maxMessageSize: 4096 },
  { maxChunkStreams: 1 },
  { maxChunkStreams: 3 },
  { maxChunkStreams: 255 },
  { maxPartialBytes: 0 },
  { maxPartialBytes: 1000 },
  { maxPartialBytes: 65536 },
  { maxMessageSize: 70_000, maxPartialBytes: 70_000 },
  { maxMessageSize: 4096, maxChunkStreams: 4, maxPartialBytes: 10_000 },
];

function base(
  rnd: () => number,
  corpus: readonly CorpusEntry[],
  limits: Partial<ParserLimits>,
) {
  const r = rnd();
  if (r < 0.25 && corpus.length > 0) {
    const entry = pick(rnd, corpus);
    const end = rnd() < 0.5 ? entry.bytes.length : int(rnd, 0, entry.bytes.length);
    return {
      name: `${entry.name}[0,${end})`,
      bytes: entry.bytes.subarray(0, end),
      boundaries: null,
    };
  }
  if (r < 0.5) {
    const chunkSize = pick(rnd, [1, 2, 50, 128, 128, 129, 1000, 4096, 4096, 65536]);
    const opts = {
      chunkSize,
      frames: int(rnd, 0, chunkSize < 50 ? 6 : 60),
      interleave: rnd() < 0.5,
      startTs: pick(rnd, [0, 0, 1000, 0xfffff0, 0xffffff, 0xffffff00, int(rnd, 0, 0xffffffff)]),
      repeatExt: rnd() < 0.8,
      videoCsid: pick(rnd, [6, 6, 63, 64, 319, 320, 65599, int(rnd, 5, 65599)]),
      seed: int(rnd, 0, 0xffffff),
    };
    return {
      name: `publishLike(${JSON.stringify(opts)})`,
      bytes: publishLike(opts).bytes,
      boundaries: null,
    };
  }
  const chunks = generateChunks(rnd, { limits });
  const boundaries: number[] = [];
  let o = 0;
  for (const c of chunks) {
    boundaries.push(o);
    o += c.length;
  }
  boundaries.push(o);
  return { name: `generated(${chunks.length} chunks)`, bytes: concat(chunks), boundaries };
}

function reads(rnd: () => number, length: number): { reads: number[]; mode: string } {
  const r = rnd();
  if (r < 0.1) return { reads: [65536], mode: "65536" };
  if (r < 0.3) {
    const tiny = length <= 100_000 ? [1, 1, 2, 3, 7, 13] : [13];
    const size = pick(rnd, [...tiny, 128, 1460, 4096, 16384, 65535]);
    return { reads: [size], mode: String(size) };
  }
  const cap = pick(rnd, length <= 60_000 ? [16, 1460, 65536, 0] : [1460, 65536, 0]);
  const out: number[] = [];
  for (let total = 0; total < length && out.length < 4096;) {
    // cap 0: log-uniform 1..65536, so small and large reads both come up.
    const size = cap === 0 ? Math.max(1, Math.floor(2 ** (rnd() * 16))) : int(rnd, 1, cap);
    out.push(size);
    total += size;
  }
  return { reads: out.length > 0 ? out : [1], mode: cap === 0 ? "log-uniform" : `1..${cap}` };
}

/** Builds case `index` of `seed`. */
export function makeCase(seed: number, index: number, corpus: readonly CorpusEntry[]): FuzzCase {
  const rnd = casePrng(seed, index);
  const limits = pick(rnd, LIMIT_SETS);
  const b = base(rnd, corpus, limits);
  let bytes = b.bytes;
  const done: string[] = [];
  const count = rnd() < 0.35 ? 0 : int(rnd, 1, 4);
  for (let i = 0; i < count; i++) {
    const boundaries = i === 0 ? b.boundaries : null;
    const m = mutate(rnd, bytes, { boundaries, limits });
    bytes = m.bytes;
    done.push(m.what);
  }
  const r = reads(rnd, bytes.length);
  const recipe = `${b.name}; mutations [${done.join(", ")}]; reads ${r.mode}; limits ${
    JSON.stringify(limits)
  }`;
  return { seed, index, bytes, reads: r.reads, limits, recipe };
}
