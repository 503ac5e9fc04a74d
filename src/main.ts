/**
 * `deno task serve`: parses flags, environment and the config file, sets up logging, starts
 * the server, shuts it down cleanly on SIGINT/SIGTERM, and on SIGHUP reloads the config's
 * rules and the RTMPS certificate.
 * @module
 */

import {
  configure,
  dispose,
  getLogger,
  getStreamSink,
  getTextFormatter,
  type Logger,
} from "@logtape/logtape";
import { systemClock } from "./clock.ts";
import { parseConfig } from "./config.ts";
import { LiveConfig } from "./config/live_config.ts";
import { reloadConfig } from "./config/reload.ts";
import { jsonLinesFormatter } from "./log/json_lines.ts";
import { jsParserFactory } from "./parser/js_parser.ts";
import { loadWasmParser } from "./parser/wasm_parser.ts";
import { stdoutPipe } from "./record/stdout_pipe.ts";
import { type RunningServer, startServer } from "./server.ts";
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
        formatter: config.logFormat === "json"
          ? jsonLinesFormatter()
          : getTextFormatter({ value: "bare" }),
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
  const live = new LiveConfig(config);
  let server: RunningServer;
  try {
    server = startServer({
      config,
      live,
      clock: systemClock,
      log,
      makeParser: factory,
      pipe: stdoutPipe(),
      version: VERSION,
    });
  } catch (e) {
    log.fatal("Cannot start: {error}", { error: e instanceof Error ? e.message : String(e) });
    return 1;
  }
  log.info("Parser {parser}; recordings {where}", {
    parser: config.parser,
    where: config.record ? config.recordDir : "off",
  });
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const reload = () => {
    reloadConfig({ live, parse: () => parseConfig(args, Deno.env.toObject()), log });
    if (config.rtmpsPort !== null) reloadTls(server, log);
  };
  Deno.addSignalListener("SIGHUP", reload);
  await stopped.promise;
  Deno.removeSignalListener("SIGHUP", reload);
  log.info("Shutting down: finalizing recordings");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"late">((r) => timer = setTimeout(() => r("late"), SHUTDOWN_MS));
  const how = await Promise.race([server.close().then(() => "done" as const), deadline]);
  clearTimeout(timer);
  if (how === "late") log.error("Shutdown took over {ms} ms; exiting anyway", { ms: SHUTDOWN_MS });
  else log.info("Stopped");
  return 0;
}

/** SIGHUP: new RTMPS connections get the certificate now in the files; sessions go on. */
function reloadTls(server: RunningServer, log: Logger): void {
  try {
    server.reloadTls();
    log.info("TLS certificate reloaded for new RTMPS connections");
  } catch (e) {
    log.error("TLS certificate reload failed, the old one stays in use: {error}", {
      error: e instanceof Error ? e.message : String(e),
    });
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  await dispose(); // flush the log sinks before exiting
  Deno.exit(code);
}
