/**
 * FFmpeg 8 from the npm package node-av, run as child processes with their own Deno config
 * (`test/ertmp/nodeav/deno.json`, `nodeModulesDir: "auto"` for the addon) so the project's
 * config stays as it is.
 * @module
 */

const DIR = new URL("./nodeav/", import.meta.url).pathname;

/** What publish.ts and read.ts print per stream. */
export interface StreamPackets {
  readonly encoder?: string;
  /** FFmpeg codec id (read.ts). */
  readonly codec?: number;
  readonly packets: number;
  readonly hashes: string[];
}

/** Runs one node-av script; throws with its stderr when it fails. */
export async function nodeAv(
  script: "publish.ts" | "read.ts",
  args: string[],
  timeoutMs = 120_000,
): Promise<StreamPackets[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", `${DIR}deno.json`, `${DIR}${script}`, ...args],
    cwd: DIR,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`node-av ${script} ${args.join(" ")} failed:\n${stderr}`);
    const line = stdout.trim().split("\n").at(-1) ?? "";
    return JSON.parse(line) as StreamPackets[];
  } finally {
    clearTimeout(timer);
  }
}

/** Null when node-av loads (installing it on first use), else the error it gave. */
export async function nodeAvError(): Promise<string | null> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--quiet",
      "--config",
      `${DIR}deno.json`,
      'const { OutputFormat } = await import("node-av"); if (!OutputFormat.guessFormat("flv")) throw new Error("no flv muxer");',
    ],
    cwd: DIR,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return out.success ? null : new TextDecoder().decode(out.stderr).trim();
}
