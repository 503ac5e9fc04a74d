/**
 * Timers behind an interface, so relay tests can run backoffs without waiting.
 * @module
 */

/** Cancels a timer; does nothing once it fired or was cancelled. */
export type CancelTimer = () => void;

/** One-shot timers. */
export interface Timers {
  /** Calls `fn` once after `ms`; returns what cancels it. */
  set(fn: () => void, ms: number): CancelTimer;
}

/** The real timers (`setTimeout` / `clearTimeout`). */
export const systemTimers: Timers = Object.freeze({
  set(fn: () => void, ms: number): CancelTimer {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
});
