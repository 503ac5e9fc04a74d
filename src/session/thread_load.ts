/**
 * How busy the event loop's thread is: the share of its awake time it ran on a CPU, from the
 * thread's run time in Linux's `/proc/thread-self/schedstat` (ns). Naps taken on purpose
 * (`LoopNap`) are not awake time. Elsewhere, or without read access, there is no figure.
 * @module
 */

/** Reads the thread's schedstat line, or null when there is none. */
export type SchedstatReader = () => string | null;

/** `/proc/thread-self/schedstat` of the calling thread (null off Linux or without access). */
export function readSchedstat(): string | null {
  try {
    return Deno.readTextFileSync("/proc/thread-self/schedstat");
  } catch {
    return null;
  }
}

/**
 * Samples the loop thread's busy share between calls.
 *
 * @example Ran 30 of the 60 ms it was awake
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThreadLoad } from "./thread_load.ts";
 *
 * let runNs = 1e9;
 * const load = new ThreadLoad(() => `${runNs} 0 1\n`);
 * assert.equal(load.sample(0, 0), null); // the first sample has nothing to compare with
 * runNs += 30e6;
 * assert.equal(load.sample(100, 40), 0.5); // 100 ms, 40 of them napping
 * ```
 */
export class ThreadLoad {
  readonly #read: SchedstatReader;
  #runNs = -1;
  #atMs = 0;
  #nappedMs = 0;

  constructor(read: SchedstatReader = readSchedstat) {
    this.#read = read;
  }

  /**
   * The share (0..1) of the awake time since the last sample the thread ran; null on the first
   * sample, when nothing was awake, or when the run time cannot be read.
   */
  sample(nowMs: number, nappedMs: number): number | null {
    const text = this.#read();
    const runNs = text === null ? Number.NaN : Number(text.split(" ", 1)[0]);
    const last = { runNs: this.#runNs, atMs: this.#atMs, nappedMs: this.#nappedMs };
    this.#runNs = Number.isFinite(runNs) ? runNs : -1;
    this.#atMs = nowMs;
    this.#nappedMs = nappedMs;
    if (this.#runNs < 0 || last.runNs < 0) return null;
    const awakeMs = nowMs - last.atMs - (nappedMs - last.nappedMs);
    if (!(awakeMs > 0)) return null;
    return Math.min(1, Math.max(0, (this.#runNs - last.runNs) / 1e6 / awakeMs));
  }
}
