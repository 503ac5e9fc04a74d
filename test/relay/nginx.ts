/**
 * nginx with the RTMP module as an origin for relay tests: a config in a temp dir, a free
 * port, start, kill (as a crash) and restart on the same port, stop.
 * @module
 */

import { have, missing } from "../interop/harness.ts";

/** Where Debian's libnginx-mod-rtmp puts the module. */
export const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/** True (after a loud message) when nginx or its RTMP module is missing. */
export const noNginx: boolean = missing(
  "nginx with the RTMP module (apt-get install nginx-light libnginx-mod-rtmp)",
  have("nginx", "-v") && exists(RTMP_MODULE),
);

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A running nginx-rtmp origin with application `live` recording every publish. */
export interface NginxOrigin extends AsyncDisposable {
  readonly port: number;
  /** `rtmp://127.0.0.1:PORT/live`, for `--push`. */
  readonly url: string;
  /** Where `record all` writes (`NAME-UNIXTIME.flv`, `record_unique on`). */
  readonly recordDir: string;
  /** Kills it with SIGKILL, as a crash, and waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** The log nginx wrote so far. */
  errorLog(): Promise<string>;
}

/** A port nothing listens on now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function config(dir: string, port: number): string {
  return `load_module ${RTMP_MODULE};
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    application live {
      live on;
      record all;
      record_path ${dir}/rec;
      record_unique on;
    }
  }
}
`;
}

/** Starts nginx-rtmp on a free port in a temp dir (removed on dispose). */
export async function startNginx(): Promise<NginxOrigin> {
  const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-nginx-" });
  await Deno.mkdir(`${dir}/rec`);
  const port = freePort();
  await Deno.writeTextFile(`${dir}/nginx.conf`, config(dir, port));
  let child: Deno.ChildProcess | null = null;
  const launch = async () => {
    child = new Deno.Command("nginx", {
      args: ["-c", `${dir}/nginx.conf`, "-p", `${dir}/`, "-e", `${dir}/error.log`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitListening(port, child);
  };
  const stop = async (signal: Deno.Signal) => {
    const c: Deno.ChildProcess | null = child;
    if (c === null) return;
    child = null;
    try {
      c.kill(signal);
    } catch { /* already gone */ }
    await c.status;
  };
  await launch();
  return {
    port,
    url: `rtmp://127.0.0.1:${port}/live`,
    recordDir: `${dir}/rec`,
    kill: () => stop("SIGKILL"),
    restart: launch,
    errorLog: () => Deno.readTextFile(`${dir}/error.log`).catch(() => ""),
    async [Symbol.asyncDispose]() {
      await stop("SIGTERM");
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function waitListening(port: number, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      if (exited) throw new Error(`nginx exited before listening on ${port}`);
      if (Date.now() > end) throw new Error(`nginx not listening on ${port} within 10 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The `.flv` files nginx recorded for `name`, oldest first. */
export async function originRecordings(dir: string, name: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(`${name}-`) && e.name.endsWith(".flv")) out.push(`${dir}/${e.name}`);
  }
  return out.sort();
}

/** The video tags of an FLV file in order: frame type 1 is a key frame; AVC packet type 0 a sequence header. */
export async function videoTags(
  path: string,
): Promise<{ keyframe: boolean; config: boolean; timestamp: number }[]> {
  const b = await Deno.readFile(path);
  const v = new DataView(b.buffer);
  const out: { keyframe: boolean; config: boolean; timestamp: number }[] = [];
  for (let o = 13; o + 11 <= b.length;) {
    const type = b[o]! & 0x1f;
    const size = v.getUint32(o) & 0xffffff;
    const timestamp = (v.getUint32(o + 4) >>> 8) | (b[o + 7]! << 24);
    if (o + 11 + size > b.length) break;
    if (type === 9 && size >= 2) {
      out.push({ keyframe: b[o + 11]! >> 4 === 1, config: b[o + 12] === 0, timestamp });
    }
    o += 11 + size + 4;
  }
  return out;
}
