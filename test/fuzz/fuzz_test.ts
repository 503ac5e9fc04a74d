import assert from "node:assert/strict";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { loadFixtures } from "./fixtures.ts";
import { formatStats, runFuzz, saveFailure } from "./fuzz_loop.ts";
import { REGRESSIONS_DIR } from "./regressions.ts";

Deno.test("JS and WASM parsers agree on up to 20 s or 5000 random fuzz cases", async () => {
  const env = Deno.env.get("FUZZ_SEED");
  const seed = env === undefined ? crypto.getRandomValues(new Uint32Array(1))[0]! : Number(env);
  const corpus = (await loadFixtures()).map((f) => ({ name: f.name, bytes: f.chunks }));
  const reports: string[] = [];
  const stats = await runFuzz({
    seed,
    seconds: 20,
    maxCases: 5000,
    corpus,
    makeWasm: await loadWasmParser(),
    maxShrinks: 2,
    onFailure: (f) => {
      reports.push(saveFailure(REGRESSIONS_DIR, f));
    },
  });
  console.log(formatStats(stats));
  assert.equal(
    stats.mismatches.size,
    0,
    `seed ${seed} (rerun with FUZZ_SEED=${seed}):\n${reports.join("\n")}`,
  );
  assert.ok(stats.cases > 0);
});
