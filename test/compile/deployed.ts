/**
 * Runs the server as deployed (a command line, e.g. the compiled binary) on free ports, publishes
 * with FFmpeg over RTMP and RTMPS, stops it with SIGTERM and checks both recordings with ffprobe.
 * @module
 */

import assert from "node:assert/strict";
import { countFrames, recordings, run } from "../interop/harness.ts";
import { makeTestPki } from "../tls/test_ca.ts";

/** How long the server may take to say where it listens. */
const START_MS = 20_000;

/** A started server process and what it has logged so far. */
interface Running {
  readonly child: Deno.ChildProcess;
  readonly log: string[];
  /** Resolves with the exit status once the process ends. */
  readonly done: Promise<Deno.CommandStatus>;
}

function start(cmd: readonly string[], args: string[]): Running {
  const child = new Deno.Command(cmd[0]!, {
    args: [...cmd.slice(1), ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const reading = (async () => {
    let rest = "";
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      log.push(...lines);
    }
    if (rest !== "") log.push(rest);
  })();
  const done = reading.then(() => child.status);
  return { child, log, done };
}

async function portOf(r: Running, what: RegExp): Promise<number> {
  const end = Date.now() + START_MS;
  for (;;) {
    for (const line of r.log) {
      const m = what.exec(line);
      if (m !== null) return Number(m[1]);
    }
    if (Date.now() > end) throw new Error(`No ${what} in the log:\n${r.log.join("\n")}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function publish(url: string): Promise<void> {
  const r = await run("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
    ...["-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440"],
    ...["-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac"],
    ...["-f", "flv", url],
  ]);
  assert.equal(r.code, 0, `ffmpeg to ${url}: ${r.stderr}`);
}

/**
 * Checks `cmd` (the server, without flags): `--version` prints `rtmp-edge <version>`; started
 * with free ports and an RTMPS certificate it records an FFmpeg publish over each protocol,
 * frame for frame, and exits 0 on SIGTERM.
 */
export async function checkDeployed(cmd: readonly string[], version: string): Promise<void> {
  const v = await run(cmd[0]!, [...cmd.slice(1), "--version"]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), `rtmp-edge ${version}`);
  await using pki = await makeTestPki();
  const recordDir = await Deno.makeTempDir({ prefix: "rtmp-edge-deployed-" });
  const server = start(cmd, [
    ...["--host", "127.0.0.1", "--rtmp-port", "0", "--http-port", "0", "--http-flv-port", "0"],
    ...["--rtmps-port", "0", "--tls-cert", pki.cert, "--tls-key", pki.key],
    ...["--record-dir", recordDir],
  ]);
  try {
    const rtmp = await portOf(server, /RTMP listening on 127\.0\.0\.1:(\d+)/);
    const rtmps = await portOf(server, /RTMPS listening on 127\.0\.0\.1:(\d+)/);
    await publish(`rtmp://127.0.0.1:${rtmp}/live/plain`);
    await publish(`rtmps://127.0.0.1:${rtmps}/live/tls`);
    server.child.kill("SIGTERM");
    const status = await server.done;
    assert.equal(status.code, 0, server.log.join("\n"));
    const files = await recordings(recordDir);
    assert.equal(files.length, 2, `recordings: ${files.join(", ")}`);
    for (const f of files) assert.deepEqual(await countFrames(f), { video: 25, audio: 45 }, f);
    assert.ok(server.log.some((l) => /Parser wasm/.test(l)), "the WASM core is in use");
  } finally {
    try {
      server.child.kill("SIGKILL");
    } catch { /* exited */ }
    await server.done;
    await Deno.remove(recordDir, { recursive: true });
  }
}
