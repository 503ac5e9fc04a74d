/**
 * `deno task load`: many RTMP publishers from one process, looping one FLV file.
 *
 * ```sh
 * deno task load --url rtmp://127.0.0.1:1935/live/load --flv test.flv --publishers 50 --seconds 20
 * deno task load --url rtmp://127.0.0.1:1935/live/load --flv test.flv --publishers 1 --seconds 10 --flood --json
 * ```
 *
 * deno task load --play --url rtmp://127.0.0.1:1935/live/load --flv test.flv --publishers 1 --players 100 --seconds 20
 * deno task load --play --url rtmp://127.0.0.1:1935/live/somestream --players 10 --seconds 10
 * ```
 *
 * Publisher i publishes `load-i`: `@setDataFrame onMetaData`, the sequence headers, then the
 * file's frames in a loop with timestamps carrying on, in real time or (`--flood`) as fast as
 * the server reads. Stops by itself after `--seconds`. With `--play`, N players join after the
 * publishers start (player j plays `load-(j mod P + 1)`) and count frames, delivery lag against
 * the publisher's write times and play → first keyframe; without `--flv` they play NAME as is.
 * @module
 */

import { parseArgs } from "node:util";
import { runPlay } from "./load_play.ts";
import { formatPlayReport } from "./load_play_report.ts";
import { type LoadReport, runLoad } from "./load_run.ts";

export { type LoadOptions, type LoadReport, type PublisherReport, runLoad } from "./load_run.ts";
export { type PlayOptions, type PlayReport, runPlay } from "./load_play.ts";

const USAGE = `Usage: deno task load --url rtmp://HOST:PORT/APP/NAME --flv FILE [options]

  --url URL            base URL; publisher i publishes NAME-i
  --flv FILE           FLV file to loop (H.264/AAC or any codec the server takes)
  --play               player mode: --players N play; with --flv, publishers run here too
  --players N          players (default 1; --play only)
  --join-ms MS         from the start of sending to the players' connects (default 1000)
  --publishers N       publishers to open (default 1)
  --seconds S          sending time once connected; with --play, playing time (default 10)
  --flood              send as fast as the server reads, not in real time
  --tick-ms MS         real-time tick (default 20)
  --eager              real time without backpressure: each tick writes what is due even
                       while earlier writes wait (like one Node process, socket.write)
  --connect-parallel N publishers (players: twice that) connecting at once (default 10)
  --json               print the report as JSON on stdout (progress goes to stderr)`;

/** Runs the CLI with `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const parsed = parseCli(args);
  if (typeof parsed === "string") {
    console.error(parsed);
    return 2;
  }
  const onPhase = (phase: string, detail: string) => console.error(`load: ${phase}: ${detail}`);
  if (parsed.play) {
    const report = await runPlay({
      url: parsed.url,
      players: parsed.players,
      seconds: parsed.seconds,
      flv: parsed.flv === undefined ? null : await Deno.readFile(parsed.flv),
      publishers: parsed.publishers,
      joinAfterMs: parsed.joinMs,
      connectParallel: 2 * parsed.connectParallel,
      onPhase,
    });
    if (parsed.json) console.log(JSON.stringify(report));
    else console.log(formatPlayReport(report));
    return report.started === 0 ? 1 : 0;
  }
  const flv = await Deno.readFile(parsed.flv!);
  const report = await runLoad({
    ...parsed,
    flv,
    onPhase,
  });
  if (parsed.json) console.log(JSON.stringify(report));
  else console.log(formatReport(report));
  return report.connected === 0 ? 1 : 0;
}

interface Cli {
  readonly url: string;
  readonly flv: string | undefined;
  readonly publishers: number;
  readonly play: boolean;
  readonly players: number;
  readonly joinMs: number;
  readonly seconds: number;
  readonly flood: boolean;
  readonly tickMs: number;
  readonly eager: boolean;
  readonly connectParallel: number;
  readonly json: boolean;
}

function parseCli(args: string[]): Cli | string {
  let values;
  try {
    values = parseArgs({
      args,
      options: {
        url: { type: "string" },
        flv: { type: "string" },
        publishers: { type: "string", default: "1" },
        seconds: { type: "string", default: "10" },
        flood: { type: "boolean", default: false },
        "tick-ms": { type: "string", default: "20" },
        eager: { type: "boolean", default: false },
        "connect-parallel": { type: "string", default: "10" },
        json: { type: "boolean", default: false },
        play: { type: "boolean", default: false },
        players: { type: "string", default: "1" },
        "join-ms": { type: "string", default: "1000" },
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}\n${USAGE}`;
  }
  if (values.help || values.url === undefined) return USAGE;
  if (values.flv === undefined && !values.play) return USAGE;
  const publishers = Number(values.publishers);
  const seconds = Number(values.seconds);
  const tickMs = Number(values["tick-ms"]);
  const connectParallel = Number(values["connect-parallel"]);
  if (!Number.isInteger(publishers) || publishers < 1 || publishers > 10_000) {
    return `--publishers must be an integer in 1..10000: got ${values.publishers}`;
  }
  const players = Number(values.players);
  const joinMs = Number(values["join-ms"]);
  if (!Number.isInteger(players) || players < 1 || players > 10_000) {
    return `--players must be an integer in 1..10000: got ${values.players}`;
  }
  if (!(joinMs >= 0 && joinMs <= 60_000)) {
    return `--join-ms must be in 0..60000: got ${values["join-ms"]}`;
  }
  if (!(seconds > 0 && seconds <= 3600)) {
    return `--seconds must be in (0, 3600]: got ${values.seconds}`;
  }
  if (!(tickMs >= 1 && tickMs <= 1000)) {
    return `--tick-ms must be in 1..1000: got ${values["tick-ms"]}`;
  }
  if (!Number.isInteger(connectParallel) || connectParallel < 1) {
    return `--connect-parallel must be a positive integer: got ${values["connect-parallel"]}`;
  }
  return {
    url: values.url,
    flv: values.flv,
    publishers,
    play: values.play,
    players,
    joinMs,
    seconds,
    flood: values.flood,
    tickMs,
    eager: values.eager,
    connectParallel,
    json: values.json,
  };
}

/** Formats a report: one line per publisher, then the summary. */
export function formatReport(r: LoadReport): string {
  const lines = r.publishers.map((p) =>
    `${p.name}: video ${p.video}, audio ${p.audio}, ${(p.bytes / 1e6).toFixed(1)} MB` +
    (p.connectMs === null ? "" : `, connect ${p.connectMs.toFixed(1)} ms`) +
    (p.error === null ? "" : `, error: ${p.error}`)
  );
  const due = r.framesDue === 0 ? 100 : (100 * (r.video + r.audio)) / r.framesDue;
  lines.push(
    `Total (${r.mode}): ${r.connected}/${r.publishers.length} publishers, ` +
      `${r.video + r.audio} frames (video ${r.video}, audio ${r.audio}), ` +
      `${(r.bytes / 1e6).toFixed(1)} MB in ${r.sendSeconds.toFixed(1)} s = ${
        r.mbPerSecond.toFixed(2)
      } MB/s`,
    `Connect to Publish.Start: median ${ms(r.connectMedianMs)}, p99 ${ms(r.connectP99Ms)}`,
    `Real time: ${due.toFixed(1)}% of due frames sent, max lag ${r.maxLagMs.toFixed(0)} ms`,
    `Errors: ${r.errors.length}${
      r.errors.length ? "\n  " + r.errors.slice(0, 10).join("\n  ") : ""
    }`,
  );
  return lines.join("\n");
}

function ms(x: number | null): string {
  return x === null ? "n/a" : `${x.toFixed(1)} ms`;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
