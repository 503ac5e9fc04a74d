/**
 * The differential fuzz loop: build case after case, run both parsers, count what they did,
 * and hand each disagreement to the caller (shrunk, and checked on a freshly compiled WASM
 * module), bounded by time and case count.
 * @module
 */

import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { type CorpusEntry, type FuzzCase, makeCase } from "./cases.ts";
import {
  type Differential,
  differential,
  errorKind,
  type FuzzInput,
  type MakeParser,
} from "./differential.ts";
import { saveRegression } from "./regressions.ts";
import { shrinkInput } from "./shrink.ts";

/** A case on which the parsers disagreed. */
export interface FoundFailure {
  readonly fuzzCase: FuzzCase;
  readonly result: Differential;
  /** The smallest input found that still disagrees (null when not shrunk). */
  readonly shrunk: { readonly input: FuzzInput; readonly result: Differential } | null;
  /** Whether the case also disagrees on a freshly compiled module (no pooled instance). */
  readonly freshModule: boolean;
}

/** Options for {@linkcode runFuzz}. */
export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many seconds. */
  readonly seconds: number;
  /** Stop after this many cases (default no limit). */
  readonly maxCases?: number;
  /** Start at this case number (default 0). */
  readonly firstCase?: number;
  readonly corpus: readonly CorpusEntry[];
  /** The WASM factory; a failure is re-checked on a freshly compiled one. */
  readonly makeWasm: MakeParser;
  /** Called for each disagreement worth saving (the first few of each kind). */
  readonly onFailure?: (failure: FoundFailure) => void | Promise<void>;
  /** Fail on the known divergences too (default: count them apart). */
  readonly strict?: boolean;
  /** Shrink at most this many failures (default 5). */
  readonly maxShrinks?: number;
  /** Called about every `progressMs` (default 10 000) with the totals so far. */
  readonly onProgress?: (stats: FuzzStats) => void;
  readonly progressMs?: number;
}

/** Totals of a fuzz run. */
export interface FuzzStats {
  readonly seed: number;
  cases: number;
  /** Messages both parsers emitted identically. */
  messages: number;
  /** Input bytes fed to each parser. */
  bytes: number;
  /** Cases by how they ended (error message with numbers as N), agreeing cases only. */
  readonly ends: Map<string, number>;
  /** Disagreeing cases by the kind of difference. */
  readonly mismatches: Map<string, number>;
  /** Cases that differed only by a known divergence (tolerated unless strict), by name. */
  readonly known: Map<string, number>;
  elapsedMs: number;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Runs cases from `firstCase` on until the time or the case budget is spent. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzStats> {
  const start = Date.now();
  const end = start + options.seconds * 1000;
  const last = (options.firstCase ?? 0) + (options.maxCases ?? Number.POSITIVE_INFINITY);
  const stats: FuzzStats = {
    seed: options.seed,
    cases: 0,
    messages: 0,
    bytes: 0,
    ends: new Map(),
    mismatches: new Map(),
    known: new Map(),
    elapsedMs: 0,
  };
  let shrinks = options.maxShrinks ?? 5;
  const compare = { tolerateKnown: options.strict !== true };
  let fresh: MakeParser | null = null;
  const every = options.progressMs ?? 10_000;
  let nextProgress = start + every;
  for (let index = options.firstCase ?? 0; index < last && Date.now() < end; index++) {
    if (options.onProgress !== undefined && Date.now() >= nextProgress) {
      nextProgress += every;
      stats.elapsedMs = Date.now() - start;
      options.onProgress(stats);
    }
    const fuzzCase = makeCase(options.seed, index, options.corpus);
    const result = differential(options.makeWasm, fuzzCase, compare);
    stats.cases++;
    stats.bytes += fuzzCase.bytes.length;
    if (result.mismatch === null) {
      if (result.known !== null) bump(stats.known, result.known);
      stats.messages += result.wasm.messages.length;
      bump(stats.ends, errorKind(result.js.error));
      continue;
    }
    const kind = result.mismatch.replace(/\d+/g, "N");
    bump(stats.mismatches, kind);
    if ((stats.mismatches.get(kind) ?? 0) > 3 || options.onFailure === undefined) continue;
    fresh ??= await loadWasmParser();
    const makeFresh = fresh;
    const freshModule = differential(makeFresh, fuzzCase, compare).mismatch !== null;
    let shrunk: FoundFailure["shrunk"] = null;
    if (shrinks-- > 0) {
      const make = freshModule ? makeFresh : options.makeWasm;
      // Keep the same shape of failure (how each parser ended) while shrinking.
      const shape = (r: Differential) => `${errorKind(r.js.error)} | ${errorKind(r.wasm.error)}`;
      const want = shape(result);
      const fails = (i: FuzzInput) => {
        const r = differential(make, i, compare);
        return r.mismatch !== null && shape(r) === want;
      };
      const input = shrinkInput(fuzzCase, fails);
      shrunk = { input, result: differential(make, input, compare) };
    }
    await options.onFailure({ fuzzCase, result, shrunk, freshModule });
  }
  stats.elapsedMs = Date.now() - start;
  return stats;
}

/** The stats as a few lines of text. */
export function formatStats(stats: FuzzStats): string {
  const secs = Math.max(stats.elapsedMs, 1) / 1000;
  const lines = [
    `seed ${stats.seed}: ${stats.cases} cases in ${secs.toFixed(1)} s ` +
    `(${Math.round(stats.cases / secs)} cases/s), ${stats.messages} messages compared, ` +
    `${(stats.bytes / 1e6).toFixed(1)} MB fed to each parser`,
    "ends (both parsers):",
    ...[...stats.ends].sort((a, b) => b[1] - a[1]).map(([k, n]) =>
      `  ${String(n).padStart(8)}  ${k}`
    ),
  ];
  if (stats.known.size > 0) {
    lines.push("KNOWN DIVERGENCES (tolerated; --strict fails on them; see differential.ts):");
    for (const [k, n] of stats.known) lines.push(`  ${String(n).padStart(8)}  ${k}`);
  }
  if (stats.mismatches.size > 0) {
    lines.push("DISAGREEMENTS:");
    for (const [k, n] of stats.mismatches) lines.push(`  ${String(n).padStart(8)}  ${k}`);
  }
  return lines.join("\n");
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

function ends(r: Differential): string {
  const one = (o: Differential["js"]) =>
    `${o.kind}: ${o.messages.length} messages, ` +
    (o.error === null
      ? `clean end, chunk size ${o.chunkSize}`
      : `${o.error.name} "${o.error.message}"`);
  return `    ${one(r.js)}\n    ${one(r.wasm)}`;
}

/**
 * Saves a failure under `dir` as `<seed>-<case>` (and `<seed>-<case>.min` when shrunk) and
 * returns a report: seed, case, recipe, the difference, and the shrunk bytes in hex.
 * When the files cannot be written (no permission), the report says so and carries the hex.
 */
export function saveFailure(dir: URL, f: FoundFailure): string {
  const { seed, index, recipe } = f.fuzzCase;
  const name = `${seed}-${index}`;
  const lines = [
    `PARSERS DISAGREE: seed ${seed} case ${index}` +
    (f.freshModule ? "" : " (only on a pooled instance, not on a fresh module)"),
    `  recipe: ${recipe}`,
    `  ${f.result.mismatch}`,
    ends(f.result),
  ];
  try {
    lines.push(`  saved ${saveRegression(dir, name, f.fuzzCase, { recipe, result: f.result })}`);
    if (f.shrunk !== null) {
      const info = { recipe: `shrunk from ${name}`, result: f.shrunk.result };
      lines.push(`  saved ${saveRegression(dir, `${name}.min`, f.shrunk.input, info)}`);
    }
  } catch (e) {
    lines.push(`  could not save (${e instanceof Error ? e.message : String(e)})`);
    if (f.fuzzCase.bytes.length <= 4096) lines.push(`  input: ${hex(f.fuzzCase.bytes)}`);
  }
  if (f.shrunk !== null) {
    const s = f.shrunk;
    lines.push(
      `  shrunk to ${s.input.bytes.length} bytes, reads ${
        JSON.stringify(s.input.reads.slice(0, 8))
      }` +
        `${s.input.reads.length > 8 ? "..." : ""}: ${s.result.mismatch}`,
      ends(s.result),
    );
    if (s.input.bytes.length <= 1024) lines.push(`  bytes: ${hex(s.input.bytes)}`);
  }
  return lines.join("\n");
}
