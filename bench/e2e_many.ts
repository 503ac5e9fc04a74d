/**
 * `deno task bench:many`: thousands of small streams per edge. Ours and nginx-rtmp under
 * N publishers of a low-bitrate file (640x360, about 0.95 Mbit/s by default), recording off,
 * the load tool in `--eager` mode (each 20 ms tick writes what is due without waiting for
 * earlier writes, like one Node process with 1000 sockets). Fails (exit 1) when any of our
 * sessions was closed by a limit or any publisher saw an error: no live socket may go unread.
 *
 * ```sh
 * deno task bench:many
 * deno task bench:many --publishers 1000,2000 --kbps 950 --seconds 30 --server both
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { ensureClip } from "./e2e_capture.ts";
import { clockTicks } from "./e2e_proc.ts";
import { runScenario, type ScenarioResult } from "./e2e_scenario.ts";
import { ensureNginx, type ServerProcess, startNginx, startOurs } from "./e2e_servers.ts";
import { formatTable } from "./e2e_table.ts";

const USAGE = `Usage: deno task bench:many [options]

  --publishers N,N,... publisher counts (default 1000)
  --kbps K             video bitrate of the test file in kbit/s (default 850; audio 96)
  --seconds S          sending time per step (default 30)
  --server W           ours | nginx | both (default both)
  --parser P           js | wasm, for our server (default wasm)
  --paced              wait for each write before the next (the load tool's default mode)
  --out FILE           also write the results as JSON`;

interface Options {
  readonly publishers: readonly number[];
  readonly kbps: number;
  readonly seconds: number;
  readonly servers: readonly ("ours" | "nginx")[];
  readonly parser: "js" | "wasm";
  readonly eager: boolean;
  readonly out: string | undefined;
}

/** Runs the benchmark with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const opts = parseOptions(args);
  if (typeof opts === "string") {
    console.error(opts);
    return 2;
  }
  const log = (line: string) => console.error(`many: ${line}`);
  const home = Deno.env.get("HOME") ?? "/tmp";
  const cache = `${Deno.env.get("XDG_CACHE_HOME") ?? `${home}/.cache`}/rtmp-edge`;
  const flv = await ensureSmallFlv(cache, opts.kbps);
  const tmpRoot = await Deno.makeTempDir({ prefix: "rtmp-edge-many-" });
  const ticks = clockTicks();
  const results: ScenarioResult[] = [];
  try {
    const starters: ((dir: string, publishers: number) => Promise<ServerProcess>)[] = [];
    for (const kind of opts.servers) {
      if (kind === "ours") {
        // Room for every publisher above the default --max-connections (1000).
        const args = (n: number) => ["--max-connections", String(Math.max(1000, n + 100))];
        starters.push((recordDir, n) =>
          startOurs({ recordDir, parser: opts.parser, record: false, args: args(n) })
        );
        continue;
      }
      const install = await ensureNginx(log);
      if (install === null) {
        log("nginx-rtmp unavailable: skipping it");
        continue;
      }
      starters.push(async (recordDir) =>
        startNginx(install, {
          recordDir,
          record: false,
          workDir: await Deno.makeTempDir({ dir: tmpRoot, prefix: "nginx-" }),
        })
      );
    }
    for (const publishers of opts.publishers) {
      for (const start of starters) {
        log(`${publishers} publishers, ${opts.seconds} s ...`);
        const r = await runScenario({
          start: (dir) => start(dir, publishers),
          publishers,
          players: 0,
          seconds: opts.seconds,
          flood: false,
          flv,
          record: false,
          loadArgs: opts.eager ? ["--eager", "--connect-parallel", "20"] : [],
          tmpRoot,
          ticks,
        });
        results.push(r);
        log(
          `${r.server}: CPU ${r.cpuPercent?.toFixed(0)} %, limit closes ${r.limitCloses}, ` +
            `errors ${r.load?.errors.length}${r.error === null ? "" : `, failed: ${r.error}`}`,
        );
      }
    }
  } finally {
    await Deno.remove(tmpRoot, { recursive: true }).catch(() => {});
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}, Deno ${Deno.version.deno}, ${flv}\n`);
  console.log(formatTable(results));
  if (opts.out !== undefined) await Deno.writeTextFile(opts.out, JSON.stringify(results, null, 2));
  const bad = results.filter((r) =>
    r.error !== null || (r.limitCloses ?? 0) > 0 || (r.load?.errors.length ?? 0) > 0
  );
  for (const r of bad) {
    console.error(
      `FAIL ${r.server}, ${r.publishers} publishers: ${r.limitCloses} sessions closed by a ` +
        `limit${r.limitReasons ? ` (${r.limitReasons})` : ""}, ` +
        `${r.load?.errors.length ?? "?"} publisher errors${r.error ? `, ${r.error}` : ""}`,
    );
  }
  return bad.length > 0 ? 1 : 0;
}

/** The 640x360 H.264 + AAC test file at `kbps` video, 10 s, made once into the cache dir. */
export function ensureSmallFlv(cacheDir: string, kbps: number): Promise<string> {
  return ensureClip(cacheDir, {
    name: `bench-360p30-${kbps}k-10s.flv`,
    size: "640x360",
    kbps,
    maxKbps: kbps + 50,
    bufferKbits: 2 * kbps,
    audioKbps: 96,
  });
}

function parseOptions(args: string[]): Options | string {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        publishers: { type: "string", default: "1000" },
        kbps: { type: "string", default: "850" },
        seconds: { type: "string", default: "30" },
        server: { type: "string", default: "both" },
        parser: { type: "string", default: "wasm" },
        paced: { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}\n${USAGE}`;
  }
  if (values.help) return USAGE;
  const publishers = values.publishers.split(",").filter((s) => s !== "").map(Number);
  if (publishers.length === 0 || publishers.some((n) => !Number.isInteger(n) || n < 1)) {
    return `--publishers must be positive integers: got ${values.publishers}`;
  }
  const kbps = Number(values.kbps);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(kbps) || kbps < 50 || kbps > 20_000) {
    return `--kbps must be an integer in 50..20000: got ${values.kbps}`;
  }
  if (!(seconds > 0 && seconds <= 600)) return `--seconds must be in (0, 600]: got ${seconds}`;
  const server = values.server;
  if (server !== "ours" && server !== "nginx" && server !== "both") {
    return `--server must be ours, nginx or both: got ${server}`;
  }
  const parser = values.parser;
  if (parser !== "js" && parser !== "wasm") return `--parser must be js or wasm: got ${parser}`;
  return {
    publishers,
    kbps,
    seconds,
    servers: server === "both" ? ["ours", "nginx"] : [server],
    parser,
    eager: !values.paced,
    out: values.out,
  };
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
