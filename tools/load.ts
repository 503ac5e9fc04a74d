/**
 * `deno task load`: many RTMP publishers from one process, looping one FLV file.
 *
 * ```sh
 * deno task load --url rtmp://127.0.0.1:1935/live/load --flv test.flv --publishers 50 --seconds 20
 * deno task load --url rtmp://127.0.0.1:1935/live/load --flv test.flv --publishers 1 --seconds 10 --flood --json
 * ```
 *
 * Publisher i publishes `load-i`: `@setDataFrame onMetaData`, the sequence headers, then the
 * file's frames in a loop with timestamps carrying on, in real time or (`--flood`) as fast as
 * the server reads. Stops by itself after `--seconds`.
 * @module
 */

import { parseArgs } from "node:util";
import { type LoadReport, runLoad } from "./load_run.ts";

export { type LoadOptions, type LoadReport, type PublisherReport, runLoad } from "./load_run.ts";

const USAGE = `Usage: deno task load --url rtmp://HOST:PORT/APP/NAME --flv FILE [options]

  --url URL            base URL; publisher i publishes NAME-i
  --flv FILE           FLV file to loop (H.264/AAC or any codec the server takes)
  --publishers N       publishers to open (default 1)
  --seconds S          sending time once connected (default 10)
  --flood              send as fast as the server reads, not in real time
  --tick-ms MS         real-time tick (default 20)
  --eager              real time without backpressure: each tick writes what is due even
                       while earlier writes wait (like one Node process, socket.write)
  --connect-parallel N publishers connecting at once (default 10)
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
  const flv = await Deno.readFile(parsed.flv);
  const report = await runLoad({
    ...parsed,
    flv,
    onPhase: (phase, detail) => console.error(`load: ${phase}: ${detail}`),
  });
  if (parsed.json) console.log(JSON.stringify(report));
  else console.log(formatReport(report));
  return report.connected === 0 ? 1 : 0;
}

interface Cli {
  readonly url: string;
  readonly flv: string;
  readonly publishers: number;
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
        help: { type: "boolean", default: false },
      },
    }).values;
  } catch (e) {
    return `${e instanceof Error ? e.message : String(e)}\n${USAGE}`;
  }
  if (values.help || values.url === undefined || values.flv === undefined) return USAGE;
  const publishers = Number(values.publishers);
  const seconds = Number(values.seconds);
  const tickMs = Number(values["tick-ms"]);
  const connectParallel = Number(values["connect-parallel"]);
  if (!Number.isInteger(publishers) || publishers < 1 || publishers > 10_000) {
    return `--publishers must be an integer in 1..10000: got ${values.publishers}`;
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
