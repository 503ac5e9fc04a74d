/**
 * What a process pays just to receive many small streams, with no server code around it: N
 * loopback TCP sockets written by a Node child (`bench/read_floor_node.mjs write`: an FLV
 * file's tag bodies in real time as plain bytes, one 20 ms timer, the byte rate and write
 * pattern of `tools/load_node.mjs`), and a reader that does nothing but read them, each into
 * its own 64 KiB buffer. Readers (`--readers`, in this order):
 *
 * - `deno-every`: a Deno process, one `conn.read()` after another per socket (every arrival);
 * - `deno-merged`: a Deno process that waits 200 ms before each read, on one 10 ms ticker, as
 *   our server's merged reads (`src/session/read_pacer.ts`) do for an unwatched publisher;
 * - `deno-napped`: `deno-merged` with the server's loop naps (`src/session/loop_nap.ts`, 4 ms);
 * - `node`: a Node process, `node:net` `data` events;
 * - `ours`: our server (`src/main.ts --no-record`) under `tools/load_node.mjs` (real RTMP);
 * - `nginx`: nginx-rtmp (`record off`, one process, as `bench:many`) under the same loader.
 *
 * For each, over the same window after a warm-up: the reader's user and system CPU %, reads/s
 * (`read` + `recvfrom`), `epoll_wait`/s (`epoll_wait` + `epoll_pwait` + `epoll_pwait2`), from
 * `perf stat` on its pid; the writer's CPU %; and what it sent per socket. Needs `perf` with
 * syscall tracepoints (root); run it under the machine-wide lock.
 *
 * ```sh
 * flock /tmp/bench.lock deno run -A bench/read_floor.ts --sockets 1000 --seconds 10
 * deno run -A bench/read_floor.ts --readers deno-every,deno-merged --sockets 500
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { systemClock } from "../src/clock.ts";
import { LoopNap } from "../src/session/loop_nap.ts";
import { LineTail } from "./e2e_lines.ts";
import { ensureSmallFlv } from "./e2e_many.ts";
import { ensureNginx, startNginx, startOurs } from "./e2e_servers.ts";

/** Who reads the sockets. */
export type ReaderKind = "deno-every" | "deno-merged" | "deno-napped" | "node" | "ours" | "nginx";

const KINDS: readonly ReaderKind[] = [
  "deno-every",
  "deno-merged",
  "deno-napped",
  "node",
  "ours",
  "nginx",
];
const MERGE_MS = 200;
const TICK_MS = 10;
const READ_BYTES = 64 * 1024;
const START_TIMEOUT_MS = 120_000;
const REPO = new URL("..", import.meta.url).pathname;
const NODE_HALF = new URL("./read_floor_node.mjs", import.meta.url).pathname;
const READS = ["syscalls:sys_enter_read", "syscalls:sys_enter_recvfrom"];
const WAITS = [
  "syscalls:sys_enter_epoll_wait",
  "syscalls:sys_enter_epoll_pwait",
  "syscalls:sys_enter_epoll_pwait2",
];

/** One reader's measured window. */
export interface ReadFloorRow {
  readonly reader: ReaderKind;
  readonly sockets: number;
  readonly userPercent: number;
  readonly sysPercent: number;
  readonly readsPerSecond: number;
  readonly epollWaitsPerSecond: number;
  /** The writing process's CPU % (user + system). */
  readonly writerPercent: number;
  /** What the writer reported sending, kbit/s per socket. */
  readonly kbitPerSocket: number | null;
  /** Sockets that failed (loader errors); 0 for the plain writer, which exits on any. */
  readonly errors: number;
  /**
   * Bytes received but not yet read at the window's end, KiB per socket (`ss` Recv-Q): about
   * 0 for a reader that reads every arrival, up to one wait's worth (~24 KiB) for a merged one;
   * more means the reader fell behind.
   */
  readonly unreadKiB: number;
}

/** A process under measurement and how to end it. */
interface Target {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/** utime and stime of a process (all threads), in clock ticks. */
function cpuTicks(pid: number): { user: number; sys: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(rest[11]), sys: Number(rest[12]) };
}

/** Clock ticks per second of /proc times. */
function clockTicks(): number {
  const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
}

/** Resolves waiters on a shared ticker once their time has come: one timer for every socket. */
class WaitTicker {
  #waiting: { due: number; resolve: () => void }[] = [];
  #timer: ReturnType<typeof setInterval>;

  constructor(periodMs: number) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      const still: { due: number; resolve: () => void }[] = [];
      for (const w of this.#waiting) {
        if (w.due <= now) w.resolve();
        else still.push(w);
      }
      this.#waiting = still;
    }, periodMs);
  }

  /** Settles at the first tick at least `ms` from now. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => this.#waiting.push({ due: performance.now() + ms, resolve }));
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}

/** The Deno reader (the child process): prints its port, reads every socket until it closes. */
async function denoReader(merged: boolean, napped: boolean): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(String(listener.addr.port));
  using ticker = new WaitTicker(TICK_MS);
  using naps = new LoopNap({ clock: systemClock });
  naps.set(napped);
  const readAll = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(READ_BYTES);
    try {
      for (;;) {
        if (merged) await ticker.wait(MERGE_MS);
        if ((await conn.read(buf)) === null) break;
      }
    } catch { /* reset */ }
    conn.close();
  };
  for await (const conn of listener) readAll(conn);
}

/** Starts a plain reader child (Deno or Node) and reads its port from its first line. */
async function startReader(
  kind: "deno-every" | "deno-merged" | "deno-napped" | "node",
): Promise<Target> {
  const cmd = kind === "node"
    ? new Deno.Command("node", { args: [NODE_HALF, "read"], stdout: "piped", stderr: "inherit" })
    : new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--reader", kind],
      stdout: "piped",
      stderr: "inherit",
    });
  const child = cmd.spawn();
  const lines = new LineTail(child.stdout);
  const port = Number((await lines.waitFor(/^(\d+)$/, START_TIMEOUT_MS))[1]);
  return {
    pid: child.pid,
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await lines.done;
    },
  };
}

/** Starts our server or nginx-rtmp, recording off; removes its directories when stopped. */
async function startServer(kind: "ours" | "nginx", sockets: number): Promise<Target> {
  const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-read-floor-" });
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    let server;
    if (kind === "ours") {
      server = await startOurs({
        recordDir: dir,
        parser: "wasm",
        record: false,
        args: ["--max-connections", String(Math.max(1000, sockets + 100))],
      });
    } else {
      const install = await ensureNginx(console.error);
      if (install === null) throw new Error("nginx-rtmp is not installed");
      server = await startNginx(install, { recordDir: dir, workDir: dir, record: false });
    }
    return {
      pid: server.pid,
      port: server.rtmpPort,
      async stop() {
        await server.stop();
        await remove();
      },
    };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** `perf stat` counts of `events` on `pid` over `seconds`. */
async function perfCounts(
  pid: number,
  events: readonly string[],
  seconds: number,
): Promise<Map<string, number>> {
  const out = await new Deno.Command("perf", {
    args: [
      "stat",
      "-x",
      ",",
      "-e",
      events.join(","),
      "-p",
      String(pid),
      "--",
      "sleep",
      String(seconds),
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const counts = new Map<string, number>();
  for (const line of new TextDecoder().decode(out.stderr).split("\n")) {
    const f = line.split(",");
    const event = f[2];
    if (event !== undefined && events.includes(event)) counts.set(event, Number(f[0]) || 0);
  }
  if (counts.size === 0) {
    throw new Error(`perf stat counted nothing: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return counts;
}

/** Sum of Recv-Q over the established sockets whose local port is `port`, and their count. */
async function unreadBytes(port: number): Promise<{ bytes: number; sockets: number }> {
  const out = await new Deno.Command("ss", {
    args: ["-tnH", "state", "established", "sport", "=", `:${port}`],
    stdout: "piped",
  }).output();
  let bytes = 0, sockets = 0;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const recvQ = Number(line.trim().split(/\s+/)[0]);
    if (line.trim() === "" || !Number.isFinite(recvQ)) continue;
    bytes += recvQ;
    sockets++;
  }
  return { bytes, sockets };
}

/** Runs one reader under the writer (or the RTMP loader) and measures the window. */
async function measure(
  kind: ReaderKind,
  o: { sockets: number; seconds: number; warmup: number; flv: string; ticks: number },
): Promise<ReadFloorRow> {
  const target = kind === "ours" || kind === "nginx"
    ? await startServer(kind, o.sockets)
    : await startReader(kind);
  const sendSeconds = o.warmup + o.seconds + 2;
  const rtmp = kind === "ours" || kind === "nginx";
  const writer = new Deno.Command("node", {
    args: rtmp
      ? [
        "tools/load_node.mjs",
        "--url",
        `rtmp://127.0.0.1:${target.port}/live/m`,
        "--flv",
        o.flv,
        "--publishers",
        String(o.sockets),
        "--seconds",
        String(sendSeconds),
        "--json",
      ]
      : [NODE_HALF, "write", String(target.port), String(o.sockets), o.flv, String(sendSeconds)],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const report = new Response(writer.stdout).text();
  const lines = new LineTail(writer.stderr);
  try {
    await lines.waitFor(/(load|write): sending/, START_TIMEOUT_MS);
    await new Promise((r) => setTimeout(r, o.warmup * 1000));
    const t0 = performance.now(), r0 = cpuTicks(target.pid), w0 = cpuTicks(writer.pid);
    const counts = await perfCounts(target.pid, [...READS, ...WAITS], o.seconds);
    const t1 = performance.now(), r1 = cpuTicks(target.pid), w1 = cpuTicks(writer.pid);
    const unread = await unreadBytes(target.port);
    await writer.status;
    const s = (t1 - t0) / 1000;
    const sum = (names: readonly string[]) =>
      names.reduce((a, name) => a + (counts.get(name) ?? 0), 0);
    const percent = (ticks: number) => (ticks / o.ticks / s) * 100;
    let kbit: number | null = null;
    let errors = 0;
    if (rtmp) {
      const r = JSON.parse(await report) as {
        mbPerSecond: number;
        connected: number;
        errors: string[];
      };
      kbit = (r.mbPerSecond * 8000) / r.connected;
      errors = r.errors.length + (o.sockets - r.connected);
    } else {
      await report;
      const m = (await lines.waitFor(/write: stopped \((\d+) kbit/, 5000))[1];
      kbit = Number(m);
    }
    return {
      reader: kind,
      sockets: o.sockets,
      userPercent: percent(r1.user - r0.user),
      sysPercent: percent(r1.sys - r0.sys),
      readsPerSecond: sum(READS) / s,
      epollWaitsPerSecond: sum(WAITS) / s,
      writerPercent: percent(w1.user + w1.sys - w0.user - w0.sys),
      kbitPerSocket: kbit,
      errors,
      unreadKiB: unread.bytes / 1024 / Math.max(1, unread.sockets),
    };
  } finally {
    try {
      writer.kill("SIGKILL");
    } catch { /* exited */ }
    await writer.status;
    await lines.done;
    await target.stop();
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--reader") {
    await denoReader(Deno.args[1] !== "deno-every", Deno.args[1] === "deno-napped");
  } else {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        readers: { type: "string", default: KINDS.join(",") },
        sockets: { type: "string", default: "1000" },
        seconds: { type: "string", default: "10" },
        warmup: { type: "string", default: "3" },
        flv: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
    const readers = values.readers.split(",") as ReaderKind[];
    const unknown = readers.filter((r) => !KINDS.includes(r));
    if (values.help || unknown.length > 0) {
      console.log(
        `deno run -A bench/read_floor.ts [--readers ${KINDS.join(",")}] [--sockets 1000] ` +
          `[--seconds 10] [--warmup 3] [--flv FILE]`,
      );
      if (unknown.length > 0) console.error(`Unknown readers: ${unknown.join(", ")}`);
      Deno.exit(values.help ? 0 : 2);
    }
    const home = Deno.env.get("HOME") ?? "/tmp";
    const cache = `${Deno.env.get("XDG_CACHE_HOME") ?? `${home}/.cache`}/rtmp-edge`;
    const flv = values.flv ?? await ensureSmallFlv(cache, 850);
    const ticks = clockTicks();
    console.log(`${new Date().toISOString()}, Deno ${Deno.version.deno}, ${flv}\n`);
    console.log(
      "| reader | sockets | user % | sys % | CPU % | reads/s | epoll_wait/s | writer % | kbit/s per socket | errors | unread KiB/socket |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const reader of readers) {
      for (const sockets of values.sockets.split(",").map(Number)) {
        const r = await measure(reader, {
          sockets,
          seconds: Number(values.seconds),
          warmup: Number(values.warmup),
          flv,
          ticks,
        });
        console.log(
          `| ${r.reader} | ${r.sockets} | ${r.userPercent.toFixed(1)} | ${
            r.sysPercent.toFixed(1)
          } | ${(r.userPercent + r.sysPercent).toFixed(1)} | ${r.readsPerSecond.toFixed(0)} | ${
            r.epollWaitsPerSecond.toFixed(0)
          } | ${r.writerPercent.toFixed(1)} | ${
            r.kbitPerSocket?.toFixed(0) ?? "–"
          } | ${r.errors} | ${r.unreadKiB.toFixed(1)} |`,
        );
      }
    }
  }
}
