/**
 * What the runtime costs per socket write, with no server code around it: N loopback TCP
 * sockets (`TCP_NODELAY`, as our players), one `conn.write()` of the same buffer to each every
 * tick (the shape of a fan-out writing each publisher read once to every player), and a
 * child process reading them all. This process's user and system CPU over the window, per
 * write: the floor under our server's CPU per player write. The reader's CPU is shown too,
 * since on loopback the two share the kernel's TCP work. `--nagle` leaves Nagle on (as
 * nginx-rtmp's sockets): the kernel then joins small writes into fewer segments, sent as ACKs
 * come; that shows with `--pieces K` (each tick's bytes in K writes, as nginx-rtmp's one
 * `send` per chunk; writes/s then counts each of the K).
 *
 * ```sh
 * deno run -A bench/write_floor.ts --players 100,500 --bytes 10000 --tick-ms 20 --seconds 8
 * deno run -A bench/write_floor.ts --players 500 --pieces 4 --nagle
 * ```
 * @module
 */

import { parseArgs } from "node:util";

/** One measured step. */
export interface FloorStep {
  readonly players: number;
  readonly bytes: number;
  readonly writesPerSecond: number;
  readonly userPercent: number;
  readonly sysPercent: number;
  /** CPU µs per write. */
  readonly userUs: number;
  readonly sysUs: number;
  /** The reading process's CPU % (user + system). */
  readonly readerPercent: number;
}

/** utime and stime of a process (all threads), in clock ticks. */
function cpuTicks(pid: number | "self" = "self"): { user: number; sys: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(rest[11]), sys: Number(rest[12]) };
}

/** Connects `n` sockets to `port` and reads them until they close (the child process). */
async function reader(port: number, n: number): Promise<void> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < n; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  await Promise.all(conns.map(async (c) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      while ((await c.read(buf)) !== null) { /* discard */ }
    } catch { /* closed */ }
  }));
}

/** Runs one step: `players` sockets written `bytes` each tick for `seconds`. */
async function step(
  o: {
    players: number;
    bytes: number;
    tickMs: number;
    seconds: number;
    ticks: number;
    nagle: boolean;
    pieces: number;
  },
): Promise<FloorStep> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--reader",
      String(listener.addr.port),
      String(o.players),
    ],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const conns: Deno.TcpConn[] = [];
  for (let i = 0; i < o.players; i++) {
    const c = await listener.accept();
    c.setNoDelay(!o.nagle);
    conns.push(c);
  }
  listener.close();
  const buf = new Uint8Array(o.bytes);
  const size = Math.ceil(o.bytes / o.pieces);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < o.bytes; at += size) pieces.push(buf.subarray(at, at + size));
  const busy = new Uint8Array(o.players); // a tick's writes in flight: the next waits
  let writes = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < conns.length; i++) {
      if (busy[i] === 1) continue;
      busy[i] = 1;
      const conn = conns[i]!;
      for (let k = 0; k < pieces.length; k++) {
        const last = k === pieces.length - 1;
        conn.write(pieces[k]!).then(() => {
          writes++;
          if (last) busy[i] = 0;
        }, () => {});
      }
    }
  }, o.tickMs);
  await new Promise((r) => setTimeout(r, 2000)); // warm-up
  const t0 = performance.now(), c0 = cpuTicks(), r0 = cpuTicks(child.pid), w0 = writes;
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  const t1 = performance.now(), c1 = cpuTicks(), r1 = cpuTicks(child.pid), w1 = writes;
  clearInterval(timer);
  for (const c of conns) c.close();
  await child.status;
  const s = (t1 - t0) / 1000;
  const n = w1 - w0;
  const user = (c1.user - c0.user) / o.ticks, sys = (c1.sys - c0.sys) / o.ticks;
  return {
    players: o.players,
    bytes: o.bytes,
    writesPerSecond: n / s,
    userPercent: (user / s) * 100,
    sysPercent: (sys / s) * 100,
    userUs: (user / n) * 1e6,
    sysUs: (sys / n) * 1e6,
    readerPercent: ((r1.user + r1.sys - r0.user - r0.sys) / o.ticks / s) * 100,
  };
}

/** Clock ticks per second of /proc times. */
function clockTicks(): number {
  const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
}

if (import.meta.main) {
  if (Deno.args[0] === "--reader") {
    await reader(Number(Deno.args[1]), Number(Deno.args[2]));
  } else {
    const { values } = parseArgs({
      args: Deno.args,
      options: {
        players: { type: "string", default: "100,500" },
        bytes: { type: "string", default: "10000" },
        "tick-ms": { type: "string", default: "20" },
        seconds: { type: "string", default: "8" },
        nagle: { type: "boolean", default: false },
        pieces: { type: "string", default: "1" },
      },
    });
    const ticks = clockTicks();
    console.log(
      "| players | bytes/write | Nagle | writes/s | user % | sys % | user µs/write | sys µs/write | reader % |",
    );
    console.log("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    for (const players of values.players.split(",").map(Number)) {
      for (const bytes of values.bytes.split(",").map(Number)) {
        const r = await step({
          players,
          bytes,
          tickMs: Number(values["tick-ms"]),
          seconds: Number(values.seconds),
          ticks,
          nagle: values.nagle,
          pieces: Number(values.pieces),
        });
        console.log(
          `| ${r.players} | ${r.bytes} | ${values.nagle ? "on" : "off"} | ${
            r.writesPerSecond.toFixed(0)
          } | ${r.userPercent.toFixed(1)} | ${r.sysPercent.toFixed(1)} | ${r.userUs.toFixed(2)} | ${
            r.sysUs.toFixed(2)
          } | ${r.readerPercent.toFixed(1)} |`,
        );
      }
    }
  }
}
