/**
 * The per-connection deadlines: handshake, publish and idle timeouts. The server's one
 * {@linkcode LoopMonitor} ticks every watchdog; a passed deadline closes the connection
 * with a reason that names the limit.
 *
 * Deadlines count only time the server could have read: event-loop stalls the monitor
 * measured since a deadline started extend it, and nothing expires on a tick right after
 * a stall, so reads that waited in the socket run first. A stall is never blamed on the
 * client.
 * @module
 */

import type { Clock } from "../clock.ts";
import type { LoopMonitor } from "./loop_monitor.ts";

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
  /** The server's shared ticker and stall meter. */
  readonly monitor: LoopMonitor;
  /** Called once with the reason when a deadline passes. */
  readonly expire: (reason: string) => void;
  /** Called about once a second, e.g. to sync recordings. */
  readonly tick?: () => void;
}

/** How often {@linkcode WatchdogOptions.tick} is called. */
export const WATCHDOG_TICK_MS = 1000;

/** A moment, with the monitor's stalled-time total then. */
interface Mark {
  readonly at: number;
  readonly stalledMs: number;
}

/** Tracks a connection's phase and activity and enforces its deadlines. */
export class Watchdog implements Disposable {
  #o: WatchdogOptions;
  #started: Mark;
  #lastReadAt: number;
  #lastReadStalledMs: number;
  #handshakeDone: Mark | null = null;
  #published = false;
  #playing = false;
  #holding = false;
  #expired = false;
  #nextTickAt: number;
  /**
   * Nothing is due before this: the earliest deadline or tick as last computed. Reads and
   * stalls only move deadlines later, so it stays a lower bound, and a tick before it returns
   * at once (1000 connections are ticked 20 times a second).
   */
  #wakeAt = -Infinity;
  #watching: Disposable;

  /** Starts watching; the handshake deadline runs from now. */
  constructor(options: WatchdogOptions) {
    this.#o = options;
    this.#started = this.#mark(options.clock.now());
    this.#lastReadAt = this.#started.at;
    this.#lastReadStalledMs = this.#started.stalledMs;
    this.#nextTickAt = this.#started.at + WATCHDOG_TICK_MS;
    this.#watching = options.monitor.watch((now) => this.check(now));
  }

  /** Notes that bytes arrived. */
  read(now: number): void {
    this.#lastReadAt = now;
    this.#lastReadStalledMs = this.#o.monitor.stalledMs;
  }

  /** Notes that the handshake finished; the publish deadline runs from now. */
  handshakeDone(): void {
    const mark = this.#mark(this.#o.clock.now());
    this.#handshakeDone = mark;
    this.#wakeAt = Math.min(this.#wakeAt, mark.at + this.#o.timeouts.publishTimeoutMs);
  }

  /** Notes that the client published; the publish deadline no longer applies. */
  published(): void {
    this.#published = true;
  }

  /**
   * Notes whether the client plays (or waits to play) now: a player has started, like a
   * publisher, and is not idle while it plays, since players rarely send anything.
   */
  playing(on: boolean): void {
    if (on) this.#published = true;
    else if (this.#playing) this.#resume();
    this.#playing = on;
  }

  /**
   * Notes whether the server holds this connection's reads (a recording catching up with its
   * disk): the client is not idle meanwhile, and its idle time starts again when reads resume.
   */
  holding(on: boolean): void {
    if (!on && this.#holding) this.#resume();
    this.#holding = on;
  }

  /** Reads count again from now: the idle deadline runs anew (and may be the next one due). */
  #resume(): void {
    const now = this.#o.clock.now();
    this.read(now);
    this.#wakeAt = Math.min(this.#wakeAt, now + this.#o.timeouts.idleTimeoutMs);
  }

  /** Checks every deadline at `now` (the monitor calls this on each tick, with the tick's time). */
  check(now: number = this.#o.clock.now()): void {
    if (now < this.#wakeAt || this.#expired) return;
    const reason = this.#due(now);
    if (reason !== null && this.#o.monitor.healthy) {
      this.#expired = true;
      this.#o.expire(reason);
      return;
    }
    if (this.#o.tick !== undefined && now >= this.#nextTickAt) {
      this.#nextTickAt = now + WATCHDOG_TICK_MS;
      this.#o.tick();
    }
    // A deadline that was due on an unhealthy tick is before now: the next tick checks again.
    this.#wakeAt = this.#earliest();
  }

  /** Stops being ticked. */
  [Symbol.dispose](): void {
    this.#watching[Symbol.dispose]();
  }

  /** The reason of the first passed deadline, or null. */
  #due(now: number): string | null {
    const t = this.#o.timeouts;
    if (this.#handshakeDone === null) {
      if (this.#elapsed(this.#started, now) >= t.handshakeTimeoutMs) {
        return `Limit handshake-timeout: handshake not done within ${t.handshakeTimeoutMs} ms`;
      }
    } else if (!this.#published && this.#elapsed(this.#handshakeDone, now) >= t.publishTimeoutMs) {
      return `Limit publish-timeout: no publish within ${t.publishTimeoutMs} ms of the handshake`;
    }
    if (this.#playing || this.#holding) return null;
    const stalled = this.#o.monitor.stalledMs - this.#lastReadStalledMs;
    if (now - this.#lastReadAt - stalled >= t.idleTimeoutMs) {
      return `Limit idle-timeout: no data for ${t.idleTimeoutMs} ms`;
    }
    return null;
  }

  /**
   * The earliest time a deadline can pass or the tick is due. Stalls since a mark only add to
   * its deadline, so the mark's time plus the timeout is a lower bound.
   */
  #earliest(): number {
    const t = this.#o.timeouts;
    let at = this.#o.tick === undefined ? Infinity : this.#nextTickAt;
    if (this.#handshakeDone === null) {
      at = Math.min(at, this.#started.at + t.handshakeTimeoutMs);
    } else if (!this.#published) {
      at = Math.min(at, this.#handshakeDone.at + t.publishTimeoutMs);
    }
    if (!this.#playing && !this.#holding) at = Math.min(at, this.#lastReadAt + t.idleTimeoutMs);
    return at;
  }

  /** Time since `mark` less the loop stalls since then. */
  #elapsed(mark: Mark, now: number): number {
    return now - mark.at - (this.#o.monitor.stalledMs - mark.stalledMs);
  }

  #mark(at: number): Mark {
    return { at, stalledMs: this.#o.monitor.stalledMs };
  }
}
