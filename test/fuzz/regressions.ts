/**
 * Saved fuzz failures: `test/fixtures/fuzz-regressions/<seed>-<case>.bin` holds the input,
 * `<seed>-<case>.json` the read sizes, the limits and what each parser did. A shrunk input
 * is saved beside it as `<seed>-<case>.min.bin` (+ `.min.json`).
 * @module
 */

import type { ParserLimits } from "../../src/parser/types.ts";
import {
  describeMessage,
  type Differential,
  type FuzzInput,
  type Outcome,
} from "./differential.ts";

/** The directory of saved fuzz failures. */
export const REGRESSIONS_DIR: URL = new URL("../fixtures/fuzz-regressions/", import.meta.url);

/** A saved failure, loaded back. */
export interface Regression extends FuzzInput {
  readonly name: string;
  /** The known divergence it shows (see `KNOWN_DIVERGENCES`), or null: must agree. */
  readonly known: string | null;
}

/** What one parser did, briefly, for the `.json` beside a saved input. */
function brief(o: Outcome): Record<string, unknown> {
  return {
    messages: o.messages.length,
    last: o.messages.slice(-3).map(describeMessage),
    error: o.error,
    chunkSize: o.chunkSize,
    bytesFed: o.bytesFed,
  };
}

/** Writes `input` and its description as `<name>.bin` and `<name>.json` in `dir`; returns the path. */
export function saveRegression(
  dir: URL,
  name: string,
  input: FuzzInput,
  info: { readonly recipe: string; readonly result: Differential },
): string {
  Deno.mkdirSync(dir, { recursive: true });
  const bin = new URL(`${name}.bin`, dir);
  Deno.writeFileSync(bin, input.bytes);
  const json = {
    reads: input.reads,
    limits: input.limits,
    recipe: info.recipe,
    known: info.result.known,
    mismatch: info.result.mismatch,
    js: brief(info.result.js),
    wasm: brief(info.result.wasm),
  };
  Deno.writeTextFileSync(new URL(`${name}.json`, dir), JSON.stringify(json, null, 2) + "\n");
  return bin.pathname;
}

const LIMIT_KEYS = ["maxMessageSize", "maxChunkStreams", "maxPartialBytes"] as const;

function parseInput(
  text: string,
  name: string,
): Pick<Regression, "reads" | "limits" | "known"> {
  const v: unknown = JSON.parse(text);
  if (typeof v !== "object" || v === null || !("reads" in v) || !Array.isArray(v.reads)) {
    throw new TypeError(`Regression ${name}.json has no reads array`);
  }
  const reads = v.reads.map((x: unknown) => {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 1) {
      throw new TypeError(`Regression ${name}.json has a read size below 1: ${String(x)}`);
    }
    return x;
  });
  const raw: unknown = "limits" in v ? v.limits : {};
  const limits: { -readonly [K in keyof ParserLimits]?: number } = {};
  if (typeof raw === "object" && raw !== null) {
    for (const k of LIMIT_KEYS) {
      const x: unknown = (raw as Record<string, unknown>)[k];
      if (typeof x === "number") limits[k] = x;
    }
  }
  const known = "known" in v && typeof v.known === "string" ? v.known : null;
  return { reads, limits, known };
}

/** Loads every `*.bin` with its `.json` from `dir`, sorted by name; a missing dir is empty. */
export function loadRegressions(dir: URL = REGRESSIONS_DIR): Regression[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && e.name.endsWith(".bin")) names.push(e.name.slice(0, -4));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return names.sort().map((name) => ({
    name,
    bytes: Deno.readFileSync(new URL(`${name}.bin`, dir)),
    ...parseInput(Deno.readTextFileSync(new URL(`${name}.json`, dir)), name),
  }));
}
