/**
 * One end-to-end measurement: a fresh server, the load tool as a child process, the
 * server's CPU and RSS sampled when sending starts and stops, then the capture check.
 * @module
 */

import type { PlayReport } from "../tools/load_play_report.ts";
import type { LoadReport } from "../tools/load_run.ts";
import { type Capture, checkCapture } from "./e2e_capture.ts";
import { type ProbeReport, runLoader } from "./e2e_loader.ts";
import { countSockets, type ProcSample, sampleProc } from "./e2e_proc.ts";
import type { ServerProcess } from "./e2e_servers.ts";

/** What one scenario runs. */
export interface Scenario {
  /** Starts the server with recordings going to `recordDir`. */
  readonly start: (recordDir: string) => Promise<ServerProcess>;
  readonly publishers: number;
  /** Players of the one publisher's stream (fan-out); 0 for publishers only. */
  readonly players: number;
  /** Sending time; with players, playing time. */
  readonly seconds: number;
  readonly flood: boolean;
  readonly flv: string;
  /** Whether the server records (default true); without recordings there is no capture check. */
  readonly record?: boolean;
  /** Video bitrate of a low-bitrate file (the many-publishers scenario), shown in its label. */
  readonly kbps?: number;
  /** More arguments for the load tool (e.g. `--eager`). */
  readonly loadArgs?: readonly string[];
  /** Which load tool runs it: `deno` (tools/load.ts) or `node` (tools/load_node.mjs). */
  readonly loader?: "deno" | "node";
  /** Check only this many recordings, spread over the publishers (default all). */
  readonly captureSample?: number;
  /** Connect probe sessions from an idle second process while the load runs (default 0). */
  readonly probe?: number;
  /** Parent of the temp dirs this run makes (removed by the caller). */
  readonly tmpRoot: string;
  readonly ticks: number;
}

/** What one scenario measured; numbers are null when the run failed before them. */
export interface ScenarioResult {
  readonly server: string;
  readonly publishers: number;
  readonly players: number;
  readonly flood: boolean;
  /** The low-bitrate file's video kbit/s (many-publishers scenario). */
  readonly kbps?: number;
  readonly error: string | null;
  readonly load: LoadReport | null;
  /** The player mode's report (fan-out scenarios). */
  readonly play: PlayReport | null;
  /** The connect probe's report, when one ran. */
  readonly probe?: ProbeReport | null;
  /** Server CPU while sending, 100 = one core. */
  readonly cpuPercent: number | null;
  /** Bytes the server wrote to storage per second while sending, in MB (10^6), or null. */
  readonly diskMBps?: number | null;
  /**
   * Server CPU seconds from the start of sending to the loader's exit, per 10^9 bytes sent; in
   * fan-out, over the playing window, per 10^9 bytes the players read in it.
   */
  readonly cpuSecondsPerGB: number | null;
  readonly loaderCpuPercent: number | null;
  readonly rssIdleMB: number | null;
  readonly rssPeakMB: number | null;
  /** (peak − idle) / (publishers + players). */
  readonly rssPerSessionMB: number | null;
  readonly capture: Capture | null;
  /** Sessions the server closed for a limit (ours; 0 for nginx-rtmp, which logs none). */
  readonly limitCloses: number | null;
  /** Those closes by limit name (ours), e.g. `idle-timeout 3`; empty when none. */
  readonly limitReasons?: string;
}

const REPO = new URL("..", import.meta.url).pathname;
const SETTLE_MS = 30_000;
const MB = 1024 * 1024;

/** Runs one scenario; never throws (a failure is reported in `error`). */
export async function runScenario(sc: Scenario): Promise<ScenarioResult> {
  const recordDir = await Deno.makeTempDir({ dir: sc.tmpRoot, prefix: "rec-" });
  const base = {
    publishers: sc.publishers,
    players: sc.players,
    flood: sc.flood,
    ...(sc.kbps === undefined ? {} : { kbps: sc.kbps }),
  };
  let server: ServerProcess | null = null;
  try {
    server = await sc.start(recordDir);
    await new Promise((r) => setTimeout(r, 500));
    const idle = await sampleProc(server.pid, sc.ticks);
    const idleSockets = await countSockets(server.pid);
    const m = await runLoader({ ...sc, cwd: REPO }, server);
    // Stopping drops clients: first let the server read what the publishers sent before closing.
    await settle(server.pid, idleSockets ?? 0);
    await server.stop();
    const capture = sc.record === false
      ? null
      : await checkCapture(recordDir, m.load, sc.captureSample);
    const cpu = (a: ProcSample | null, b: ProcSample | null) =>
      a && b && b.atMs > a.atMs
        ? (100 * (b.cpuSeconds - a.cpuSeconds)) / ((b.atMs - a.atMs) / 1000)
        : null;
    const spent = m.play !== null
      ? m.s0 && m.s1 ? m.s1.cpuSeconds - m.s0.cpuSeconds : null
      : m.s0 && m.sExit
      ? m.sExit.cpuSeconds - m.s0.cpuSeconds
      : null;
    const gb = (m.play === null ? m.load.bytes : m.play.windowBytes) / 1e9;
    const idleMB = idle ? idle.rssBytes / MB : null;
    const peakMB = m.peakRss / MB;
    return {
      ...base,
      server: server.name,
      error: null,
      load: m.load,
      play: m.play,
      probe: m.probe,
      cpuPercent: cpu(m.s0, m.s1),
      diskMBps: m.s0?.writeBytes != null && m.s1?.writeBytes != null && m.s1.atMs > m.s0.atMs
        ? (m.s1.writeBytes - m.s0.writeBytes) / 1e6 / ((m.s1.atMs - m.s0.atMs) / 1000)
        : null,
      cpuSecondsPerGB: spent !== null && gb > 0 ? spent / gb : null,
      loaderCpuPercent: cpu(m.l0, m.l1),
      rssIdleMB: idleMB,
      rssPeakMB: peakMB,
      rssPerSessionMB: idleMB === null
        ? null
        : Math.max(0, peakMB - idleMB) / (sc.publishers + sc.players),
      capture,
      limitCloses: server.limitCloses(),
      limitReasons: server.limitReasons(),
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      ...base,
      server: server?.name ?? "?",
      error: `${why}\n${server?.tail() ?? ""}`.trim(),
      load: null,
      play: null,
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
