/**
 * When a publisher's read reaches its RTMP players. Every player queues the messages of a
 * read and writes them in one write when the stream is flushed; this decides when: at the end
 * of the read, or, for a stream with at least `--play-merge-players` players, at the slot of
 * the server's {@linkcode PaceTicker} up to `--play-merge-ms` after the first read not yet
 * flushed (merged writes: what the publisher sends meanwhile joins the same write, one slot
 * per stream and no timer per player). The publisher's reads are not held.
 * @module
 */

import type { LiveStream } from "../stream/live_stream.ts";
import type { PaceTicker } from "./pace_ticker.ts";

/** Options for {@linkcode FlushPacer}. */
export interface FlushPacerOptions {
  /** The server's shared ticker. */
  readonly ticker: PaceTicker;
  /** Longest wait of a read's messages for more to join them, in ms (0: none). */
  readonly mergeMs: number;
  /** Players (RTMP and HTTP-FLV) a stream needs before its flushes wait. */
  readonly mergePlayers: number;
}

/**
 * The flushes of one publishing connection's streams.
 *
 * @example A well-watched stream's reads go out together at the slot
 * ```ts
 * import assert from "node:assert/strict";
 * import { FlushPacer } from "./flush_pacer.ts";
 * import { PaceTicker } from "./pace_ticker.ts";
 *
 * using ticker = new PaceTicker({ periodMs: 10, manual: true });
 * const pacer = new FlushPacer({ ticker, mergeMs: 20, mergePlayers: 2 });
 * let flushes = 0;
 * const stream = { players: 2, flush: () => flushes++ };
 * pacer.readDone(stream);
 * pacer.readDone(stream);
 * assert.equal(flushes, 0);
 * ticker.tick();
 * ticker.tick();
 * await Promise.resolve();
 * assert.equal(flushes, 1);
 * ```
 */
export class FlushPacer {
  #o: FlushPacerOptions;
  /** Streams with a flush waiting for a slot. */
  #waiting = new Set<FlushedStream>();

  /** Makes the pacer of one connection. */
  constructor(options: FlushPacerOptions) {
    this.#o = options;
  }

  /** Streams whose flush waits for a slot now. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * A read that published to `stream` is done: flushes it now, or (enough players) at the
   * slot up to `mergeMs` away, unless a flush already waits for one.
   */
  readDone(stream: FlushedStream): void {
    const { ticker, mergeMs, mergePlayers } = this.#o;
    if (this.#waiting.has(stream)) return;
    if (mergeMs <= 0 || stream.players < mergePlayers) {
      stream.flush();
      return;
    }
    this.#waiting.add(stream);
    void ticker.done(ticker.slotFor(mergeMs)).then(() => {
      this.#waiting.delete(stream);
      stream.flush();
    });
  }
}

/** The part of a live stream the pacer flushes (a {@linkcode LiveStream} fits). */
export type FlushedStream = Pick<LiveStream, "players" | "flush">;
