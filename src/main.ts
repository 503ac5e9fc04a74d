/**
 * `deno task serve`: parses flags and environment, sets up logging, starts the server,
 * and shuts it down cleanly on SIGINT/SIGTERM.
 * @module
 */

import { configure, getLogger, getStreamSink, getTextFormatter } from "@logtape/logtape";
import { systemClock } from "./clock.ts";
import { parseConfig } from "./config.ts";
import { createJsParser } from "./parser/js_parser.ts";
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from "./parser/types.ts";
import { loadWasmParser } from "./parser/wasm_parser.ts";
import { startServer } from "./server.ts";

/** Runs the server with command-line `args`; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseConfig(args, Deno.env.toObject());
  if ("help" in parsed) {
    console.log(parsed.help);
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
  const limits: ParserLimits = {
    ...DEFAULT_PARSER_LIMITS,
    maxMessageSize: config.maxMessageSize,
    maxChunkStreams: config.maxChunkStreams,
  };
  const factory = config.parser === "wasm" ? await loadWasmParser() : createJsParser;
  const server = startServer({
    config,
    clock: systemClock,
    log,
    makeParser: () => factory(limits),
    pipe: Deno.stdout,
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
  log.info("Shutting down");
  await server.close();
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
