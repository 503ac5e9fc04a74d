/**
 * One end-to-end measurement: a fresh server, the load tool as a child process, the
 * server's CPU and RSS sampled when sending starts and stops, then the capture check.
 * @module
 */

import type { LoadReport } from "../tools/load_run.ts";
import { type Capture, checkCapture } from "./e2e_capture.ts";
import { LineTail } from "./e2e_lines.ts";
import { countSockets, PeakRss, type ProcSample, sampleProc } from "./e2e_proc.ts";
import type { ServerProcess } from "./e2e_servers.ts";

/** What one scenario runs. */
export interface Scenario {
  /** Starts the server with recordings going to `recordDir`. */
  readonly start: (recordDir: string) => Promise<ServerProcess>;
  readonly publishers: number;
  readonly seconds: number;
  readonly flood: boolean;
  readonly flv: string;
  /** Whether the server records (default true); without recordings there is no capture check. */
  readonly record?: boolean;
  /** More arguments for the load tool (e.g. `--eager`). */
  readonly loadArgs?: readonly string[];
  /** Parent of the temp dirs this run makes (removed by the caller). */
  readonly tmpRoot: string;
  readonly ticks: number;
}

/** What one scenario measured; numbers are null when the run failed before them. */
export interface ScenarioResult {
  readonly server: string;
  readonly publishers: number;
  readonly flood: boolean;
  readonly error: string | null;
  readonly load: LoadReport | null;
  /** Server CPU while sending, 100 = one core. */
  readonly cpuPercent: number | null;
  /** Server CPU seconds from the start of sending to the loader's exit, per 10^9 bytes sent. */
  readonly cpuSecondsPerGB: number | null;
  readonly loaderCpuPercent: number | null;
  readonly rssIdleMB: number | null;
  readonly rssPeakMB: number | null;
  /** (peak − idle) / publishers. */
  readonly rssPerSessionMB: number | null;
  readonly capture: Capture | null;
  /** Sessions the server closed for a limit (ours; 0 for nginx-rtmp, which logs none). */
  readonly limitCloses: number | null;
}

const REPO = new URL("..", import.meta.url).pathname;
const SETTLE_MS = 30_000;
const MB = 1024 * 1024;

/** Runs one scenario; never throws (a failure is reported in `error`). */
export async function runScenario(sc: Scenario): Promise<ScenarioResult> {
  const recordDir = await Deno.makeTempDir({ dir: sc.tmpRoot, prefix: "rec-" });
  const base = { publishers: sc.publishers, flood: sc.flood };
  let server: ServerProcess | null = null;
  try {
    server = await sc.start(recordDir);
    await new Promise((r) => setTimeout(r, 500));
    const idle = await sampleProc(server.pid, sc.ticks);
    const idleSockets = await countSockets(server.pid);
    const m = await runLoader(sc, server);
    // Stopping drops clients: first let the server read what the publishers sent before closing.
    await settle(server.pid, idleSockets ?? 0);
    await server.stop();
    const capture = sc.record === false ? null : await checkCapture(recordDir, m.load);
    const cpu = (a: ProcSample | null, b: ProcSample | null) =>
      a && b && b.atMs > a.atMs
        ? (100 * (b.cpuSeconds - a.cpuSeconds)) / ((b.atMs - a.atMs) / 1000)
        : null;
    const spent = m.s0 && m.sExit ? m.sExit.cpuSeconds - m.s0.cpuSeconds : null;
    const idleMB = idle ? idle.rssBytes / MB : null;
    const peakMB = m.peakRss / MB;
    return {
      ...base,
      server: server.name,
      error: null,
      load: m.load,
      cpuPercent: cpu(m.s0, m.s1),
      cpuSecondsPerGB: spent !== null && m.load.bytes > 0 ? spent / (m.load.bytes / 1e9) : null,
      loaderCpuPercent: cpu(m.l0, m.l1),
      rssIdleMB: idleMB,
      rssPeakMB: peakMB,
      rssPerSessionMB: idleMB === null ? null : Math.max(0, peakMB - idleMB) / sc.publishers,
      capture,
      limitCloses: server.limitCloses(),
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      ...base,
      server: server?.name ?? "?",
      error: `${why}\n${server?.tail() ?? ""}`.trim(),
      load: null,
      cpuPercent: null,
      cpuSecondsPerGB: null,
      loaderCpuPercent: null,
      rssIdleMB: null,
      rssPeakMB: null,
      rssPerSessionMB: null,
      capture: null,
      limitCloses: null,
    };
  } finally {
    await server?.stop();
    await Deno.remove(recordDir, { recursive: true }).catch(() => {});
  }
}

/** Waits (up to 30 s) until the server holds no more sockets than when idle. */
async function settle(pid: number, idleSockets: number): Promise<void> {
  const end = Date.now() + SETTLE_MS;
  while (Date.now() < end) {
    const n = await countSockets(pid);
    if (n === null || n <= idleSockets) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface LoaderRun {
  readonly load: LoadReport;
  readonly s0: ProcSample | null;
  readonly s1: ProcSample | null;
  readonly sExit: ProcSample | null;
  readonly l0: ProcSample | null;
  readonly l1: ProcSample | null;
  readonly peakRss: number;
}

async function runLoader(sc: Scenario, server: ServerProcess): Promise<LoaderRun> {
  const args = [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-env",
    "tools/load.ts",
    "--url",
    `rtmp://127.0.0.1:${server.rtmpPort}/live/e2e`,
    "--flv",
    sc.flv,
    "--publishers",
    String(sc.publishers),
    "--seconds",
    String(sc.seconds),
    "--json",
    ...(sc.flood ? ["--flood"] : []),
    ...(sc.loadArgs ?? []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const samples: Promise<void>[] = [];
  const got: {
    s0?: ProcSample | null;
    s1?: ProcSample | null;
    l0?: ProcSample | null;
    l1?: ProcSample | null;
  } = {};
  let peak: PeakRss | null = null;
  let peakRss = 0;
  const lines = new LineTail(child.stderr, (line) => {
    if (line.startsWith("load: sending")) {
      peak = new PeakRss(server.pid);
      samples.push(
        Promise.all([sampleProc(server.pid, sc.ticks), sampleProc(child.pid, sc.ticks)])
          .then(([s, l]) => void (got.s0 = s, got.l0 = l)),
      );
    } else if (line.startsWith("load: stopped")) {
      peakRss = peak?.stop() ?? 0;
      peak = null;
      samples.push(
        Promise.all([sampleProc(server.pid, sc.ticks), sampleProc(child.pid, sc.ticks)])
          .then(([s, l]) => void (got.s1 = s, got.l1 = l)),
      );
    }
  });
  // Connects take well under a second each; 10 s apiece is the publisher's own bound.
  const limitMs = (sc.seconds + 60 + sc.publishers) * 1000;
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  try {
    const [out, status] = await Promise.all([new Response(child.stdout).text(), child.status]);
    const sExit = await sampleProc(server.pid, sc.ticks);
    await lines.done;
    await Promise.all(samples);
    if (!status.success && out.trim() === "") {
      throw new Error(`Load tool exited with ${status.code}: ${lines.tail()}`);
    }
    return {
      load: parseReport(out),
      s0: got.s0 ?? null,
      s1: got.s1 ?? null,
      sExit,
      l0: got.l0 ?? null,
      l1: got.l1 ?? null,
      peakRss,
    };
  } finally {
    clearTimeout(timer);
    (peak as PeakRss | null)?.stop();
  }
}

function parseReport(text: string): LoadReport {
  const v: unknown = JSON.parse(text);
  if (
    v === null || typeof v !== "object" || !("publishers" in v) || !Array.isArray(v.publishers) ||
    !("bytes" in v) || typeof v.bytes !== "number"
  ) {
    throw new Error(`Load tool printed no report: ${text.slice(0, 200)}`);
  }
  return v as LoadReport;
}
