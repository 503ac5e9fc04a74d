/**
 * Differential fuzzing of the two chunk parsers (WASM core vs TypeScript reference).
 *
 * ```sh
 * deno task fuzz --seconds 60 [--seed S] [--cases N] [--case N] [--strict]
 * ```
 *
 * Prints cases run, messages compared, how cases ended (by error kind) and cases/s. A
 * disagreement prints the seed and case number and is saved to
 * `test/fixtures/fuzz-regressions/<seed>-<case>.bin` (+ `.json`), which needs
 * `--allow-write`; `--case N` rebuilds and reruns one case of `--seed`, prints it, and saves
 * it (shrunk too) when the parsers disagree.
 * `--strict` also fails on the known divergences (`KNOWN_DIVERGENCES` in
 * `test/fuzz/differential.ts`), which are otherwise counted apart.
 * @module
 */

import { parseArgs } from "node:util";
import { loadWasmParser } from "../src/parser/wasm_parser.ts";
import { type FuzzCase, makeCase } from "../test/fuzz/cases.ts";
import { describeMessage, differential, type MakeParser } from "../test/fuzz/differential.ts";
import { loadFixtures } from "../test/fuzz/fixtures.ts";
import { formatStats, runFuzz, saveFailure } from "../test/fuzz/fuzz_loop.ts";
import { REGRESSIONS_DIR } from "../test/fuzz/regressions.ts";

function integer(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`The --${flag} flag must be an integer of at least 0: got ${s}`);
  }
  return n;
}

/** Prints one case: its recipe and what each parser did. */
function printCase(c: FuzzCase, makeWasm: MakeParser, strict: boolean): void {
  const r = differential(makeWasm, c, { tolerateKnown: !strict });
  console.log(`seed ${c.seed} case ${c.index}: ${c.bytes.length} bytes\n  ${c.recipe}`);
  for (const o of [r.js, r.wasm]) {
    const end = o.error === null ? "clean end" : `${o.error.name}: ${o.error.message}`;
    const last = o.messages.at(-1);
    const lastText = last === undefined ? "none" : describeMessage(last);
    console.log(`  ${o.kind}: ${o.messages.length} messages (last: ${lastText}), ${end}`);
  }
  if (r.known !== null) console.log(`  known divergence: ${r.known}`);
  console.log(r.mismatch === null ? "  parsers agree" : `  DISAGREE: ${r.mismatch}`);
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: "string", default: "60" },
      seed: { type: "string" },
      cases: { type: "string" },
      case: { type: "string" },
      strict: { type: "boolean", default: false },
    },
  });
  const seconds = integer(values.seconds, "seconds") ?? 60;
  const seed = integer(values.seed, "seed") ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const corpus = (await loadFixtures()).map((f) => ({ name: f.name, bytes: f.chunks }));
  const makeWasm = await loadWasmParser();
  const one = integer(values.case, "case");
  if (one !== undefined) printCase(makeCase(seed, one, corpus), makeWasm, values.strict);
  else console.log(`Fuzzing for ${seconds} s with seed ${seed} (${corpus.length} fixtures)`);
  const stats = await runFuzz({
    seed,
    seconds,
    ...(one === undefined ? {} : { firstCase: one, maxCases: 1 }),
    ...(values.cases === undefined || one !== undefined
      ? {}
      : { maxCases: integer(values.cases, "cases")! }),
    corpus,
    makeWasm,
    strict: values.strict,
    onFailure: (f) => console.log(saveFailure(REGRESSIONS_DIR, f)),
    onProgress: (s) =>
      console.log(
        `  ${Math.round(s.elapsedMs / 1000)} s: ${s.cases} cases, ${s.messages} messages`,
      ),
    progressMs: 30_000,
  });
  console.log(formatStats(stats));
  return stats.mismatches.size === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
