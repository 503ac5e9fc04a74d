/**
 * The load tool as a child process, with the server and the loader sampled (CPU, RSS) when
 * the measured window opens and closes, and the server's RSS polled for its peak.
 * @module
 */

import type { PlayReport } from "../tools/load_play_report.ts";
import type { LoadReport } from "../tools/load_run.ts";
import { LineTail } from "./e2e_lines.ts";
import { PeakRss, type ProcSample, sampleProc } from "./e2e_proc.ts";
import type { ServerProcess } from "./e2e_servers.ts";

/** What the loader reported, and the server and loader sampled around its phases. */
export interface LoaderRun {
  readonly load: LoadReport;
  readonly play: PlayReport | null;
  readonly s0: ProcSample | null;
  readonly s1: ProcSample | null;
  readonly sExit: ProcSample | null;
  readonly l0: ProcSample | null;
  readonly l1: ProcSample | null;
  readonly peakRss: number;
  /** The connect probe's report (`probe` sessions from an idle process), or null. */
  readonly probe: ProbeReport | null;
}

/** What `tools/load_node.mjs --probe N --json` reports. */
export interface ProbeReport {
  readonly sessions: number;
  readonly connectMs: readonly number[];
  readonly connectMedianMs: number | null;
  readonly connectP99Ms: number | null;
  readonly connectMaxMs: number | null;
  readonly errors: readonly string[];
}

/** What {@linkcode runLoader} runs. */
export interface LoaderOptions {
  readonly publishers: number;
  readonly players: number;
  readonly seconds: number;
  readonly flood: boolean;
  readonly flv: string;
  readonly ticks: number;
  /** More arguments for the load tool (e.g. `--eager`). */
  readonly loadArgs?: readonly string[];
  /**
   * Which load tool: `deno` (`tools/load.ts`, the default) or `node` (`tools/load_node.mjs`:
   * publishers only, writes straight into the kernel; the many-small-streams scenario).
   */
  readonly loader?: "deno" | "node";
  /**
   * Short sessions one after another from a second, idle process (`load_node.mjs --probe`) once
   * the measured window opens: connect → Publish.Start while the load runs, without the
   * loader's own scheduling in it (default 0: none).
   */
  readonly probe?: number;
  /** The repo, where `tools/load.ts` is. */
  readonly cwd: string;
}

/** Time before the probe starts, once the window opened. */
const PROBE_DELAY_MS = 1000;

/**
 * Runs the load tool as a child process against `server`; samples the server and the loader
 * when the measured window opens (`load: sending`, or `load: playing` with players) and closes.
 */
export async function runLoader(sc: LoaderOptions, server: ServerProcess): Promise<LoaderRun> {
  const common = [
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
    ...(sc.players > 0 ? ["--play", "--players", String(sc.players)] : []),
    ...(sc.loadArgs ?? []),
  ];
  const node = sc.loader === "node";
  const opens = sc.players > 0 ? "load: playing" : "load: sending";
  const child = new Deno.Command(node ? "node" : Deno.execPath(), {
    args: node
      ? ["tools/load_node.mjs", ...common]
      : ["run", "--allow-net", "--allow-read", "--allow-env", "tools/load.ts", ...common],
    cwd: sc.cwd,
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
  let probe: Promise<ProbeReport | null> = Promise.resolve(null);
  const lines = new LineTail(child.stderr, (line) => {
    if (line.startsWith(opens)) {
      if ((sc.probe ?? 0) > 0) probe = runProbe(sc, server.rtmpPort, sc.probe!);
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
  const limitMs = (sc.seconds + 60 + sc.publishers + sc.players / 10) * 1000;
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  try {
    const [out, status] = await Promise.all([new Response(child.stdout).text(), child.status]);
    const sExit = await sampleProc(server.pid, sc.ticks);
    await lines.done;
    await Promise.all(samples);
    if (!status.success && out.trim() === "") {
      throw new Error(`Load tool exited with ${status.code}: ${lines.tail()}`);
    }
    const report = parseReport(out);
    return {
      ...report,
      probe: await probe,
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

/** Runs the connect probe after {@linkcode PROBE_DELAY_MS}; null when it printed no report. */
async function runProbe(sc: LoaderOptions, port: number, sessions: number) {
  await new Promise((r) => setTimeout(r, PROBE_DELAY_MS));
  const out = await new Deno.Command("node", {
    args: [
      "tools/load_node.mjs",
      "--url",
      `rtmp://127.0.0.1:${port}/live/probe`,
      "--probe",
      String(sessions),
      "--json",
    ],
    cwd: sc.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  try {
    return JSON.parse(new TextDecoder().decode(out.stdout)) as ProbeReport;
  } catch {
    return null;
  }
}

function parseReport(text: string): { load: LoadReport; play: PlayReport | null } {
  const v: unknown = JSON.parse(text);
  if (v !== null && typeof v === "object" && "mode" in v && v.mode === "play") {
    const play = v as PlayReport;
    if (play.publish === null) throw new Error("Player mode report without its publisher");
    return { load: play.publish, play };
  }
  if (
    v === null || typeof v !== "object" || !("publishers" in v) || !Array.isArray(v.publishers) ||
    !("bytes" in v) || typeof v.bytes !== "number"
  ) {
    throw new Error(`Load tool printed no report: ${text.slice(0, 200)}`);
  }
  return { load: v as LoadReport, play: null };
}
