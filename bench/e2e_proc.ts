/**
 * CPU time and memory of a running process, from Linux /proc.
 * @module
 */

/** CPU seconds (user + system) and resident memory of a process at one moment. */
export interface ProcSample {
  /** performance.now() when sampled. */
  readonly atMs: number;
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  /** Bytes the process caused to be written to storage (`write_bytes` of /proc/PID/io), or null. */
  readonly writeBytes: number | null;
}

/** Clock ticks per second for /proc/PID/stat times (`getconf CLK_TCK`, 100 when unknown). */
export function clockTicks(): number {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped", stderr: "null" })
      .outputSync();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/**
 * Parses utime + stime (fields 14 and 15) of a /proc/PID/stat line into seconds.
 *
 * @example
 * ```ts
 * import { statCpuSeconds } from "./e2e_proc.ts";
 * const line = "42 (my proc) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 1000 20";
 * console.assert(statCpuSeconds(line, 100) === 3);
 * ```
 */
export function statCpuSeconds(stat: string, ticks: number): number {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new TypeError(`Unreadable /proc stat line: ${stat.slice(0, 80)}`);
  }
  return (utime + stime) / ticks;
}

/**
 * Parses VmRSS from /proc/PID/status into bytes (0 when absent).
 *
 * @example
 * ```ts
 * import { statusRssBytes } from "./e2e_proc.ts";
 * console.assert(statusRssBytes("Name:\tdeno\nVmRSS:\t  2048 kB\n") === 2048 * 1024);
 * ```
 */
export function statusRssBytes(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Parses `write_bytes` from /proc/PID/io, or null when absent (no permission). */
export function ioWriteBytes(io: string): number | null {
  const m = /^write_bytes:\s+(\d+)/m.exec(io);
  return m ? Number(m[1]) : null;
}

/** Samples a process; null once it has exited. */
export async function sampleProc(pid: number, ticks: number): Promise<ProcSample | null> {
  try {
    const [stat, status, io] = await Promise.all([
      Deno.readTextFile(`/proc/${pid}/stat`),
      Deno.readTextFile(`/proc/${pid}/status`),
      Deno.readTextFile(`/proc/${pid}/io`).catch(() => ""),
    ]);
    return {
      atMs: performance.now(),
      cpuSeconds: statCpuSeconds(stat, ticks),
      rssBytes: statusRssBytes(status),
      writeBytes: ioWriteBytes(io),
    };
  } catch {
    return null;
  }
}

/** Polls a process's RSS until stopped and keeps the peak. */
export class PeakRss {
  #peak = 0;
  #timer: ReturnType<typeof setInterval>;
  #busy = false;

  /** Starts polling `pid` every `everyMs`. */
  constructor(pid: number, everyMs = 250) {
    this.#timer = setInterval(async () => {
      if (this.#busy) return;
      this.#busy = true;
      const s = await sampleProc(pid, 100);
      if (s !== null) this.#peak = Math.max(this.#peak, s.rssBytes);
      this.#busy = false;
    }, everyMs);
  }

  /** Stops polling; returns the highest RSS seen (bytes). */
  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}

/** Open sockets of a process (fds linking to `socket:[…]`); null once it has exited. */
export async function countSockets(pid: number): Promise<number | null> {
  try {
    let n = 0;
    for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
      const target = await Deno.readLink(`/proc/${pid}/fd/${e.name}`).catch(() => "");
      if (target.startsWith("socket:")) n++;
    }
    return n;
  } catch {
    return null;
  }
}
