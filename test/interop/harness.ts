import assert from "node:assert/strict";
/**
 * Interop test harness: an in-process server on port 0 with a temp record dir, and
 * real clients (FFmpeg, GStreamer) run as child processes.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { systemClock } from "../../src/clock.ts";
import { type Config, DEFAULT_CONFIG } from "../../src/config.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { ChunkParser } from "../../src/parser/types.ts";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import { type RunningServer, startServer } from "../../src/server.ts";

/** Whether a program is on PATH (and, for GStreamer, whether an element exists). */
export function have(cmd: string, ...args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Says loudly that a test is skipped because a client is missing; returns true when missing. */
export function missing(what: string, ok: boolean): boolean {
  if (!ok) {
    console.warn(
      `\n!!! SKIPPED: ${what} is not installed; install it (see README) to run this interop test !!!\n`,
    );
  }
  return !ok;
}

/** A started server with its record dir. */
export interface TestServer extends AsyncDisposable {
  readonly server: RunningServer;
  readonly recordDir: string;
  readonly rtmpUrl: string;
  readonly httpUrl: string;
  /** `http://127.0.0.1:<HTTP-FLV port>`. */
  readonly flvUrl: string;
}

/** Starts a server on 127.0.0.1 with ports 0 and a fresh record dir. */
export async function testServer(
  opts: {
    parser?: "js" | "wasm";
    wrapParser?: (p: ChunkParser) => ChunkParser;
    config?: Partial<Config>;
  } = {},
): Promise<TestServer> {
  const recordDir = await Deno.makeTempDir({ prefix: "rtmp-edge-test-" });
  const config: Config = {
    ...DEFAULT_CONFIG,
    host: "127.0.0.1",
    rtmpPort: 0,
    httpHost: "127.0.0.1",
    httpPort: 0,
    httpFlvPort: 0,
    recordDir,
    parser: opts.parser ?? "wasm",
    ...opts.config,
  };
  const factory = config.parser === "wasm" ? await loadWasmParser() : createJsParser;
  const server = startServer({
    config,
    clock: systemClock,
    log: getLogger(["rtmp-edge-test"]),
    makeParser: factory,
  });
  return {
    server,
    recordDir,
    rtmpUrl: `rtmp://127.0.0.1:${server.rtmpPort}`,
    httpUrl: `http://127.0.0.1:${server.httpPort}`,
    flvUrl: `http://127.0.0.1:${server.httpFlvPort}`,
    async [Symbol.asyncDispose]() {
      await server.close();
      await Deno.remove(recordDir, { recursive: true });
    },
  };
}

/** Runs a command with a time limit; returns exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** Counts the packets of each stream of a media file with ffprobe, decoding every frame. */
export async function countFrames(path: string): Promise<{ video: number; audio: number }> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-count_frames",
    "-count_packets",
    "-show_entries",
    "stream=codec_type,nb_read_frames,nb_read_packets",
    "-of",
    "json",
    path,
  ]);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  const streams = (JSON.parse(r.stdout) as {
    streams: { codec_type: string; nb_read_frames?: string; nb_read_packets?: string }[];
  }).streams;
  const count = (type: string) => {
    const s = streams.find((x) => x.codec_type === type);
    return s ? Number(s.nb_read_packets ?? 0) : 0;
  };
  const decoded = streams.find((x) => x.codec_type === "video")?.nb_read_frames;
  if (decoded !== undefined && Number(decoded) !== count("video")) {
    throw new Error(`${path}: ${count("video")} video packets but ${decoded} decoded frames`);
  }
  return { video: count("video"), audio: count("audio") };
}

/**
 * Lists the finished recordings (`*.flv`) under the record dir, once no `.flv.part` is left
 * (recordings are finalized off the event loop, a moment after their session closed).
 */
export async function recordings(dir: string, settleMs = 5_000): Promise<string[]> {
  const end = Date.now() + settleMs;
  for (;;) {
    const out: string[] = [];
    let parts = 0;
    const walk = async (d: string) => {
      for await (const e of Deno.readDir(d)) {
        const p = `${d}/${e.name}`;
        if (e.isDirectory) await walk(p);
        else if (e.name.endsWith(".flv")) out.push(p);
        else if (e.name.endsWith(".flv.part")) parts++;
      }
    };
    await walk(dir);
    if (parts === 0 || Date.now() > end) return out.sort();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `check` returns true, polling, up to `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Path of src/main.ts. */
export const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

/** The port each listener logged (`RTMP listening on …`), by label; missing ones absent. */
export function loggedPorts(log: string): { rtmp?: number; http?: number; httpFlv?: number } {
  const port = (label: string) => {
    const m = new RegExp(`${label} listening on (?:http://)?[\\d.]+:(\\d+)`).exec(log);
    return m === null ? undefined : Number(m[1]);
  };
  const out: { rtmp?: number; http?: number; httpFlv?: number } = {};
  const rtmp = port("RTMP");
  const http = port("HTTP API");
  const httpFlv = port("HTTP-FLV");
  if (rtmp !== undefined) out.rtmp = rtmp;
  if (http !== undefined) out.http = http;
  if (httpFlv !== undefined) out.httpFlv = httpFlv;
  return out;
}

/** Starts `src/main.ts` as users do (127.0.0.1, ports 0), and reads the ports it logs. */
export async function spawnServer(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "--host",
      "127.0.0.1",
      "--rtmp-port",
      "0",
      "--http-port",
      "0",
      "--http-flv-port",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stdout = new Response(child.stdout).arrayBuffer();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  let ports = loggedPorts(log);
  const deadline = Date.now() + 20_000;
  while (ports.httpFlv === undefined && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    log += value;
    ports = loggedPorts(log);
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return log;
      log += value;
    }
  })();
  const { rtmp, http, httpFlv } = ports;
  assert.ok(
    rtmp !== undefined && http !== undefined && httpFlv !== undefined,
    `server did not log its ports:\n${log}`,
  );
  return {
    child,
    rtmpPort: rtmp,
    httpPort: http,
    httpFlvPort: httpFlv,
    stdout,
    log: () => rest,
    /** The log so far, while the server runs. */
    logNow: () => log,
  };
}
