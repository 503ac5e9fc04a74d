/**
 * How late the loader's own event loop runs a 10 ms timer: the share of a measured delivery lag
 * that is the loader's scheduling rather than the server's.
 * @module
 */

import { LagHistogram } from "./lag_histogram.ts";

const EVERY_MS = 10;

/** Samples event loop delay until stopped. */
export class LoopDelay {
  readonly #hist = new LagHistogram();
  #timer: ReturnType<typeof setInterval> | null = null;
  #last = 0;

  /** Starts sampling (again). */
  start(): void {
    this.stop();
    this.#last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#hist.add(now - this.#last - EVERY_MS);
      this.#last = now;
    }, EVERY_MS);
  }

  /** Stops sampling; the histogram keeps what it has. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The delays, in ms past the timer's due time. */
  get histogram(): LagHistogram {
    return this.#hist;
  }
}
