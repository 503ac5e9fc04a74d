/**
 * Copies the API reference page's script (Scalar's single-file browser bundle) out of its npm
 * package into `build/`, so `/docs` serves it itself and never loads it from a CDN at run time.
 * The package comes through `npm pack` (which checks the registry's integrity hash) at a pinned
 * version, and the extracted file must match a pinned SHA-256.
 *
 * ```sh
 * deno task build:docs              # always fetches and copies
 * deno task build:docs:if-needed    # only when build/scalar-api-reference.js is missing
 * ```
 * @module
 */

import { parseArgs } from "node:util";

/** The npm package and version whose browser bundle `/docs` uses. */
export const SCALAR_PACKAGE = "@scalar/api-reference@1.76.0";
/** The bundle inside the package. */
export const SCALAR_FILE = "package/dist/browser/standalone.js";
/** SHA-256 of that file at that version. */
export const SCALAR_SHA256 = "dcb027152bf20bf2f6dcd66e8f9fb073c1a9e274cf0b94b939a7d99ab8947060";
/** Where the bundle is written (the server reads it from here). */
export const DOCS_SCRIPT_PATH = "build/scalar-api-reference.js";

/**
 * The hex SHA-256 of `bytes`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./build_docs.ts";
 *
 * assert.equal(
 *   await sha256Hex(new TextEncoder().encode("abc")),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${err}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Fetches the package with `npm pack`, extracts the bundle, checks it and writes it to `dest`. */
export async function buildDocsScript(dest: string): Promise<void> {
  const tmp = await Deno.makeTempDir({ prefix: "rtmp-edge-docs-" });
  try {
    const tarball = (await run("npm", ["pack", SCALAR_PACKAGE, "--silent"], tmp)).split("\n").at(
      -1,
    )!;
    await run("tar", ["xzf", tarball, SCALAR_FILE], tmp);
    const bytes = await Deno.readFile(`${tmp}/${SCALAR_FILE}`);
    const sum = await sha256Hex(bytes);
    if (sum !== SCALAR_SHA256) {
      throw new Error(`${SCALAR_PACKAGE} ${SCALAR_FILE} has SHA-256 ${sum}, not ${SCALAR_SHA256}`);
    }
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")) || ".", { recursive: true });
    await Deno.writeFile(`${dest}.tmp`, bytes);
    await Deno.rename(`${dest}.tmp`, dest);
    console.error(`Wrote ${dest} (${bytes.length} bytes) from ${SCALAR_PACKAGE}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { "if-needed": { type: "boolean" } } });
  const exists = await Deno.stat(DOCS_SCRIPT_PATH).then(() => true, () => false);
  if (!values["if-needed"] || !exists) await buildDocsScript(DOCS_SCRIPT_PATH);
}
