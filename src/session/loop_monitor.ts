/**
 * One shared ticker per server that measures event-loop lag and drives every
 * connection's {@linkcode Watchdog}. When the loop stalls (a blocking disk write, a busy
 * loop), the tick after it comes late; the lateness beyond the period is counted as
 * stalled time, which deadlines do not charge to clients. The timer runs only while
 * something watches.
 * @module
 */

import type { Clock } from "../clock.ts";
import type { NapView } from "./loop_nap.ts";

/** Options for {@linkcode LoopMonitor}. */
export interface LoopMonitorOptions {
  readonly clock: Clock;
  /** Tick period in ms (default 50). */
  readonly periodMs?: number;
  /** No timer: the owner calls {@linkcode LoopMonitor.tick} (tests with a fake clock). */
  readonly manual?: boolean;
  /** Told when a watcher throws (the others still run; nothing is rethrown on the timer). */
  readonly onWatcherError?: (error: unknown) => void;
  /**
   * The loop's naps (`LoopNap`): a tick that comes late by a nap is not a stall. Only one nap
   * can hold a tick back (the timers run after each), so at most one nap's length of a tick's
   * lateness is taken for a nap.
   */
  readonly naps?: NapView;
}

/** Default tick period. */
export const LOOP_MONITOR_PERIOD_MS = 50;

/**
 * Measures event-loop stalls and calls its watchers on every tick, after the stall
 * accounting for that tick.
 *
 * @example A tick that comes 300 ms late
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../clock.ts";
 * import { LoopMonitor } from "./loop_monitor.ts";
 *
 * const clock = new FakeClock(0);
 * using monitor = new LoopMonitor({ clock, periodMs: 50, manual: true });
 * using _ = monitor.watch(() => {});
 * clock.advance(350);
 * monitor.tick();
 * assert.equal(monitor.stalledMs, 300);
 * assert.equal(monitor.healthy, false);
 * clock.advance(50);
 * monitor.tick();
 * assert.equal(monitor.healthy, true);
 * ```
 */
export class LoopMonitor implements Disposable {
  #clock: Clock;
  #periodMs: number;
  #manual: boolean;
  #watchers = new Set<(now: number) => void>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #lastTickAt = 0;
  #stalledMs = 0;
  #healthy = true;
  #onError: ((error: unknown) => void) | undefined;
  #naps: NapView | undefined;
  #lastNapped = 0;
  #lateMs = 0;

  /** Makes a monitor; its timer starts with the first watcher. */
  constructor(options: LoopMonitorOptions) {
    this.#clock = options.clock;
    this.#periodMs = options.periodMs ?? LOOP_MONITOR_PERIOD_MS;
    this.#manual = options.manual ?? false;
    this.#onError = options.onWatcherError;
    this.#naps = options.naps;
    if (!(this.#periodMs > 0)) {
      throw new RangeError(`Loop monitor period must be positive: got ${this.#periodMs} ms`);
    }
  }

  /** The tick period in ms. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Total ms the loop was stalled (ticks' lateness beyond the period) while watched. */
  get stalledMs(): number {
    return this.#stalledMs;
  }

  /** How late the last tick came beyond its period, in ms (naps not counted; 0 if on time). */
  get lateMs(): number {
    return this.#lateMs;
  }

  /**
   * False from a tick that came more than half a period late until the next tick: the
   * loop has just come back and reads that waited may not have run yet.
   */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Calls `fn` with the tick's time on every tick until the returned handle is disposed. */
  watch(fn: (now: number) => void): Disposable {
    const watcher = (now: number) => fn(now);
    if (this.#watchers.size === 0) this.#start();
    this.#watchers.add(watcher);
    return {
      [Symbol.dispose]: () => {
        if (this.#watchers.delete(watcher) && this.#watchers.size === 0) this.#stop();
      },
    };
  }

  /** Counts all lateness since the last tick as stalled time, then calls the watchers. */
  tick(): void {
    const now = this.#clock.now();
    let late = now - this.#lastTickAt - this.#periodMs;
    this.#lastTickAt = now;
    if (this.#naps !== undefined) {
      const napped = this.#naps.totals.nappedMs;
      late -= Math.min(napped - this.#lastNapped, this.#naps.napMs);
      this.#lastNapped = napped;
    }
    this.#lateMs = Math.max(0, late);
    if (late > 0) this.#stalledMs += late;
    this.#healthy = late <= this.#periodMs / 2;
    for (const w of this.#watchers) {
      try {
        w(now);
      } catch (error) {
        this.#onError?.(error); // the other watchers still run; a timer must not throw
      }
    }
  }

  /** Stops the timer; watchers are no longer called. */
  [Symbol.dispose](): void {
    this.#watchers.clear();
    this.#stop();
  }

  #start(): void {
    this.#lastTickAt = this.#clock.now();
    this.#lastNapped = this.#naps?.totals.nappedMs ?? 0;
    this.#healthy = true;
    if (!this.#manual) this.#timer = setInterval(() => this.tick(), this.#periodMs);
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
