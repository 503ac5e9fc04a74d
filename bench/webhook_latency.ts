/**
 * What a publish webhook adds to a publish: connect → `NetStream.Publish.Start` (TCP connect,
 * handshake, connect, createStream, publish) timed with our own client, without auth and with
 * a webhook on loopback that allows at once.
 *
 * ```sh
 * deno run -A bench/webhook_latency.ts --n 50
 * ```
 *
 * Each publish runs alone (one after the other), the server in this process with recording
 * off, JS parser; the hook is a `Deno.serve` in a child process answering 204 at once; the
 * modes alternate publish by publish so a busy moment hits both.
 * @module
 */

import { parseArgs } from "node:util";
import { getLogger } from "@logtape/logtape";
import { RtmpPublisher } from "../src/client/publisher.ts";
import { systemClock } from "../src/clock.ts";
import { type Config, DEFAULT_CONFIG } from "../src/config.ts";
import { createJsParser } from "../src/parser/js_parser.ts";
import { type RunningServer, startServer } from "../src/server.ts";

/** The `q`-quantile of sorted `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  const i = Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1));
  return xs[i] ?? NaN;
}

function server(extra: Partial<Config>): RunningServer {
  return startServer({
    config: {
      ...DEFAULT_CONFIG,
      host: "127.0.0.1",
      rtmpPort: 0,
      httpPort: 0,
      httpFlvPort: 0,
      record: false,
      parser: "js",
      logLevel: "error",
      ...extra,
    },
    clock: systemClock,
    log: getLogger(["bench"]),
    makeParser: createJsParser,
  });
}

/** The hook: a child process that answers every request 204 and prints its port. */
async function startHook(): Promise<{ child: Deno.ChildProcess; port: number }> {
  const code = `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: (a) => console.log(a.port) },
    async (req) => { await req.body?.cancel(); return new Response(null, { status: 204 }); });`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  void child.stdout.cancel().catch(() => {});
  return { child, port: Number(value?.trim()) };
}

async function once(port: number, name: string): Promise<number> {
  const t0 = performance.now();
  const p = await RtmpPublisher.connect(`rtmp://127.0.0.1:${port}/live/${name}`);
  const ms = performance.now() - t0;
  await p.close();
  return ms;
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Deno.args, options: { n: { type: "string" } } });
  const n = Number(values.n ?? 50);
  const hook = await startHook();
  const open = server({});
  const webhook = server({
    publishAuth: "webhook",
    onPublish: `http://127.0.0.1:${hook.port}/publish`,
  });
  const times = { open: [] as number[], webhook: [] as number[] };
  try {
    for (let i = 0; i < 5; i++) { // warm-up, not counted
      await once(open.rtmpPort, `w${i}`);
      await once(webhook.rtmpPort, `w${i}`);
    }
    for (let i = 0; i < n; i++) {
      times.open.push(await once(open.rtmpPort, `b${i}`));
      times.webhook.push(await once(webhook.rtmpPort, `b${i}`));
    }
  } finally {
    await open.close();
    await webhook.close();
    hook.child.kill("SIGTERM");
    await hook.child.status;
  }
  console.log(`connect → Publish.Start, ${n} publishes each`);
  console.log("| mode | p50 ms | p99 ms | max ms |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [mode, xs] of Object.entries(times)) {
    const s = [...xs].sort((a, b) => a - b);
    const f = (q: number) => quantile(s, q).toFixed(2);
    console.log(`| ${mode} | ${f(0.5)} | ${f(0.99)} | ${s.at(-1)!.toFixed(2)} |`);
  }
  const p50 = quantile([...times.webhook].sort((a, b) => a - b), 0.5) -
    quantile([...times.open].sort((a, b) => a - b), 0.5);
  console.log(`webhook adds ${p50.toFixed(2)} ms at p50`);
}
