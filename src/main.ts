/**
 * `deno task serve`: parses flags and environment, sets up logging, starts the server,
 * and shuts it down cleanly on SIGINT/SIGTERM.
 * @module
 */

import { configure, dispose, getLogger, getStreamSink, getTextFormatter } from "@logtape/logtape";
import { systemClock } from "./clock.ts";
import { parseConfig } from "./config.ts";
import { jsParserFactory } from "./parser/js_parser.ts";
import { loadWasmParser } from "./parser/wasm_parser.ts";
import { stdoutPipe } from "./record/stdout_pipe.ts";
import { startServer } from "./server.ts";
import { VERSION } from "./version.ts";

/** The longest a clean shutdown may take before the process exits anyway. */
const SHUTDOWN_MS = 4_500;

/** Runs the server with command-line `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseConfig(args, Deno.env.toObject());
  if ("help" in parsed) {
    console.log(parsed.help);
    return 0;
  }
  if ("version" in parsed) {
    console.log(`rtmp-edge ${VERSION}`);
    return 0;
  }
  if ("error" in parsed) {
    console.error(parsed.error);
    return 2;
  }
  const config = parsed.config;
  await configure({
    sinks: {
      stderr: getStreamSink(Deno.stderr.writable, {
        formatter: getTextFormatter({ value: "bare" }),
      }),
    },
    loggers: [
      { category: ["rtmp-edge"], lowestLevel: config.logLevel, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
  const log = getLogger(["rtmp-edge"]);
  log.info("rtmp-edge {version} starting", { version: VERSION });
  const factory = config.parser === "wasm" ? await loadWasmParser() : jsParserFactory();
  const server = startServer({
    config,
    clock: systemClock,
    log,
    makeParser: factory,
    pipe: stdoutPipe(),
    version: VERSION,
  });
  log.info("Parser {parser}; recordings {where}", {
    parser: config.parser,
    where: config.record ? config.recordDir : "off",
  });
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped.promise;
  log.info("Shutting down: finalizing recordings");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"late">((r) => timer = setTimeout(() => r("late"), SHUTDOWN_MS));
  const how = await Promise.race([server.close().then(() => "done" as const), deadline]);
  clearTimeout(timer);
  if (how === "late") log.error("Shutdown took over {ms} ms; exiting anyway", { ms: SHUTDOWN_MS });
  else log.info("Stopped");
  return 0;
}

if (import.meta.main) {
  const code = await main(Deno.args);
  await dispose(); // flush the log sinks before exiting
  Deno.exit(code);
}
