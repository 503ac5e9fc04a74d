/**
 * Builds the WASM chunk parser with AssemblyScript's `asc`, or, with `--if-needed`, only when
 * an output of the target is missing or older than `asconfig.json` or a file under `assembly/`.
 *
 * ```sh
 * deno task build:wasm              # always compiles the release target
 * deno task build:wasm:if-needed    # what serve, test, check and bench depend on
 * ```
 *
 * Says one line on stderr when it compiles, nothing when it does not.
 * @module
 */

import { parseArgs } from "node:util";
import denoJson from "../deno.json" with { type: "json" };

/** A file and when it was last modified (`null`: it does not exist). */
export interface FileTime {
  readonly path: string;
  readonly mtimeMs: number | null;
}

/**
 * The files `asc` writes for `target` of an `asconfig.json`: `outFile`, `textFile`, and the
 * source map beside `outFile` when `sourceMap` is on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetOutputs } from "./build_wasm.ts";
 *
 * const asconfig = { targets: { debug: { outFile: "b/p.wasm", textFile: "b/p.wat", sourceMap: true } } };
 * assert.deepEqual(targetOutputs(asconfig, "debug"), ["b/p.wasm", "b/p.wat", "b/p.wasm.map"]);
 * ```
 */
export function targetOutputs(asconfig: unknown, target: string): string[] {
  const targets = field(asconfig, "targets");
  const t = field(targets, target);
  const outFile = field(t, "outFile");
  if (typeof outFile !== "string") {
    throw new Error(`asconfig.json has no outFile for target ${target}`);
  }
  const textFile = field(t, "textFile");
  const out = [outFile];
  if (typeof textFile === "string") out.push(textFile);
  if (field(t, "sourceMap") === true) out.push(`${outFile}.map`);
  return out;
}

/**
 * Why the outputs must be rebuilt, or `null` when every output exists and is at least as new
 * as every input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { staleReason } from "./build_wasm.ts";
 *
 * const inputs = [{ path: "assembly/chunk.ts", mtimeMs: 20 }];
 * assert.equal(staleReason(inputs, [{ path: "build/parser.wasm", mtimeMs: 30 }]), null);
 * assert.equal(
 *   staleReason(inputs, [{ path: "build/parser.wasm", mtimeMs: 10 }]),
 *   "assembly/chunk.ts is newer than build/parser.wasm",
 * );
 * ```
 */
export function staleReason(
  inputs: readonly FileTime[],
  outputs: readonly FileTime[],
): string | null {
  let oldest: FileTime | undefined;
  for (const o of outputs) {
    if (o.mtimeMs === null) return `${o.path} is missing`;
    if (oldest === undefined || o.mtimeMs < (oldest.mtimeMs ?? 0)) oldest = o;
  }
  if (oldest === undefined) return "the target has no outputs";
  for (const i of inputs) {
    if (i.mtimeMs !== null && i.mtimeMs > (oldest.mtimeMs ?? 0)) {
      return `${i.path} is newer than ${oldest.path}`;
    }
  }
  return null;
}

function field(o: unknown, key: string): unknown {
  return typeof o === "object" && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

function mtime(path: string): FileTime {
  try {
    return { path, mtimeMs: Deno.statSync(path).mtime?.getTime() ?? null };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { path, mtimeMs: null };
    throw e;
  }
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...filesUnder(path));
    else if (e.isFile) out.push(path);
  }
  return out;
}

/** Runs asc through Deno with the `assemblyscript` version pinned in deno.json. */
async function compile(target: string): Promise<number> {
  const asc = `${denoJson.imports.assemblyscript}/asc`;
  const args = ["run", "--allow-read", "--allow-write", "--allow-env", asc];
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [...args, "--config", "asconfig.json", "--target", target],
    stdin: "null",
    // asc's errors (type errors in assembly/) must reach the terminal: output() pipes by default.
    stdout: "inherit",
    stderr: "inherit",
  });
  return (await cmd.output()).code;
}

async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { target: { type: "string", default: "release" }, "if-needed": { type: "boolean" } },
  });
  const target = values.target;
  const outputs = targetOutputs(JSON.parse(Deno.readTextFileSync("asconfig.json")), target)
    .map(mtime);
  const inputs = [mtime("asconfig.json"), ...filesUnder("assembly").map(mtime)];
  const reason = values["if-needed"] === true ? staleReason(inputs, outputs) : "asked to";
  if (reason === null) return 0;
  const names = outputs.map((o) => o.path).join(", ");
  console.error(`Building ${names} (${target}): ${reason}`);
  return await compile(target);
}

if (import.meta.main) Deno.exit(await run(Deno.args));
