/**
 * The hub: which streams are live, by `app/name`. A publisher claims its key (a second one
 * is refused), players find a stream or wait for its publisher.
 * @module
 */

import type { GopBudget } from "./gop_budget.ts";
import { LiveStream, type LiveStreamInit, type StreamView } from "./live_stream.ts";

/** Options for {@linkcode StreamHub}. */
export interface StreamHubOptions {
  /** GOP cache bound per stream, in bytes (default 16 MiB; 0 turns caching off). */
  readonly gopCacheBytes?: number;
  /** The server-wide bound every stream's GOP cache is booked in (none by default). */
  readonly gopBudget?: GopBudget;
}

/** The live streams by key, and the players waiting for one. */
export class StreamHub {
  #streams = new Map<string, LiveStream>();
  #waiters = new Map<string, Set<(s: LiveStream) => void>>();
  #gopCacheBytes: number;
  #gopBudget: GopBudget | undefined;

  /** Creates an empty hub. */
  constructor(options: StreamHubOptions = {}) {
    this.#gopCacheBytes = options.gopCacheBytes ?? 16 * 1024 * 1024;
    this.#gopBudget = options.gopBudget;
  }

  /** Opens the stream `init.key` for its publisher; null when someone else publishes it. */
  claim(init: Omit<LiveStreamInit, "gopCacheBytes" | "gopBudget">): LiveStream | null {
    if (this.#streams.has(init.key)) return null;
    const stream = new LiveStream({
      ...init,
      gopCacheBytes: this.#gopCacheBytes,
      ...(this.#gopBudget === undefined ? {} : { gopBudget: this.#gopBudget }),
    });
    this.#streams.set(init.key, stream);
    const waiting = this.#waiters.get(init.key);
    if (waiting !== undefined) {
      this.#waiters.delete(init.key);
      for (const wake of waiting) wake(stream);
    }
    return stream;
  }

  /** Ends `stream` with `reason` and frees its key (if it still holds it). */
  release(stream: LiveStream, reason: string): void {
    this.unlist(stream);
    stream.end(reason);
  }

  /**
   * Frees the key of `stream` (a new publisher may take it) while the stream goes on feeding
   * its consumers until it is released.
   */
  unlist(stream: LiveStream): void {
    if (this.#streams.get(stream.key) === stream) this.#streams.delete(stream.key);
  }

  /** The live stream of `key`, or undefined. */
  get(key: string): LiveStream | undefined {
    return this.#streams.get(key);
  }

  /**
   * The live stream of `key`, waiting up to `timeoutMs` for its publisher; null when none
   * came or `signal` aborted.
   */
  waitFor(key: string, timeoutMs: number, signal?: AbortSignal): Promise<LiveStream | null> {
    const live = this.#streams.get(key);
    if (live !== undefined) return Promise.resolve(live);
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      let set = this.#waiters.get(key);
      if (set === undefined) this.#waiters.set(key, set = new Set());
      const done = (s: LiveStream | null) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
        set!.delete(wake);
        if (set!.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key);
        resolve(s);
      };
      const wake = (s: LiveStream) => done(s);
      const abort = () => done(null);
      const timer = setTimeout(() => done(null), timeoutMs);
      signal?.addEventListener("abort", abort, { once: true });
      set.add(wake);
    });
  }

  /** Whether `key` is live. */
  isLive(key: string): boolean {
    return this.#streams.has(key);
  }

  /** Number of live streams. */
  get size(): number {
    return this.#streams.size;
  }

  /** The live streams as the API shows them. */
  list(): StreamView[] {
    return [...this.#streams.values()].map((s) => s.view());
  }
}
