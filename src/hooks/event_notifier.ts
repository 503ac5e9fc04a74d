/**
 * Delivers notifications to `--on-event` off the media path: `notify()` only queues (a bounded
 * queue; a full one drops the event with a log line), one sender POSTs them in order and
 * retries a failed one with backoff a few times before giving it up.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { backoffDelay, type BackoffPolicy } from "../relay/backoff.ts";
import { type CancelTimer, systemTimers, type Timers } from "../relay/timers.ts";
import type { HookEvent } from "./events.ts";
import { postJson } from "./post_json.ts";

/** Options for {@linkcode EventNotifier}. */
export interface EventNotifierOptions {
  readonly url: string;
  /** Sent as `edgeId` in every event. */
  readonly edgeId: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Each POST must be answered within this many ms. */
  readonly timeoutMs: number;
  /** Most events waiting (default 1000). */
  readonly maxQueued?: number;
  /** Tries per event, the first included (default 4). */
  readonly attempts?: number;
  /** Waits between tries (default 500 ms doubling to 8 s, 20 % jitter). */
  readonly backoff?: BackoffPolicy;
  readonly timers?: Timers;
  /** In `[0, 1)` (default `Math.random`). */
  readonly random?: () => number;
  /** Stands in for `fetch` in tests. */
  readonly fetch?: typeof fetch;
}

/** The default wait between tries. */
export const EVENT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 8_000, jitter: 0.2 };

/** What the notifier has done so far. */
export interface NotifierCounts {
  delivered: number;
  /** Events given up after their last try. */
  failed: number;
  /** Events dropped because the queue was full. */
  dropped: number;
  /** Tries that failed and were tried again. */
  retried: number;
}

/** The queue and sender of one `--on-event` URL. */
export class EventNotifier {
  #o: EventNotifierOptions;
  #queue: (HookEvent & { readonly edgeId: string; readonly time: string })[] = [];
  #sending: Promise<void> | null = null;
  #stop = new AbortController();
  #cancelWait: CancelTimer | null = null;
  #wake: (() => void) | null = null;
  #droppedSinceLog = 0;
  readonly counts: NotifierCounts = { delivered: 0, failed: 0, dropped: 0, retried: 0 };

  /** Creates the notifier; nothing is sent until an event comes. */
  constructor(options: EventNotifierOptions) {
    this.#o = options;
  }

  /** Events waiting to be sent (the one being sent included). */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues `event` and returns at once; a full queue (or a closed notifier) drops it. */
  notify(event: HookEvent): void {
    if (this.#stop.signal.aborted || this.#queue.length >= (this.#o.maxQueued ?? 1000)) {
      this.counts.dropped++;
      // One line per burst of drops, not one per event.
      if (this.#droppedSinceLog++ === 0) {
        this.#o.log.warning("Event hook queue full: dropped {action} of {app}/{name}", {
          action: event.action,
          app: event.app,
          name: event.name,
        });
      }
      return;
    }
    this.#droppedSinceLog = 0;
    const time = new Date(this.#o.clock.now()).toISOString();
    this.#queue.push({ ...event, edgeId: this.#o.edgeId, time });
    this.#sending ??= this.#run().finally(() => this.#sending = null);
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0 && !this.#stop.signal.aborted) {
      const event = this.#queue[0]!;
      await this.#deliver(event);
      this.#queue.shift();
    }
  }

  async #deliver(event: HookEvent & { readonly edgeId: string }): Promise<void> {
    const attempts = this.#o.attempts ?? 4;
    for (let attempt = 1;; attempt++) {
      const out = await postJson(this.#o.url, event, {
        timeoutMs: this.#o.timeoutMs,
        signal: this.#stop.signal,
        ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
      });
      if (out.kind === "answer") {
        this.counts.delivered++;
        return;
      }
      if (this.#stop.signal.aborted) return;
      if (attempt >= attempts) {
        this.counts.failed++;
        this.#o.log.warning(
          "Event hook gave up on {action} of {app}/{name} after {attempts} tries: {reason}",
          { action: event.action, app: event.app, name: event.name, attempts, reason: out.reason },
        );
        return;
      }
      this.counts.retried++;
      const ms = backoffDelay(
        attempt,
        this.#o.backoff ?? EVENT_BACKOFF,
        this.#o.random ?? Math.random,
      );
      await this.#wait(ms);
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#cancelWait = (this.#o.timers ?? systemTimers).set(resolve, ms);
    });
  }

  /** Resolves once every event queued so far was delivered or given up, or after `ms`. */
  async drained(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((r) => timer = setTimeout(r, ms));
    try {
      while (this.#sending !== null) {
        const done = await Promise.race([
          this.#sending.then(() => true),
          deadline.then(() => false),
        ]);
        if (!done) return;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends what is queued for up to `graceMs`, then stops: the request in flight is cancelled
   * and what is left is dropped with one log line.
   */
  async close(graceMs = 2_000): Promise<void> {
    await this.drained(graceMs);
    this.#stop.abort();
    this.#cancelWait?.();
    this.#wake?.();
    await this.#sending;
    const left = this.#queue.length;
    this.#queue.length = 0;
    if (left > 0) {
      this.counts.dropped += left;
      this.#o.log.warning("Event hook: {left} events not sent before shutdown", { left });
    }
  }
}
