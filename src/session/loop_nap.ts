/**
 * Short naps of the event loop between bursts of work, so a server with thousands of
 * connections wakes a few hundred times a second instead of once per arriving packet.
 *
 * Deno's reactor wakes the main thread whenever a socket becomes readable, also one whose
 * reads are paced (`ReadPacer`): at 1000 publishers that is about 11 000 wakeups a second, each
 * a context switch, which costs more than the reads themselves. While the loop naps (a blocking
 * `Atomics.wait`), the kernel queues what arrives and the next turn of the loop takes it all from
 * one `epoll_wait`: NIC interrupt moderation, in user space. Nothing is lost: what waited is
 * handled right after the nap. Each cycle is a nap, then the work that piled up during it; the nap
 * fills what the work left of a cycle of twice the nap, so the busier the loop, the shorter its
 * naps. A loop near its limit does not nap at all ({@linkcode LoopNap.steer}): a nap would take
 * time it needs. What the naps cost is latency: up to one cycle for a read, a write or a timer.
 * Connections being set up (handshake, connect, publish or play; a second at most) hold the naps
 * off: they go through at full speed.
 * @module
 */

import type { Clock } from "../clock.ts";

/** What the loop monitor and the metrics read of the naps. */
export interface NapView {
  /** What the naps have taken so far. */
  readonly totals: LoopNapTotals;
  /** The longest nap, ms. */
  readonly napMs: number;
}

/** What a connection needs of the naps: to hold them off while it is set up. */
export interface NapHolds {
  /** No naps until the handle is disposed (or for a bounded time). */
  hold(): Disposable;
}

/** Options for {@linkcode LoopNap}. */
export interface LoopNapOptions {
  readonly clock: Clock;
  /** Longest nap in ms (default {@linkcode LOOP_NAP_MS}); a cycle is twice this. */
  readonly napMs?: number;
  /** Loop time after each nap in ms before the next, at least (default 1; timers make it 1-2). */
  readonly runMs?: number;
  /**
   * Blocks the thread for `ms`: `Atomics.wait` on a private cell by default. Tests pass one that
   * advances a fake clock.
   */
  readonly sleep?: (ms: number) => void;
  /** No timer: the owner calls {@linkcode LoopNap.tick} (tests). */
  readonly manual?: boolean;
}

/** Default nap length in ms: the most a read, a write or a timer waits for it. */
export const LOOP_NAP_MS = 4;

/** Naps start while the loop's thread, not napping, runs less than this share of the time. */
export const NAP_WHEN_BUSY_BELOW = 0.6;
/** Naps stop once the thread runs more than this share of its awake time (naps excluded). */
export const NO_NAP_WHEN_BUSY_ABOVE = 0.9;

/** Longest a connection's setup holds the naps off (`hold()`). */
export const LOOP_NAP_HOLD_MS = 1_000;

/** A nap shorter than this is not worth its wakeup. */
const MIN_NAP_MS = 0.5;

/** What the naps have taken so far. */
export interface LoopNapTotals {
  /** Naps taken. */
  readonly naps: number;
  /** Ms spent napping. */
  readonly nappedMs: number;
}

/**
 * While on, naps the loop for `napMs`, then lets it run for at least `runMs` and the work that
 * waited, then naps again.
 *
 * @example Naps shorten as the work grows; held or off, none
 * ```ts
 * import assert from "node:assert/strict";
 * import { FakeClock } from "../clock.ts";
 * import { LoopNap } from "./loop_nap.ts";
 *
 * const clock = new FakeClock(0);
 * const sleep = (ms: number) => clock.advance(ms);
 * using nap = new LoopNap({ clock, napMs: 4, manual: true, sleep });
 * nap.set(true);
 * nap.tick(); // 4 ms
 * clock.advance(3); // the work that piled up
 * nap.tick(); // 4 ms: the cycle is 7
 * clock.advance(6); // more work
 * nap.tick(); // 2 ms: the rest of a cycle of 8
 * {
 *   using _setup = nap.hold(); // a connection's handshake
 *   nap.tick();
 * }
 * nap.set(false);
 * nap.tick();
 * assert.deepEqual(nap.totals, { naps: 3, nappedMs: 10 });
 * ```
 */
export class LoopNap implements NapView, NapHolds, Disposable {
  readonly #clock: Clock;
  readonly #napMs: number;
  readonly #runMs: number;
  readonly #sleep: (ms: number) => void;
  readonly #manual: boolean;
  #on = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #naps = 0;
  #nappedMs = 0;
  readonly #holds = new Set<{ readonly until: number }>();
  /** When the last nap ended (or the loop last passed a tick without one). */
  #awakeFrom = 0;

  /** Makes the naps, off until {@linkcode LoopNap.set} or {@linkcode LoopNap.steer}. */
  constructor(options: LoopNapOptions) {
    this.#clock = options.clock;
    this.#napMs = options.napMs ?? LOOP_NAP_MS;
    this.#runMs = options.runMs ?? 1;
    this.#manual = options.manual ?? false;
    if (!(this.#napMs > 0 && this.#napMs <= 100)) {
      throw new RangeError(`Loop nap must be above 0 and at most 100 ms: got ${this.#napMs}`);
    }
    if (!(this.#runMs >= 0)) throw new RangeError(`Loop run time must be >= 0: got ${this.#runMs}`);
    if (options.sleep !== undefined) {
      this.#sleep = options.sleep;
    } else {
      const cell = new Int32Array(new SharedArrayBuffer(4));
      this.#sleep = (ms) => void Atomics.wait(cell, 0, 0, ms);
    }
  }

  /** Whether naps are on. */
  get on(): boolean {
    return this.#on;
  }

  /** The longest nap, ms. */
  get napMs(): number {
    return this.#napMs;
  }

  /** What the naps have taken so far. */
  get totals(): LoopNapTotals {
    return { naps: this.#naps, nappedMs: this.#nappedMs };
  }

  /** Turns naps on or off (the timer runs only while on). */
  set(on: boolean): void {
    if (on === this.#on) return;
    this.#on = on;
    if (on) {
      this.#awakeFrom = this.#clock.now();
      if (!this.#manual) this.#timer = setTimeout(() => this.#fire(), 0);
    } else if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  /**
   * Turns naps on or off from what the server wants (enough sessions open) and how busy the
   * loop's thread was lately (`ThreadLoad`; null when unknown): on below
   * {@linkcode NAP_WHEN_BUSY_BELOW}, off above {@linkcode NO_NAP_WHEN_BUSY_ABOVE}, as before in
   * between (busy counts awake time only, so napping makes it look busier).
   */
  steer(wanted: boolean, busy: number | null): void {
    if (!wanted) this.set(false);
    else if (busy === null) this.set(true);
    else if (this.#on ? busy > NO_NAP_WHEN_BUSY_ABOVE : busy < NAP_WHEN_BUSY_BELOW) {
      this.set(!this.#on);
    }
  }

  /**
   * No naps until the returned handle is disposed, or for {@linkcode LOOP_NAP_HOLD_MS} at most (a
   * connection being set up: its round trips must not wait for naps, but a client that never
   * publishes must not keep them off).
   */
  hold(): Disposable {
    const hold = { until: this.#clock.now() + LOOP_NAP_HOLD_MS };
    this.#holds.add(hold);
    return { [Symbol.dispose]: () => void this.#holds.delete(hold) };
  }

  /** Whether a hold is open now; drops the ones past their time. */
  #held(now: number): boolean {
    for (const hold of this.#holds) if (hold.until < now) this.#holds.delete(hold);
    return this.#holds.size > 0;
  }

  /**
   * Naps for what is left of the cycle since the last nap ended (at most the nap length), if on
   * and not held.
   */
  tick(): void {
    if (!this.#on) return;
    const start = this.#clock.now();
    const ms = Math.min(this.#napMs, 2 * this.#napMs - (start - this.#awakeFrom));
    if (ms >= MIN_NAP_MS && !this.#held(start)) {
      this.#sleep(ms);
      this.#naps++;
      // A wall clock stepped back during the nap counts nothing, never less.
      this.#nappedMs += Math.max(0, this.#clock.now() - start);
    }
    this.#awakeFrom = this.#clock.now();
  }

  /** Stops napping. */
  [Symbol.dispose](): void {
    this.set(false);
  }

  #fire(): void {
    this.#timer = null;
    this.tick();
    if (this.#on && !this.#manual) this.#timer = setTimeout(() => this.#fire(), this.#runMs);
  }
}
