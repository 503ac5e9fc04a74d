/**
 * `deno task bench:e2e`: our server and nginx-rtmp under the same load, side by side.
 *
 * For each server: one publisher flooding (CPU seconds per GB ingested, recording on), then
 * 10 / 50 / 100 / 200 publishers in real time at about 4 Mbit/s each (CPU %, RSS, capture %,
 * connect-to-Publish.Start latency). Every recording is checked with ffprobe against the
 * frames sent. Then thousands of small streams (`--many`, default 1000): N publishers of a
 * 640x360 file at about 0.95 Mbit/s (`--kbps`), recording off (on with `--many-record`), the load tool in `--eager`
 * mode; a session closed by a limit or a publisher error fails the run. With `--fanout`, one real-time publisher and N players of its stream (CPU per
 * delivered GB, frames delivered to every player, delivery lag, play → first keyframe). A fresh
 * server per scenario; every process started here is stopped here.
 *
 * ```sh
 * deno task bench:e2e
 * deno task bench:e2e --steps 10,50 --seconds 10 --server ours --parser js
 * deno task bench:e2e --steps= --flood-seconds 0 --many 1000,2000 --kbps 850 --seconds 30
 * deno task bench:e2e --fanout 100,300,500 --seconds 20 --server both
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { ensureTestFlv } from "./e2e_capture.ts";
import { clockTicks } from "./e2e_proc.ts";
import { runScenario, type Scenario, type ScenarioResult } from "./e2e_scenario.ts";
import { ensureNginx, type ServerProcess, startNginx, startOurs } from "./e2e_servers.ts";
import { formatTable } from "./e2e_table.ts";
import { ensureSmallFlv } from "./e2e_many.ts";

const USAGE = `Usage: deno task bench:e2e [options]

  --steps N,N,...      real-time publisher counts (default 10,50,100,200; none with --fanout)
  --fanout N,N,...     1 publisher and N players each (default none)
  --many N,N,...       low-bitrate publishers, recording off (default 1000; none with --fanout)
  --kbps K             video kbit/s of the --many file (default 850; audio 96)
  --many-record        --many with recording on: disk MB/s written, and ffprobe checks 20
                       recordings spread over the publishers (the Node loader also counts the
                       sequence headers it re-sends each loop, so "exact" stays 0: read capture %)
  --probe N            --many: N connect probe sessions from an idle second process while the
                       publishers stream (default 40; 0: none)
  --seconds S          sending (fan-out: playing) time per step (default 20)
  --flood-seconds S    sending time of the flood run (default 10, 0 with --fanout; 0 skips it)
  --server W           ours | nginx | both (default both)
  --parser P           js | wasm, for our server (default wasm)
  --flv FILE           test file (default: a 720p30 ~4 Mbit/s H.264/AAC file made once)
  --out FILE           also write the results as JSON`;

/** Recordings ffprobe checks in a `--many-record` run. */
const MANY_CAPTURE_SAMPLE = 20;

interface Options {
  readonly steps: readonly number[];
  readonly fanout: readonly number[];
  readonly many: readonly number[];
  readonly kbps: number;
  readonly manyRecord: boolean;
  readonly probe: number;
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
    // A server for `publishers` sessions; `record: false` for the many-publishers scenario.
    type Starter = (dir: string, publishers: number, record: boolean) => Promise<ServerProcess>;
    const starters: Starter[] = [];
    for (const kind of opts.servers) {
      if (kind === "ours") {
        starters.push((recordDir, n, record) =>
          startOurs({
            recordDir,
            parser: opts.parser,
            record,
            // Room for every publisher above the default --max-connections (1000).
            args: ["--max-connections", String(Math.max(1000, n + 100))],
          })
        );
      } else {
        const install = await ensureNginx(log);
        if (install === null) log("nginx-rtmp unavailable: skipping it");
        else {
          starters.push(async (recordDir, _n, record) =>
            startNginx(install, {
              recordDir,
              record,
              workDir: await Deno.makeTempDir({ dir: tmpRoot, prefix: "nginx-" }),
            })
          );
        }
      }
    }
    const small = opts.many.length > 0 ? await ensureSmallFlv(cache, opts.kbps) : flv;
    const plan: {
      publishers: number;
      players: number;
      seconds: number;
      flood: boolean;
      kbps?: number;
    }[] = [
      ...(opts.floodSeconds > 0
        ? [{ publishers: 1, players: 0, seconds: opts.floodSeconds, flood: true }]
        : []),
      ...opts.steps.map((n) => ({
        publishers: n,
        players: 0,
        seconds: opts.seconds,
        flood: false,
      })),
      ...opts.fanout.map((n) => ({
        publishers: 1,
        players: n,
        seconds: opts.seconds,
        flood: false,
      })),
      ...opts.many.map((n) => ({
        publishers: n,
        players: 0,
        seconds: opts.seconds,
        flood: false,
        kbps: opts.kbps,
      })),
    ];
    for (const step of plan) {
      for (const start of starters) {
        const many = step.kbps !== undefined;
        const sc: Scenario = {
          ...step,
          start: (dir) => start(dir, step.publishers, !many || opts.manyRecord),
          flv: many ? small : flv,
          tmpRoot,
          ticks,
          // Many small streams: the Node loader, whose writes go straight into the kernel (one Deno
          // process's async writes fall seconds behind at 1000 x 50 writes/s: bench/README.md).
          ...(many
            ? {
              record: opts.manyRecord,
              ...(opts.manyRecord ? { captureSample: MANY_CAPTURE_SAMPLE } : {}),
              loader: "node",
              loadArgs: ["--connect-parallel", "20"],
              probe: opts.probe,
            }
            : {}),
        };
        const what = step.players > 0
          ? `fan-out, 1 publisher, ${step.players} players`
          : many
          ? `${step.publishers} publishers at ${step.kbps! + 96} kbit/s${
            opts.manyRecord ? ", recording" : ""
          }`
          : `${step.flood ? "flood" : "real time"}, ${step.publishers} publishers`;
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
      `Deno ${Deno.version.deno}, test file ${flv}` +
      `${opts.many.length > 0 ? ` (--many: ${await ensureSmallFlv(cache, opts.kbps)})` : ""}\n`,
  );
  console.log(formatTable(results));
  if (opts.out !== undefined) await Deno.writeTextFile(opts.out, JSON.stringify(results, null, 2));
  // Many small streams: no live socket may go unread (a limit close) and no publisher may fail.
  const bad = results.filter((r) =>
    r.error !== null ||
    (r.kbps !== undefined && ((r.limitCloses ?? 0) > 0 || (r.load?.errors.length ?? 0) > 0))
  );
  for (const r of bad.filter((x) => x.error === null)) {
    console.error(
      `FAIL ${r.server}, ${r.publishers} publishers: ${r.limitCloses} sessions closed by a ` +
        `limit${r.limitReasons ? ` (${r.limitReasons})` : ""}, ` +
        `${r.load?.errors.length ?? "?"} publisher errors`,
    );
  }
  return bad.length > 0 ? 1 : 0;
}

function summary(r: ScenarioResult): string {
  if (r.error !== null) return `failed: ${r.error.split("\n")[0]}`;
  const pct = (x: number | null) => x === null ? "-" : x.toFixed(0);
  const p = r.play;
  if (p !== null) {
    return `CPU ${pct(r.cpuPercent)}%, ${p.complete}/${p.players} players complete, ` +
      `lag p99 ${p.lagP99Ms} ms, first key p50 ${p.firstKeyP50Ms} ms, errors ${p.errors.length}`;
  }
  return `CPU ${pct(r.cpuPercent)}%, ${r.load?.mbPerSecond.toFixed(1)} MB/s, ` +
    `capture ${r.capture === null ? "off" : `${r.capture.percent.toFixed(2)}%`}, ` +
    `errors ${r.load?.errors.length}, limit closes ${r.limitCloses ?? "-"}`;
}

function parseOptions(args: string[]): Options | string {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        steps: { type: "string" },
        fanout: { type: "string", default: "" },
        many: { type: "string" },
        kbps: { type: "string", default: "850" },
        "many-record": { type: "boolean", default: false },
        probe: { type: "string", default: "40" },
        seconds: { type: "string", default: "20" },
        "flood-seconds": { type: "string" },
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
  const fanning = values.fanout !== "";
  const counts = (text: string) => text.split(",").filter((s) => s !== "").map(Number);
  const steps = counts(values.steps ?? (fanning ? "" : "10,50,100,200"));
  if (steps.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
    return `--steps must be integers in 1..1000: got ${values.steps}`;
  }
  const fanout = counts(values.fanout);
  if (fanout.some((n) => !Number.isInteger(n) || n < 1 || n > 2000)) {
    return `--fanout must be integers in 1..2000: got ${values.fanout}`;
  }
  const many = counts(values.many ?? (fanning ? "" : "1000"));
  if (many.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    return `--many must be integers in 1..5000: got ${values.many}`;
  }
  const kbps = Number(values.kbps);
  if (!Number.isInteger(kbps) || kbps < 50 || kbps > 20_000) {
    return `--kbps must be an integer in 50..20000: got ${values.kbps}`;
  }
  const probe = Number(values.probe);
  if (!Number.isInteger(probe) || probe < 0 || probe > 1000) {
    return `--probe must be an integer in 0..1000: got ${values.probe}`;
  }
  const seconds = Number(values.seconds);
  const floodSeconds = Number(values["flood-seconds"] ?? (fanning ? "0" : "10"));
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
    fanout,
    many,
    kbps,
    manyRecord: values["many-record"],
    probe,
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
