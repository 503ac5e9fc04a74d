/**
 * The servers under test, as child processes on 127.0.0.1: ours (`src/main.ts`) and
 * nginx-rtmp (Debian `nginx-light` + `libnginx-mod-rtmp`, one process, `record all`).
 * @module
 */

import { LineTail } from "./e2e_lines.ts";

/** A started server process. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly rtmpPort: number;
  /** The last lines it logged, for error messages. */
  tail(): string;
  /** Sessions it closed for a limit (idle, handshake, publish timeouts), from its log; ours only. */
  limitCloses(): number;
  /** Those closes by limit, e.g. `idle-timeout 3, publish-timeout 1` (empty when none). */
  limitReasons(): string;
  /** Stops it (SIGTERM, then SIGKILL after `graceMs`); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Where the nginx binary and the RTMP module are. */
export interface NginxInstall {
  readonly nginx: string;
  readonly module: string;
}

const NGINX = "/usr/sbin/nginx";
const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
const START_TIMEOUT_MS = 30_000;
const REPO = new URL("..", import.meta.url).pathname;

/** Finds nginx-rtmp, installing it with apt-get once when missing; null if that fails. */
export async function ensureNginx(log: (line: string) => void): Promise<NginxInstall | null> {
  const found = async () => (await exists(NGINX)) && (await exists(RTMP_MODULE));
  if (await found()) return { nginx: NGINX, module: RTMP_MODULE };
  log("nginx-rtmp missing: apt-get update && apt-get install -y nginx-light libnginx-mod-rtmp");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "nginx-light", "libnginx-mod-rtmp"]]) {
    const out = await runBounded("apt-get", args, env, 300_000);
    if (!out) {
      log(`apt-get ${args[0]} failed`);
      return null;
    }
  }
  return (await found()) ? { nginx: NGINX, module: RTMP_MODULE } : null;
}

/** Starts our server from this repo; the ports come from its log. */
export async function startOurs(
  opts: {
    recordDir: string;
    parser: "js" | "wasm";
    record?: boolean;
    /** More server flags, e.g. `--max-connections 2100`. */
    args?: readonly string[];
  },
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "src/main.ts",
      "--host",
      "127.0.0.1",
      "--rtmp-port",
      "0",
      "--http-port",
      "0",
      "--http-flv-port",
      "0",
      "--record-dir",
      opts.recordDir,
      "--parser",
      opts.parser,
      ...(opts.record === false ? ["--no-record"] : []),
      ...(opts.args ?? []),
    ],
    cwd: REPO,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const limits = { closes: 0, byName: new Map<string, number>() };
  const lines = new LineTail(child.stderr, (line) => {
    const limit = / closed \(Limit ([\w-]+)/.exec(line);
    if (limit === null) return;
    limits.closes++;
    limits.byName.set(limit[1]!, (limits.byName.get(limit[1]!) ?? 0) + 1);
  });
  const server = {
    ...wrap(`ours (${opts.parser})`, child, 0, lines),
    limitCloses: () => limits.closes,
    limitReasons: () => [...limits.byName].map(([name, n]) => `${name} ${n}`).join(", "),
  };
  try {
    const rtmp = await lines.waitFor(/RTMP listening on 127\.0\.0\.1:(\d+)/, START_TIMEOUT_MS);
    await lines.waitFor(/HTTP API listening on http:\/\/127\.0\.0\.1:(\d+)/, START_TIMEOUT_MS);
    return { ...server, rtmpPort: Number(rtmp[1]) };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** Starts nginx-rtmp in the foreground as one process with a config written to `workDir`. */
export async function startNginx(
  install: NginxInstall,
  opts: { recordDir: string; workDir: string; record?: boolean },
): Promise<ServerProcess> {
  const port = freePort();
  const conf = `${opts.workDir}/nginx.conf`;
  await Deno.writeTextFile(conf, nginxConf(install.module, port, opts));
  const child = new Deno.Command(install.nginx, {
    args: ["-p", `${opts.workDir}/`, "-c", conf, "-e", `${opts.workDir}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const server = wrap("nginx-rtmp", child, port, new LineTail(child.stderr));
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return server;
    } catch {
      if (Date.now() > end) {
        const log = await Deno.readTextFile(`${opts.workDir}/error.log`).catch(() => "");
        await server.stop();
        throw new Error(
          `nginx-rtmp did not listen on ${port} within ${START_TIMEOUT_MS} ms: ${log}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The nginx.conf for one run: one process, one RTMP server on 127.0.0.1, record all. */
export function nginxConf(
  module: string,
  port: number,
  opts: { recordDir: string; workDir: string; record?: boolean },
): string {
  const record = opts.record === false ? "record off;" : `record all;
      record_path ${opts.recordDir};
      record_unique off;`;
  return `load_module ${module};
daemon off;
master_process off;
worker_processes 1;
pid ${opts.workDir}/nginx.pid;
error_log ${opts.workDir}/error.log warn;
events { worker_connections 4096; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    chunk_size 4096;
    application live {
      live on;
      ${record}
    }
  }
}
`;
}

function wrap(name: string, child: Deno.ChildProcess, rtmpPort: number, lines: LineTail) {
  let exited = false;
  const status = child.status.finally(() => exited = true);
  return {
    name,
    pid: child.pid,
    rtmpPort,
    tail: () => lines.tail(),
    limitCloses: () => 0,
    limitReasons: () => "",
    async stop(graceMs = 15_000) {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, graceMs);
        await status;
        clearTimeout(timer);
      }
      await lines.done;
    },
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with a time limit; true when it exits 0. */
export async function runBounded(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<boolean> {
  const child = new Deno.Command(cmd, { args, env, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    return (await child.status).success;
  } finally {
    clearTimeout(timer);
  }
}
