/**
 * `deno task bench:memory`: what one publisher session costs our server, in V8 heap, external
 * (ArrayBuffer) memory, WASM memory and RSS. For each parser × GOP cache setting it runs a fresh
 * child process that starts the server in-process (recording off), measures it idle, opens N
 * publishers of the low-bitrate clip with the load tool (`tools/load.ts`, its own process),
 * waits until all publish and a settle time has passed, collects garbage and measures again.
 * Figures are (loaded − idle) / N. With `--marginal` the publishers come in two halves (two
 * load processes), measured after each: (loaded − half) / (N − N/2) is what one more session
 * adds, without the server-wide costs that load fills up once (the GOP budget, V8's new space).
 *
 * ```sh
 * deno task bench:memory
 * deno task bench:memory --publishers 1000 --parser wasm --gop on,off --settle 10
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { parseConfig } from "../src/config.ts";
import { systemClock } from "../src/clock.ts";
import { getLogger } from "@logtape/logtape";
import { jsParserFactory } from "../src/parser/js_parser.ts";
import { loadWasmParser } from "../src/parser/wasm_parser.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { ensureSmallFlv } from "./e2e_many.ts";
import {
  mallocFreeReader,
  type MemoryClasses,
  memoryClasses,
  perSession,
  wasmResidentSizes,
} from "./session_memory_classes.ts";
import { type HeapRow, summarizeHeap } from "./heap_summary.ts";
import v8 from "node:v8";

const USAGE = `Usage: deno task bench:memory [options]

  --publishers N    publishers (default 500)
  --kbps K          video bitrate of the test file in kbit/s (default 850; audio 96)
  --parser P,P      js, wasm or both (default wasm,js)
  --gop G,G         on, off or both (default on,off): GOP cache at its default bound, or 0
  --settle S        seconds after the last publish started before measuring (default 8)
  --snapshot        also print the heap's largest classes per session (a V8 heap snapshot)
  --marginal        also measure after the first half of the publishers: what one more adds
  --v8-flags F      V8 flags for the server's process besides --expose-gc (e.g. --max-semi-space-size=8)
  --json            print the results as JSON`;

/** One configuration's measurement, in bytes per publisher session. */
export interface MemoryResult {
  readonly parser: "js" | "wasm";
  readonly gop: "on" | "off";
  readonly publishers: number;
  /** Sessions publishing when measured. */
  readonly publishing: number;
  /** Sum of the streams' GOP caches when measured. */
  readonly gopCacheBytes: number;
  readonly idle: MemoryClasses;
  readonly loaded: MemoryClasses;
  readonly perSession: MemoryClasses;
  /**
   * V8's new space (young generation) idle, with the first half publishing (--marginal) and
   * loaded, in bytes: a server-wide cost that grows under load, part of "heap total" but not of
   * any session (when it grows after the half, the marginal figures carry it).
   */
  readonly newSpace: { readonly idle: number; readonly half?: number; readonly loaded: number };
  /** With --marginal: memory with the first half publishing, and (loaded − half) per session added. */
  readonly half?: { readonly publishing: number; readonly classes: MemoryClasses };
  readonly marginal?: MemoryClasses;
  /** Resident KiB of the WASM memories when loaded: median, 90th percentile, largest. */
  readonly wasmPerInstance: { readonly median: number; readonly p90: number; readonly max: number };
  /** With --snapshot: the heap's largest classes, loaded, bytes and counts per session. */
  readonly heapTop?: readonly HeapRow[];
}

const REPO = new URL("..", import.meta.url).pathname;
const KB = 1024;

/** Runs every configuration in its own child process; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      publishers: { type: "string", default: "500" },
      kbps: { type: "string", default: "850" },
      parser: { type: "string", default: "wasm,js" },
      gop: { type: "string", default: "on,off" },
      settle: { type: "string", default: "8" },
      child: { type: "boolean", default: false },
      flv: { type: "string" },
      json: { type: "boolean", default: false },
      snapshot: { type: "boolean", default: false },
      marginal: { type: "boolean", default: false },
      "v8-flags": { type: "string", default: "" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const publishers = Number(values.publishers);
  const settle = Number(values.settle);
  if (!Number.isInteger(publishers) || publishers < 1) {
    console.error(`--publishers must be a positive integer: got ${values.publishers}`);
    return 2;
  }
  if (values.child) {
    const parser = values.parser === "js" ? "js" : "wasm";
    const gop = values.gop === "off" ? "off" : "on";
    const r = await measure({
      parser,
      gop,
      publishers,
      settle,
      flv: values.flv ?? "",
      snapshot: values.snapshot,
      marginal: values.marginal,
    });
    console.log(JSON.stringify(r));
    return 0;
  }
  const home = Deno.env.get("HOME") ?? "/tmp";
  const cache = `${Deno.env.get("XDG_CACHE_HOME") ?? `${home}/.cache`}/rtmp-edge`;
  const flv = await ensureSmallFlv(cache, Number(values.kbps));
  const results: MemoryResult[] = [];
  for (const parser of values.parser.split(",")) {
    for (const gop of values.gop.split(",")) {
      console.error(`memory: ${parser}, GOP cache ${gop}, ${publishers} publishers ...`);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `--v8-flags=--expose-gc${values["v8-flags"] === "" ? "" : `,${values["v8-flags"]}`}`,
          "bench/session_memory.ts",
          "--child",
          `--parser=${parser}`,
          `--gop=${gop}`,
          `--publishers=${publishers}`,
          `--settle=${settle}`,
          `--flv=${flv}`,
          ...(values.snapshot ? ["--snapshot"] : []),
          ...(values.marginal ? ["--marginal"] : []),
        ],
        cwd: REPO,
        stdout: "piped",
        stderr: "inherit",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim();
      if (!out.success || text === "") {
        console.error(`memory: ${parser}/${gop} failed (exit ${out.code})`);
        return 1;
      }
      results.push(JSON.parse(text.split("\n").at(-1)!) as MemoryResult);
    }
  }
  console.log(values.json ? JSON.stringify(results, null, 2) : formatResults(results));
  if (!values.json && results.some((r) => r.marginal !== undefined)) {
    console.log(
      `\nWhat one more session adds, from ${publishers >> 1} to ${publishers} publishers:`,
    );
    console.log(formatMarginal(results));
  }
  if (!values.json) {
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    console.log(
      "\nV8 new space idle → (half →) loaded MB (in heap total, not per session): " +
        results.map((r) => {
          const half = r.newSpace.half === undefined ? "" : ` → ${mb(r.newSpace.half)}`;
          return `${r.parser}/${r.gop} ${mb(r.newSpace.idle)}${half} → ${mb(r.newSpace.loaded)}`;
        }).join(", "),
    );
    const wasm = results.filter((r) => r.parser === "wasm").map((r) => {
      const w = r.wasmPerInstance;
      return `GOP ${r.gop} ${w.median} / ${w.p90} / ${w.max}`;
    });
    if (wasm.length > 0) {
      console.log(`WASM memory per instance, median / p90 / max KiB: ${wasm.join(", ")}`);
    }
  }
  for (const r of values.json ? [] : results) {
    if (r.heapTop === undefined) continue;
    console.log(`\nheap per session, ${r.parser}, GOP cache ${r.gop} (bytes, count):`);
    for (const h of r.heapTop) {
      console.log(
        `  ${h.bytes.toFixed(0).padStart(7)}  ${h.count.toFixed(2).padStart(7)}  ${h.name}`,
      );
    }
  }
  return 0;
}

function kib(bytes: number): string {
  return (bytes / KB).toFixed(1);
}

/** The results as a Markdown table, KiB per session ("other": RSS not in the other classes). */
export function formatResults(results: readonly MemoryResult[]): string {
  const rows = [
    "| parser | GOP cache | publishing | GOP cache / stream | heap used (total) | external | WASM | other (malloc free) | RSS |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const p = r.perSession;
    const gop = r.publishing > 0 ? r.gopCacheBytes / r.publishing / KB : 0;
    const other = p.rss - p.heapTotal - p.external - p.wasm;
    rows.push(
      `| ${r.parser} | ${r.gop} | ${r.publishing}/${r.publishers} | ${gop.toFixed(0)} | ` +
        `${kib(p.heapUsed)} (${kib(p.heapTotal)}) | ${kib(p.external)} | ${kib(p.wasm)} | ` +
        `${kib(other)} (${kib(p.mallocFree)}) | ${kib(p.rss)} |`,
    );
  }
  return rows.join("\n");
}

/** The marginal figures as a Markdown table, KiB per session added. */
export function formatMarginal(results: readonly MemoryResult[]): string {
  const rows = [
    "| parser | GOP cache | publishing (half → all) | heap used (total) | external | WASM | other (malloc free) | RSS |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const p = r.marginal;
    if (p === undefined || r.half === undefined) continue;
    const other = p.rss - p.heapTotal - p.external - p.wasm;
    rows.push(
      `| ${r.parser} | ${r.gop} | ${r.half.publishing} → ${r.publishing} | ` +
        `${kib(p.heapUsed)} (${kib(p.heapTotal)}) | ${kib(p.external)} | ${kib(p.wasm)} | ` +
        `${kib(other)} (${kib(p.mallocFree)}) | ${kib(p.rss)} |`,
    );
  }
  return rows.join("\n");
}

interface MeasureOptions {
  readonly parser: "js" | "wasm";
  readonly gop: "on" | "off";
  readonly publishers: number;
  readonly settle: number;
  readonly flv: string;
  readonly snapshot: boolean;
  readonly marginal: boolean;
}

/** In the child: the server in this process, the load tool in another. */
async function measure(o: MeasureOptions): Promise<MemoryResult> {
  const parsed = parseConfig([
    "--host=127.0.0.1",
    "--rtmp-port=0",
    "--http-port=0",
    "--http-flv-port=0",
    "--no-record",
    `--parser=${o.parser}`,
    `--max-connections=${Math.max(1000, o.publishers + 100)}`,
    ...(o.gop === "off" ? ["--gop-cache-bytes=0"] : []),
  ], {});
  if (!("config" in parsed)) throw new Error(`Bad server config: ${JSON.stringify(parsed)}`);
  const makeParser = o.parser === "wasm" ? await loadWasmParser() : jsParserFactory();
  const server = startServer({
    config: parsed.config,
    clock: systemClock,
    log: getLogger(["rtmp-edge"]),
    makeParser,
  });
  const mallocFree = mallocFreeReader();
  try {
    const idle = await settled(mallocFree);
    const newSpaceIdle = newSpaceSize();
    const first = o.marginal ? o.publishers >> 1 : o.publishers;
    const seconds = 2 * (o.settle + o.publishers / 20) + 10;
    const loads = [startLoad(server.rtmpPort, "mem", first, seconds, o.flv)];
    try {
      let half: MemoryResult["half"];
      let newSpaceHalf: number | undefined;
      if (o.marginal) {
        const publishing = await publishingAtLeast(server, first);
        await sleep(o.settle * 1000);
        half = { publishing, classes: await settled(mallocFree) };
        newSpaceHalf = newSpaceSize();
        loads.push(startLoad(server.rtmpPort, "more", o.publishers - first, seconds, o.flv));
      }
      let publishing = await publishingAtLeast(server, o.publishers);
      await sleep(o.settle * 1000);
      const loaded = await settled(mallocFree);
      const newSpace = {
        idle: newSpaceIdle,
        ...(newSpaceHalf === undefined ? {} : { half: newSpaceHalf }),
        loaded: newSpaceSize(),
      };
      const wasmPerInstance = percentiles(
        wasmResidentSizes(await Deno.readTextFile("/proc/self/smaps")),
      );
      publishing = server.registry.view().list().filter((s) => s.state === "publishing").length;
      const streams = await streamsOf(server.httpPort);
      const gopCacheBytes = streams.reduce((n, s) => n + s.gopCacheBytes, 0);
      const n = Math.max(1, publishing);
      const heapTop = o.snapshot ? heapRows(n) : undefined;
      const added = publishing - (half?.publishing ?? 0);
      return {
        ...(heapTop === undefined ? {} : { heapTop }),
        ...(half === undefined ? {} : {
          half,
          marginal: perSession(half.classes, loaded, Math.max(1, added)),
        }),
        parser: o.parser,
        gop: o.gop,
        publishers: o.publishers,
        publishing,
        gopCacheBytes,
        newSpace,
        wasmPerInstance,
        idle,
        loaded,
        perSession: perSession(idle, loaded, n),
      };
    } finally {
      for (const load of loads) {
        try {
          load.kill("SIGKILL");
        } catch { /* already gone */ }
        await load.status;
      }
    }
  } finally {
    await server.close();
  }
}

/** Starts the load tool: `n` publishers of `flv` to `live/NAME-i`, in its own process. */
function startLoad(
  port: number,
  name: string,
  n: number,
  seconds: number,
  flv: string,
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tools/load.ts",
      `--url=rtmp://127.0.0.1:${port}/live/${name}`,
      `--flv=${flv}`,
      `--publishers=${n}`,
      `--seconds=${seconds}`,
      "--eager",
      "--connect-parallel=20",
      "--json",
    ],
    cwd: REPO,
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Waits (up to a deadline) until `n` sessions publish; returns how many do. */
async function publishingAtLeast(server: RunningServer, n: number): Promise<number> {
  const deadline = Date.now() + 120_000 + n * 100;
  let publishing = 0;
  while (Date.now() < deadline) {
    publishing = server.registry.view().list().filter((s) => s.state === "publishing").length;
    if (publishing >= n) break;
    await sleep(500);
  }
  return publishing;
}

/** The API's streams (tried three times: a busy server may be slow to answer). */
async function streamsOf(port: number): Promise<{ gopCacheBytes: number }[]> {
  let last = "";
  for (let i = 0; i < 3; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/streams`);
      const body = await res.text();
      const streams = (JSON.parse(body) as { streams?: { gopCacheBytes: number }[] }).streams;
      if (streams !== undefined) return streams;
      last = `${res.status} ${body.slice(0, 200)}`;
    } catch (e) {
      last = String(e);
    }
    await sleep(1000);
  }
  throw new Error(`/api/streams failed: ${last}`);
}

/** The heap's largest classes now, per session (a snapshot written to a temp file and read). */
function heapRows(sessions: number): HeapRow[] {
  const path = Deno.makeTempFileSync({ suffix: ".heapsnapshot" });
  try {
    v8.writeHeapSnapshot(path);
    return summarizeHeap(Deno.readTextFileSync(path), 25).map((r) => ({
      name: r.name,
      count: r.count / sessions,
      bytes: r.bytes / sessions,
    }));
  } finally {
    Deno.removeSync(path);
  }
}

/** Median, 90th percentile and largest of `bytes`, in KiB. */
function percentiles(bytes: number[]): MemoryResult["wasmPerInstance"] {
  const kib = bytes.map((b) => b / KB).sort((a, b) => a - b);
  const at = (q: number) => kib[Math.min(kib.length - 1, Math.floor(q * kib.length))] ?? 0;
  return { median: at(0.5), p90: at(0.9), max: kib.at(-1) ?? 0 };
}

/** Bytes V8 has committed for its new space now. */
function newSpaceSize(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
}

/** Memory after full garbage collections (the child runs with `--expose-gc`). */
async function settled(mallocFree: () => number): Promise<MemoryClasses> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(100);
  }
  return memoryClasses(
    Deno.memoryUsage(),
    await Deno.readTextFile("/proc/self/smaps"),
    mallocFree(),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
