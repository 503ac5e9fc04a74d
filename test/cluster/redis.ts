/**
 * A real `redis-server` for cluster tests: a free port, no persistence, stop (as a crash)
 * and start again on the same port.
 * @module
 */

import { have, missing } from "../interop/harness.ts";
import { freePort } from "../relay/nginx.ts";

/** True (after a loud message) when redis-server is missing. */
export const noRedis: boolean = missing(
  "redis-server (apt-get install redis-server)",
  have("redis-server", "--version"),
);

/** A running Redis. */
export interface TestRedis extends AsyncDisposable {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Kills it (SIGKILL) and waits for the exit; its data is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers. */
  start(): Promise<void>;
}

/** Starts redis-server on a free port with `--save '' --appendonly no`. */
export async function startRedis(): Promise<TestRedis> {
  const port = freePort();
  let child: Deno.ChildProcess | null = null;
  const stop = async () => {
    const c = child;
    child = null;
    if (c === null) return;
    try {
      c.kill("SIGKILL");
    } catch { /* exited */ }
    await c.status;
  };
  const start = async () => {
    child = new Deno.Command("redis-server", {
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    }
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, [Symbol.asyncDispose]: stop };
}
