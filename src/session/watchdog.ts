/**
 * The per-connection deadlines: handshake, publish and idle timeouts. One timer per
 * connection ticks a few times per timeout and closes the connection with a reason that
 * names the limit.
 * @module
 */

import type { Clock } from "../clock.ts";

/** The timeouts a connection enforces, in ms. */
export interface Timeouts {
  readonly handshakeTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly idleTimeoutMs: number;
}

/** Options for {@linkcode Watchdog}. */
export interface WatchdogOptions {
  readonly timeouts: Timeouts;
  readonly clock: Clock;
  /** Called once with the reason when a deadline passes. */
  readonly expire: (reason: string) => void;
  /** Called on every tick (at most about once a second), e.g. to sync recordings. */
  readonly tick?: () => void;
}

/** Tracks a connection's phase and activity and enforces its deadlines. */
export class Watchdog implements Disposable {
  #o: WatchdogOptions;
  #startedAt: number;
  #lastReadAt: number;
  #handshakeDoneAt = -1;
  #published = false;
  #timer: ReturnType<typeof setInterval>;
  #expired = false;

  /** Starts watching; the handshake deadline runs from now. */
  constructor(options: WatchdogOptions) {
    this.#o = options;
    this.#startedAt = this.#lastReadAt = options.clock.now();
    const t = options.timeouts;
    const period = Math.max(
      50,
      Math.min(1000, t.handshakeTimeoutMs / 4, t.publishTimeoutMs / 4, t.idleTimeoutMs / 4),
    );
    this.#timer = setInterval(() => this.check(), period);
  }

  /** Notes that bytes arrived. */
  read(now: number): void {
    this.#lastReadAt = now;
  }

  /** Notes that the handshake finished; the publish deadline runs from now. */
  handshakeDone(): void {
    this.#handshakeDoneAt = this.#o.clock.now();
  }

  /** Notes that the client published; the publish deadline no longer applies. */
  published(): void {
    this.#published = true;
  }

  /** Checks every deadline now (the timer calls this). */
  check(): void {
    if (this.#expired) return;
    const now = this.#o.clock.now();
    const t = this.#o.timeouts;
    let reason: string | null = null;
    if (this.#handshakeDoneAt < 0 && now - this.#startedAt >= t.handshakeTimeoutMs) {
      reason = `Limit handshake-timeout: handshake not done within ${t.handshakeTimeoutMs} ms`;
    } else if (
      this.#handshakeDoneAt >= 0 && !this.#published &&
      now - this.#handshakeDoneAt >= t.publishTimeoutMs
    ) {
      reason = `Limit publish-timeout: no publish within ${t.publishTimeoutMs} ms of the handshake`;
    } else if (now - this.#lastReadAt >= t.idleTimeoutMs) {
      reason = `Limit idle-timeout: no data for ${t.idleTimeoutMs} ms`;
    }
    if (reason !== null) {
      this.#expired = true;
      this.#o.expire(reason);
      return;
    }
    this.#o.tick?.();
  }

  /** Stops the timer. */
  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}
