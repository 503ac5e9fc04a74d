/**
 * `deno task compile`: builds `dist/rtmp-edge`, one self-contained executable with the WASM
 * core embedded (`--include build/parser.wasm`, read by `src/parser/wasm_parser.ts` through
 * `import.meta.url` as in development). Only the runtime's npm packages go in: the compile
 * runs with a config holding just those imports (pinned as in `deno.json`), so the build
 * tools (AssemblyScript, binaryen) and test peers stay out of the binary.
 *
 * ```
 * deno task compile                                        # dist/rtmp-edge (this machine's target)
 * deno task compile --target aarch64-unknown-linux-gnu     # dist/rtmp-edge-aarch64-unknown-linux-gnu
 * ```
 *
 * `deno compile` takes the runtime it wraps (`denort`, per target) from Deno's release server
 * once and caches it in `$DENO_DIR`, or from `DENORT_BIN`. Where neither can be had, this says
 * so and exits with {@linkcode NO_DENORT_EXIT}.
 * @module
 */

import { parseArgs } from "node:util";

/** The npm imports `src/main.ts` needs at run time; a new one goes here too. */
export const RUNTIME_IMPORTS: readonly string[] = ["hono", "@logtape/logtape"];

/** Permissions the binary runs with: those of `deno task serve`. */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-ffi", // src/record/stdout_pipe.ts (dup2 on stdout)
];

/** Exit code when the `denort` runtime for the target cannot be had (no network, no cache). */
export const NO_DENORT_EXIT = 3;

const ROOT = new URL("../", import.meta.url);

/** The `denort` archive `deno compile` caches for `target`, where this Deno keeps it. */
export function denortCachePath(denoDir: string, version: string, target: string): string {
  return `${denoDir}/dl/release/v${version}/denort-${target}.zip`;
}

/** Whether `deno compile` can get a runtime for `target` without a download. */
export async function denortAvailable(target = Deno.build.target): Promise<boolean> {
  if ((Deno.env.get("DENORT_BIN") ?? "") !== "") return true;
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string };
  try {
    await Deno.stat(denortCachePath(info.denoDir, Deno.version.deno, target));
    return true;
  } catch {
    return false;
  }
}

/** Writes the compile-only config next to the output; returns its path. */
async function compileConfig(dir: string): Promise<string> {
  const deno = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
    imports: Record<string, string>;
    compilerOptions: Record<string, unknown>;
  };
  const imports: Record<string, string> = {};
  for (const name of RUNTIME_IMPORTS) {
    const spec = deno.imports[name];
    if (spec === undefined) throw new Error(`deno.json has no import "${name}"`);
    imports[name] = spec;
  }
  const path = `${dir}/.compile.deno.json`;
  // No lock here: the pins are exact, and deno.json's lock also holds the build tools.
  const config = { imports, compilerOptions: deno.compilerOptions, lock: false };
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + "\n");
  return path;
}

/** Builds the executable; resolves to the process exit code. */
export async function compile(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { target: { type: "string" }, output: { type: "string" } },
    strict: true,
  });
  const target = values.target ?? Deno.build.target;
  const output = values.output ??
    (target === Deno.build.target ? "dist/rtmp-edge" : `dist/rtmp-edge-${target}`);
  const outDir = output.includes("/") ? output.slice(0, output.lastIndexOf("/")) : ".";
  await Deno.mkdir(outDir, { recursive: true });
  const config = await compileConfig(outDir);
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        ...["compile", "--config", config, ...PERMISSIONS],
        ...["--include", "build/parser.wasm", "--target", target, "--output", output],
        "src/main.ts",
      ],
      cwd: ROOT,
      stdout: "inherit",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    await Deno.stderr.write(run.stderr);
    if (run.success) {
      console.error(`Built ${output} (${target})`);
      return 0;
    }
    if (/denort/.test(stderr) && !(await denortAvailable(target))) {
      console.error(
        `\ndeno compile needs the denort runtime of Deno ${Deno.version.deno} for ${target}: ` +
          "it downloads it once from Deno's release server into $DENO_DIR, and that server " +
          "cannot be reached from here. Run this once where it can, or set DENORT_BIN to a " +
          `denort binary of Deno ${Deno.version.deno} for ${target}.`,
      );
      return NO_DENORT_EXIT;
    }
    return run.code === 0 ? 1 : run.code;
  } finally {
    await Deno.remove(config).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await compile(Deno.args));
