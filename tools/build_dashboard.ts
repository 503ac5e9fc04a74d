/**
 * Bundles the dashboard's browser code (`src/dashboard/client/`, with mpegts.js from npm) into
 * `build/dashboard.js` with `deno bundle`; with `--if-needed`, only when the bundle is missing
 * or older than a client source or `deno.json`. Says one line on stderr when it bundles.
 *
 * ```sh
 * deno task build:dashboard
 * deno task build:dashboard:if-needed   # what serve, test and check depend on
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { staleReason } from "./build_wasm.ts";

const root = new URL("../", import.meta.url);
const ENTRY = "src/dashboard/client/dashboard.ts";
const OUT = "build/dashboard.js";

function mtime(path: string): number | null {
  try {
    return Deno.statSync(new URL(path, root)).mtime?.getTime() ?? null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The client sources and the import map. */
function inputs(): string[] {
  const dir = "src/dashboard/client/";
  const files = [...Deno.readDirSync(new URL(dir, root))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => dir + e.name);
  return [...files, "deno.json"];
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { "if-needed": { type: "boolean" } } });
  const why = staleReason(
    inputs().map((path) => ({ path, mtimeMs: mtime(path) })),
    [{ path: OUT, mtimeMs: mtime(OUT) }],
  );
  if (values["if-needed"] && why === null) Deno.exit(0);
  console.error(`Bundling ${OUT}${why === null ? "" : ` (${why})`}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "browser", "--minify", "-o", OUT, ENTRY],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(out.code);
}
