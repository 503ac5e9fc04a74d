/**
 * The server's one ticker for paced reads (`ReadPacer`) and merged player writes
 * (`FlushPacer`): a connection that may wait before its next read or flush takes a slot a few
 * ticks ahead and awaits it, so a thousand waiting connections share one timer and one
 * promise per tick instead of a timer each. The timer
 * runs only while slots are taken (and a few ticks after).
 * @module
 */

/** Options for {@linkcode PaceTicker}. */
export interface PaceTickerOptions {
  /** Tick period in ms (default 10). */
  readonly periodMs?: number;
  /** No timer: the owner calls {@linkcode PaceTicker.tick} (tests). */
  readonly manual?: boolean;
}

/** Default tick period. */
export const PACE_TICKER_PERIOD_MS = 10;

/** Ticks without a slot after which the timer stops. */
export const PACE_TICKER_IDLE_TICKS = 10;

/**
 * Slots of shared waits, released tick by tick.
 *
 * @example Two waits share the tick they end on
 * ```ts
 * import assert from "node:assert/strict";
 * import { PaceTicker } from "./pace_ticker.ts";
 *
 * using ticker = new PaceTicker({ periodMs: 10, manual: true });
 * const slot = ticker.slotFor(20);
 * assert.equal(ticker.slotFor(25), slot);
 * let done = false;
 * void ticker.done(slot).then(() => done = true);
 * ticker.tick();
 * await Promise.resolve();
 * assert.equal(done, false);
 * ticker.tick();
 * await Promise.resolve();
 * assert.equal(done, true);
 * ```
 */
export class PaceTicker implements Disposable {
  #periodMs: number;
  #manual: boolean;
  #ticks = 0;
  #slots = new Map<number, PromiseWithResolvers<void>>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #disposed = false;
  #idleTicks = 0;

  /** Makes a ticker; its timer starts with the first slot taken. */
  constructor(options: PaceTickerOptions = {}) {
    this.#periodMs = options.periodMs ?? PACE_TICKER_PERIOD_MS;
    this.#manual = options.manual ?? false;
    if (!(this.#periodMs > 0)) {
      throw new RangeError(`Read ticker period must be positive: got ${this.#periodMs} ms`);
    }
  }

  /** The tick period in ms. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Slots taken and not yet released. */
  get pending(): number {
    return this.#slots.size;
  }

  /**
   * The slot that ends on the last tick within `ms` from now (at least the next tick): a wait
   * for it lasts at most `ms`, and at least `ms` less one period.
   */
  slotFor(ms: number): number {
    return this.#ticks + Math.max(1, Math.floor(ms / this.#periodMs));
  }

  /** Resolves when `slot` ends (at once for a slot already past, or once disposed). */
  done(slot: number): Promise<void> {
    if (slot <= this.#ticks || this.#disposed) return Promise.resolve();
    let waiting = this.#slots.get(slot);
    if (waiting === undefined) {
      waiting = Promise.withResolvers<void>();
      this.#slots.set(slot, waiting);
      this.#run();
    }
    return waiting.promise;
  }

  /** Ends `slot` now: every wait for it resolves (a no-op for a slot already past). */
  release(slot: number): void {
    const waiting = this.#slots.get(slot);
    if (waiting !== undefined) {
      this.#slots.delete(slot);
      waiting.resolve();
    }
  }

  /**
   * One tick: the slot it ends resolves; the timer stops once no slot has been left for
   * {@linkcode PACE_TICKER_IDLE_TICKS} ticks (a publisher waiting every few ticks does not
   * start and stop it each time).
   */
  tick(): void {
    this.release(++this.#ticks);
    if (this.pending > 0) this.#idleTicks = 0;
    else if (++this.#idleTicks >= PACE_TICKER_IDLE_TICKS) this.#stop();
  }

  /** Releases every slot and stops the timer. */
  [Symbol.dispose](): void {
    this.#disposed = true;
    for (const slot of [...this.#slots.keys()]) this.release(slot);
    this.#stop();
  }

  #run(): void {
    this.#idleTicks = 0;
    if (!this.#manual && this.#timer === null) {
      this.#timer = setInterval(() => this.tick(), this.#periodMs);
    }
  }

  #stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
