/**
 * HAProxy in TCP mode in front of rtmp-edge for tests: a config in a temp dir, a free port,
 * `send-proxy` (v1) or `send-proxy-v2` to each backend, retries redispatched to the next
 * backend when one refuses (a killed edge), no health checks (they would be connections too).
 * @module
 */

import { have, missing } from "../interop/harness.ts";
import { freePort } from "../relay/nginx.ts";

/** True (after a loud message) when haproxy is missing. */
export const noHaproxy: boolean = missing(
  "haproxy (apt-get install haproxy)",
  have("haproxy", "-v"),
);

/** A running HAProxy. */
export interface Haproxy extends AsyncDisposable {
  /** The frontend port clients connect to. */
  readonly port: number;
}

/** Options of {@linkcode startHaproxy}. */
export interface HaproxyOptions {
  /** Backend RTMP ports on 127.0.0.1, in order. */
  readonly backends: readonly number[];
  /** `send-proxy` (1) or `send-proxy-v2` (2). */
  readonly proxyVersion: 1 | 2;
}

function config(port: number, o: HaproxyOptions): string {
  const send = o.proxyVersion === 1 ? "send-proxy" : "send-proxy-v2";
  const servers = o.backends.map((p, i) => `  server e${i} 127.0.0.1:${p} ${send}`);
  return [
    "global",
    "  maxconn 256",
    "defaults",
    "  mode tcp",
    "  timeout connect 1s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  retries 3",
    "  option redispatch 1",
    "frontend rtmp",
    `  bind 127.0.0.1:${port}`,
    "  default_backend edges",
    "backend edges",
    "  balance roundrobin",
    ...servers,
    "",
  ].join("\n");
}

/** Starts HAProxy on a free port; resolves once it accepts connections. */
export async function startHaproxy(o: HaproxyOptions): Promise<Haproxy> {
  const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-haproxy-" });
  const port = freePort();
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, config(port, o));
  const child = new Deno.Command("haproxy", {
    args: ["-db", "-f", `${dir}/haproxy.cfg`],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await stderr;
    await Deno.remove(dir, { recursive: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`haproxy did not listen on ${port}: ${await stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { port, [Symbol.asyncDispose]: stop };
}
