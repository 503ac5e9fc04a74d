/**
 * One relay: a consumer of a live stream that publishes it to one origin. It dials, replays
 * the stream's start (metadata, sequence headers, the cached GOP from its key frame), then
 * writes live messages in order from a bounded queue. A lost or refused origin is dialed
 * again with backoff; the publisher and the other consumers never wait for it. When the
 * stream ends, the queue is written out and the relay unpublishes.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import type { RelayInfo } from "../session/session_info.ts";
import type { StreamConsumer } from "../stream/consumer.ts";
import type { MediaMessage } from "../stream/media_message.ts";
import { backoffDelay, type BackoffPolicy, DEFAULT_BACKOFF } from "./backoff.ts";
import type { Dial, RelayLink } from "./relay_link.ts";
import { RelayQueue } from "./relay_queue.ts";
import type { CancelTimer, Timers } from "./timers.ts";

/** What a {@linkcode Relay} needs. */
export interface RelayOptions {
  /** Where to publish: `rtmp[s]://host:port/app/name`, no query string (also what is shown). */
  readonly url: string;
  /** The live stream's start for a new connection (`LiveStream.startMessages`). */
  readonly startMessages: () => MediaMessage[];
  readonly dial: Dial;
  readonly clock: Clock;
  readonly timers: Timers;
  /** In `[0, 1)`, for the backoff's jitter. */
  readonly random: () => number;
  readonly log: Logger;
  /** Queue bytes at which the relay starts skipping to the next key frame. */
  readonly maxQueueBytes: number;
  readonly backoff?: BackoffPolicy;
  /** After this long live, a lost connection retries from the first delay again (default 10 s). */
  readonly stableMs?: number;
  /** After the stream ended, how long writing out the queue may take before the link is cut. */
  readonly drainTimeoutMs?: number;
}

/** Publishes one live stream to one origin, reconnecting until the stream ends. */
export class Relay implements StreamConsumer {
  /** Always `relay`. */
  readonly kind = "relay" as const;
  /** `relay:` and the target URL. */
  readonly id: string;
  /** Live figures, mutated in place (the session shows this object). */
  readonly info: RelayInfo;
  /** Resolves once the relay has stopped (unpublished, or given up when the stream ended). */
  readonly done: Promise<void>;
  #o: RelayOptions;
  #queue: RelayQueue;
  #live = false;
  #stopping: string | null = null;
  #wake: (() => void) | null = null;
  #timer: CancelTimer | null = null;
  #link: RelayLink | null = null;
  #started = Promise.withResolvers<void>();

  /** A relay in state `connecting`; it dials once {@linkcode Relay.start} is called. */
  constructor(options: RelayOptions) {
    this.#o = options;
    this.id = `relay:${options.url}`;
    this.info = {
      target: options.url,
      state: "connecting",
      bytesOut: 0,
      reconnects: 0,
      lastError: null,
    };
    this.#queue = new RelayQueue(options.maxQueueBytes);
    this.done = this.#started.promise.then(() => this.#run());
  }

  /** Bytes queued for the origin. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** Frames dropped because the origin fell behind. */
  get framesSkipped(): number {
    return this.#queue.framesSkipped;
  }

  /** Starts dialing (call after attaching the relay to its stream). */
  start(): void {
    this.#started.resolve();
  }

  /** Queues a live message while connected; otherwise the next connect replays the start. */
  take(msg: MediaMessage): void {
    if (!this.#live || this.#stopping !== null) return;
    const r = this.#queue.push(msg);
    if (r === "overflow") {
      this.#o.log.warning(
        "Relay {target} fell behind (queue over {bytes} bytes): skipping to the next key frame",
        { target: this.info.target, bytes: this.#o.maxQueueBytes },
      );
    }
    this.#wake?.();
  }

  /** The stream ended: write out what is queued, unpublish, stop retrying. */
  end(reason: string): void {
    if (this.#stopping !== null) return;
    this.#stopping = reason;
    this.#started.resolve();
    if (this.#timer !== null) {
      this.#timer();
      this.#timer = null;
    }
    this.#wake?.();
    const link = this.#link;
    if (link !== null) {
      const cut = this.#o.timers.set(() => void link.close(), this.#o.drainTimeoutMs ?? 5_000);
      void this.done.then(cut);
    }
  }

  async #run(): Promise<void> {
    const { log } = this.#o;
    const target = this.info.target;
    let retry = 0;
    while (this.#stopping === null) {
      let link: RelayLink;
      try {
        link = await this.#o.dial(target);
      } catch (e) {
        this.info.lastError = describe(e);
        if (this.#stopping !== null) break;
        retry++;
        await this.#backoff(
          retry,
          `Relay {target} could not connect: {error}; retry {retry} in {delay} ms`,
        );
        continue;
      }
      if (this.#stopping !== null) {
        await link.unpublish();
        break;
      }
      const since = this.#o.clock.now();
      const lost = await this.#publish(link);
      if (lost === null) break; // the stream ended and the link was closed
      this.info.lastError = lost;
      if (this.#stopping !== null) break;
      if (this.#o.clock.now() - since >= (this.#o.stableMs ?? 10_000)) retry = 0;
      retry++;
      await this.#backoff(
        retry,
        `Relay {target} lost its origin: {error}; retry {retry} in {delay} ms`,
      );
    }
    this.#live = false;
    this.info.state = "stopped";
    this.#queue.clear();
    log.info(
      "Relay {target} stopped ({reason}): {bytes} bytes out, {reconnects} reconnects, {skipped} frames skipped",
      {
        target,
        reason: this.#stopping ?? "stopped",
        bytes: this.info.bytesOut,
        reconnects: this.info.reconnects,
        skipped: this.#queue.framesSkipped,
      },
    );
  }

  /**
   * Publishes on a fresh link until it is lost (returns why) or the stream ended and the
   * queue was written out and the link unpublished (returns null).
   */
  async #publish(link: RelayLink): Promise<string | null> {
    this.#link = link;
    this.#queue.reset(this.#o.startMessages());
    this.#live = true;
    this.info.state = "live";
    this.#o.log.info("Relay {target} live", { target: this.info.target });
    let ended = false;
    void link.ended.then(() => {
      ended = true;
      this.#wake?.();
    });
    let why: string | null = null;
    try {
      for (;;) {
        if (ended) {
          why = "Origin closed the connection";
          break;
        }
        const msg = this.#queue.shift();
        if (msg === undefined) {
          if (this.#stopping !== null) break;
          await new Promise<void>((r) => this.#wake = r);
          this.#wake = null;
          continue;
        }
        this.info.bytesOut += await link.send(msg);
      }
    } catch (e) {
      why = describe(e);
    } finally {
      this.#live = false;
      this.#link = null;
    }
    if (why === null) {
      await link.unpublish();
      return null;
    }
    this.#queue.clear();
    await link.close();
    return why;
  }

  /** Waits out retry number `retry` (cut short when the stream ends). */
  async #backoff(retry: number, message: string): Promise<void> {
    const delay = backoffDelay(retry, this.#o.backoff ?? DEFAULT_BACKOFF, this.#o.random);
    this.info.state = "retrying";
    this.#o.log.warning(message, {
      target: this.info.target,
      error: this.info.lastError,
      retry,
      delay,
    });
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#timer = this.#o.timers.set(() => {
        this.#timer = null;
        resolve();
      }, delay);
    });
    this.#wake = null;
    if (this.#stopping === null) this.info.reconnects++;
  }
}

/** A one-line reason for a network or protocol error (no stack). */
function describe(e: unknown): string {
  if (e instanceof Error) return e.name === "Error" ? e.message : `${e.name}: ${e.message}`;
  return String(e);
}
