/**
 * The server's one schedule of recording syncs: each recording's file is synced (fdatasync)
 * about once per interval, in turn, with only a few syncs running at once. Deno runs file
 * operations on a small pool of blocking threads; a sync per recording per second all at once
 * (2000 at 2000 publishers) fills that pool, and every recording's writes wait behind them.
 * When the disk cannot sync every file within the interval, each waits its turn: the files
 * are synced round-robin as fast as the disk allows.
 * @module
 */

import type { Clock } from "../clock.ts";

/** A file to sync: writes out what it holds and syncs it; never rejects. */
export interface SyncTarget {
  sync(): Promise<void>;
}

/** Options for {@linkcode SyncScheduler}. */
export interface SyncSchedulerOptions {
  /** Shortest time from the start of one sync of a file to the start of its next, in ms. */
  readonly intervalMs: number;
  /** Most syncs running at once (default {@linkcode MAX_SYNCS_AT_ONCE}). */
  readonly maxAtOnce?: number;
  readonly clock: Clock;
  /** No timer: the owner calls {@linkcode SyncScheduler.run} (tests). */
  readonly manual?: boolean;
}

/** Default number of syncs running at once: a quarter of Deno's 32 blocking threads. */
export const MAX_SYNCS_AT_ONCE = 8;

interface Entry {
  readonly target: SyncTarget;
  dueAt: number;
  active: boolean;
}

/**
 * Syncs registered files in turn, each at most once per interval.
 *
 * @example One file synced once per interval
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../clock.ts";
 * import { SyncScheduler } from "./sync_scheduler.ts";
 *
 * const clock = new FakeClock(0);
 * using syncs = new SyncScheduler({ intervalMs: 1000, clock, manual: true });
 * let synced = 0;
 * using _file = syncs.add({ sync: () => Promise.resolve(void synced++) });
 * syncs.run();
 * assert.equal(synced, 0);
 * clock.advance(1000);
 * syncs.run();
 * assert.equal(synced, 1);
 * ```
 */
export class SyncScheduler implements Disposable {
  #o: SyncSchedulerOptions;
  #max: number;
  /** Files in the order of their next sync; inactive ones are dropped when they come up. */
  #queue: Entry[] = [];
  #head = 0;
  #active = 0;
  #running = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = 0;
  #disposed = false;

  /** Makes an empty schedule. */
  constructor(options: SyncSchedulerOptions) {
    if (!(options.intervalMs > 0)) {
      throw new RangeError(`Sync interval must be over 0 ms: got ${options.intervalMs}`);
    }
    this.#o = options;
    this.#max = Math.max(1, Math.floor(options.maxAtOnce ?? MAX_SYNCS_AT_ONCE));
  }

  /** Files registered. */
  get files(): number {
    return this.#active;
  }

  /** Syncs running now. */
  get running(): number {
    return this.#running;
  }

  /** Registers a file; its first sync is due one interval from now. Dispose to remove it. */
  add(target: SyncTarget): Disposable {
    const entry: Entry = { target, dueAt: this.#o.clock.now() + this.#o.intervalMs, active: true };
    this.#queue.push(entry);
    this.#active++;
    this.run();
    return {
      [Symbol.dispose]: () => {
        if (!entry.active) return;
        entry.active = false;
        this.#active--;
        if (this.#active === 0) this.#stopTimer();
      },
    };
  }

  /** Starts the syncs that are due, as many as may run; then waits for the next one due. */
  run(): void {
    if (this.#disposed) return;
    const now = this.#o.clock.now();
    while (this.#running < this.#max && this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      if (entry.active && entry.dueAt > now) break;
      this.#head++;
      if (entry.active) this.#start(entry, now);
    }
    this.#compact();
    const next = this.#queue[this.#head];
    if (this.#running < this.#max && next !== undefined) this.#wake(next.dueAt - now);
  }

  /** Stops scheduling; syncs running finish on their own. */
  [Symbol.dispose](): void {
    this.#disposed = true;
    this.#stopTimer();
    this.#queue = [];
    this.#head = 0;
  }

  #start(entry: Entry, now: number): void {
    this.#running++;
    void entry.target.sync().catch(() => {}).finally(() => {
      this.#running--;
      if (entry.active && !this.#disposed) {
        entry.dueAt = now + this.#o.intervalMs;
        this.#queue.push(entry);
      }
      this.run();
    });
  }

  /** Drops the entries already taken once they are half the queue. */
  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #wake(inMs: number): void {
    if (this.#o.manual === true) return;
    const at = this.#o.clock.now() + Math.max(0, inMs);
    if (this.#timer !== null && this.#timerAt <= at) return;
    this.#stopTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.run();
    }, Math.max(0, inMs));
  }

  #stopTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
