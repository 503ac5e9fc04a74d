/**
 * `deno task bench:e2e`: our server and nginx-rtmp under the same load, side by side.
 *
 * For each server: one publisher flooding (CPU seconds per GB ingested, recording on), then
 * 10 / 50 / 100 / 200 publishers in real time at about 4 Mbit/s each (CPU %, RSS, capture %,
 * connect-to-Publish.Start latency). Every recording is checked with ffprobe against the
 * frames sent. A fresh server per scenario; every process started here is stopped here.
 *
 * ```sh
 * deno task bench:e2e
 * deno task bench:e2e --steps 10,50 --seconds 10 --server ours --parser js
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { ensureTestFlv } from "./e2e_capture.ts";
import { clockTicks } from "./e2e_proc.ts";
import { runScenario, type Scenario, type ScenarioResult } from "./e2e_scenario.ts";
import { ensureNginx, type ServerProcess, startNginx, startOurs } from "./e2e_servers.ts";
import { formatTable } from "./e2e_table.ts";

const USAGE = `Usage: deno task bench:e2e [options]

  --steps N,N,...      real-time publisher counts (default 10,50,100,200)
  --seconds S          sending time per step (default 20)
  --flood-seconds S    sending time of the flood run (default 10; 0 skips it)
  --server W           ours | nginx | both (default both)
  --parser P           js | wasm, for our server (default wasm)
  --flv FILE           test file (default: a 720p30 ~4 Mbit/s H.264/AAC file made once)
  --out FILE           also write the results as JSON`;

interface Options {
  readonly steps: readonly number[];
  readonly seconds: number;
  readonly floodSeconds: number;
  readonly servers: readonly ("ours" | "nginx")[];
  readonly parser: "js" | "wasm";
  readonly flv: string | undefined;
  readonly out: string | undefined;
}

/** Runs the benchmark with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const opts = parseOptions(args);
  if (typeof opts === "string") {
    console.error(opts);
    return 2;
  }
  const log = (line: string) => console.error(`e2e: ${line}`);
  const home = Deno.env.get("HOME") ?? "/tmp";
  const cache = `${Deno.env.get("XDG_CACHE_HOME") ?? `${home}/.cache`}/rtmp-edge`;
  const flv = opts.flv ?? await ensureTestFlv(cache);
  const tmpRoot = await Deno.makeTempDir({ prefix: "rtmp-edge-e2e-" });
  const ticks = clockTicks();
  const results: ScenarioResult[] = [];
  try {
    const starters: ((dir: string) => Promise<ServerProcess>)[] = [];
    for (const kind of opts.servers) {
      if (kind === "ours") {
        starters.push((recordDir) => startOurs({ recordDir, parser: opts.parser }));
      } else {
        const install = await ensureNginx(log);
        if (install === null) log("nginx-rtmp unavailable: skipping it");
        else {
          starters.push(async (recordDir) =>
            startNginx(install, {
              recordDir,
              workDir: await Deno.makeTempDir({ dir: tmpRoot, prefix: "nginx-" }),
            })
          );
        }
      }
    }
    const plan: { publishers: number; seconds: number; flood: boolean }[] = [
      ...(opts.floodSeconds > 0
        ? [{ publishers: 1, seconds: opts.floodSeconds, flood: true }]
        : []),
      ...opts.steps.map((n) => ({ publishers: n, seconds: opts.seconds, flood: false })),
    ];
    for (const step of plan) {
      for (const start of starters) {
        const sc: Scenario = { ...step, start, flv, tmpRoot, ticks };
        const what = `${step.flood ? "flood" : "real time"}, ${step.publishers} publishers`;
        log(`${what}, ${step.seconds} s ...`);
        const r = await runScenario(sc);
        results.push(r);
        log(`${r.server}, ${what}: ${summary(r)}`);
      }
    }
  } finally {
    await Deno.remove(tmpRoot, { recursive: true }).catch(() => {});
  }
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(
    /model name\s*:\s*(.+)/,
  )?.[1];
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${navigator.hardwareConcurrency} cores (${
      cpu ?? "?"
    }), ` +
      `Deno ${Deno.version.deno}, test file ${flv}\n`,
  );
  console.log(formatTable(results));
  if (opts.out !== undefined) await Deno.writeTextFile(opts.out, JSON.stringify(results, null, 2));
  return results.some((r) => r.error !== null) ? 1 : 0;
}

function summary(r: ScenarioResult): string {
  if (r.error !== null) return `failed: ${r.error.split("\n")[0]}`;
  const pct = (x: number | null) => x === null ? "-" : x.toFixed(0);
  return `CPU ${pct(r.cpuPercent)}%, ${r.load?.mbPerSecond.toFixed(1)} MB/s, ` +
    `capture ${r.capture?.percent.toFixed(2)}%, errors ${r.load?.errors.length}`;
}

function parseOptions(args: string[]): Options | string {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        steps: { type: "string", default: "10,50,100,200" },
        seconds: { type: "string", default: "20" },
        "flood-seconds": { type: "string", default: "10" },
        server: { type: "string", default: "both" },
        parser: { type: "string", default: "wasm" },
        flv: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}\n${USAGE}`;
  }
  if (values.help) return USAGE;
  const steps = values.steps.split(",").filter((s) => s !== "").map(Number);
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
    return `--steps must be integers in 1..1000: got ${values.steps}`;
  }
  const seconds = Number(values.seconds);
  const floodSeconds = Number(values["flood-seconds"]);
  if (!(seconds > 0 && seconds <= 600)) {
    return `--seconds must be in (0, 600]: got ${values.seconds}`;
  }
  if (!(floodSeconds >= 0 && floodSeconds <= 600)) {
    return `--flood-seconds must be in [0, 600]: got ${values["flood-seconds"]}`;
  }
  const server = values.server;
  if (server !== "ours" && server !== "nginx" && server !== "both") {
    return `--server must be ours, nginx or both: got ${server}`;
  }
  const parser = values.parser;
  if (parser !== "js" && parser !== "wasm") return `--parser must be js or wasm: got ${parser}`;
  return {
    steps,
    seconds,
    floodSeconds,
    servers: server === "both" ? ["ours", "nginx"] : [server],
    parser,
    flv: values.flv,
    out: values.out,
  };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
