/**
 * The end-to-end results as one Markdown table: a row per scenario and figure, a column per
 * server.
 * @module
 */

import type { ScenarioResult } from "./e2e_scenario.ts";

type Row = readonly [label: string, cell: (r: ScenarioResult) => string];

const FLOOD_ROWS: readonly Row[] = [
  ["MB/s sent", (r) => num(r.load?.mbPerSecond, 1)],
  ["server CPU-s per GB", (r) => num(r.cpuSecondsPerGB, 2)],
  ["server CPU % / loader CPU %", (r) => `${num(r.cpuPercent, 0)} / ${num(r.loaderCpuPercent, 0)}`],
  ["RSS idle → peak MB", (r) => `${num(r.rssIdleMB, 0)} → ${num(r.rssPeakMB, 0)}`],
  ["capture %", capture],
];

const STEP_ROWS: readonly Row[] = [
  ["server CPU % / loader CPU %", (r) => `${num(r.cpuPercent, 0)} / ${num(r.loaderCpuPercent, 0)}`],
  ["RSS idle → peak MB", (r) => `${num(r.rssIdleMB, 0)} → ${num(r.rssPeakMB, 0)}`],
  ["RSS per session MB", (r) => num(r.rssPerSessionMB, 2)],
  ["capture %", capture],
  ["disk MB/s written", (r) => num(r.diskMBps, 1)],
  ["real time % (max lag ms)", (r) => `${num(realtime(r), 1)} (${num(r.load?.maxLagMs, 0)})`],
  [
    "connect → Publish.Start median / p99 ms",
    (r) => `${num(r.load?.connectMedianMs, 1)} / ${num(r.load?.connectP99Ms, 1)}`,
  ],
  [
    "probe (idle process): connect → Publish.Start median / p99 / max ms",
    (r) =>
      r.probe == null
        ? "-"
        : `${num(r.probe.connectMedianMs, 1)} / ${num(r.probe.connectP99Ms, 1)} / ${
          num(r.probe.connectMaxMs, 1)
        } (${r.probe.connectMs.length}/${r.probe.sessions})`,
  ],
  ["MB/s sent / errors", (r) => `${num(r.load?.mbPerSecond, 1)} / ${r.load?.errors.length ?? "-"}`],
  ["sessions closed by a limit", (r) => num(r.limitCloses, 0)],
];

const FANOUT_ROWS: readonly Row[] = [
  ["server CPU % / loader CPU %", (r) => `${num(r.cpuPercent, 0)} / ${num(r.loaderCpuPercent, 0)}`],
  ["server CPU-s per delivered GB", (r) => num(r.cpuSecondsPerGB, 2)],
  ["server + loader CPU-s per delivered GB", (r) => num(withLoader(r), 2)],
  ["RSS idle → peak MB", (r) => `${num(r.rssIdleMB, 0)} → ${num(r.rssPeakMB, 0)}`],
  ["RSS per player MB", (r) => num(r.rssPerSessionMB, 3)],
  [
    "delivered % min / median (players at 100 %)",
    (r) =>
      `${floor(r.play?.deliveredMinPercent)} / ${floor(r.play?.deliveredMedianPercent)} (${
        r.play?.complete ?? "-"
      }/${r.play?.players ?? "-"})`,
  ],
  [
    "delivery lag p50 / p99 / max ms",
    (r) =>
      `${num(r.play?.lagP50Ms, 1)} / ${num(r.play?.lagP99Ms, 1)} / ${num(r.play?.lagMaxMs, 0)}`,
  ],
  [
    "loader event loop delay p99 / max ms",
    (r) => `${num(r.play?.loopDelayP99Ms, 1)} / ${num(r.play?.loopDelayMaxMs, 0)}`,
  ],
  [
    "play → first keyframe p50 / p99 ms",
    (r) => `${num(r.play?.firstKeyP50Ms, 1)} / ${num(r.play?.firstKeyP99Ms, 1)}`,
  ],
  [
    "MB/s delivered / errors",
    (r) => {
      const p = r.play;
      if (!p) return "-";
      const mbs = p.windowSeconds > 0 ? p.windowBytes / 1e6 / p.windowSeconds : null;
      return `${num(mbs, 1)} / ${p.errors.length + (r.load?.errors.length ?? 0)}`;
    },
  ],
];

/** Formats results (any order) as a Markdown table with one column per server. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const servers = [...new Set(results.map((r) => r.server))];
  const scenarios = [...new Set(results.map(label))];
  const lines = [
    `| scenario | figure | ${servers.join(" | ")} |`,
    `| --- | --- | ${servers.map(() => "---:").join(" | ")} |`,
  ];
  for (const sc of scenarios) {
    const some = results.find((r) => label(r) === sc)!;
    const rows = some.players > 0 ? FANOUT_ROWS : some.flood ? FLOOD_ROWS : STEP_ROWS;
    for (const [name, cell] of rows) {
      const cells = servers.map((s) => {
        const r = results.find((x) => x.server === s && label(x) === sc);
        if (r === undefined) return "-";
        return r.error === null ? cell(r) : "failed";
      });
      lines.push(`| ${sc} | ${name} | ${cells.join(" | ")} |`);
    }
  }
  const failures = results.filter((r) => r.error !== null);
  for (const f of failures) lines.push("", `${f.server}, ${label(f)} failed: ${f.error}`);
  const problems = results.filter((r) => (r.capture?.problems.length ?? 0) > 0);
  for (const p of problems) {
    lines.push(
      "",
      `${p.server}, ${label(p)} capture problems:`,
      ...p.capture!.problems.map((x) => `  ${x}`),
    );
  }
  for (const r of results.filter((x) => (x.play?.errors.length ?? 0) > 0)) {
    const errors = r.play!.errors;
    lines.push("", `${r.server}, ${label(r)}: ${errors.length} player errors, the first:`);
    lines.push(...errors.slice(0, 3).map((e) => `  ${e}`));
  }
  return lines.join("\n");
}

function label(r: ScenarioResult): string {
  if (r.players > 0) return `1 → ${r.players} players`;
  if (r.kbps !== undefined) return `${r.publishers} × ${r.kbps + 96} kbit/s`;
  return r.flood
    ? `flood, ${r.publishers} publisher${r.publishers === 1 ? "" : "s"}`
    : `${r.publishers} × real time`;
}

function capture(r: ScenarioResult): string {
  const c = r.capture;
  if (c === null) return "-";
  const lost = c.framesSent - c.framesRecorded;
  // Floored, so that a few lost frames never print as 100.
  const pct = (Math.floor(c.percent * 1000) / 1000).toString();
  return `${pct} (${c.exact}/${c.expected} exact${lost > 0 ? `, ${lost} frames lost` : ""})`;
}

function realtime(r: ScenarioResult): number | null {
  const l = r.load;
  if (l === null) return null;
  return l.framesDue === 0 ? 100 : (100 * (l.video + l.audio)) / l.framesDue;
}

/** Floored to 2 decimals, so that a lost frame never prints as 100. */
function floor(x: number | null | undefined): string {
  return x === null || x === undefined ? "-" : (Math.floor(x * 100) / 100).toString();
}

function num(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined ? "-" : x.toFixed(digits);
}

/**
 * Server and loader CPU seconds per delivered GB (both sampled over the same window). On
 * loopback the kernel's TCP work of a send is shared between the two processes, and how it
 * is shared depends on the server's sockets (Nagle on: data goes out when the reader's ACK
 * comes, in the reader's process), so the sum is the figure that compares servers.
 */
function withLoader(r: ScenarioResult): number | null {
  const { cpuSecondsPerGB: perGB, cpuPercent: server, loaderCpuPercent: loader } = r;
  if (perGB == null || server == null || loader == null || server <= 0) return null;
  return perGB * (server + loader) / server;
}
