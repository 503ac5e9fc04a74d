/**
 * A relay's queue of messages not yet written to its origin, bounded in bytes. A relay that
 * falls behind does not grow it: it drops the queued frames and skips to the next key
 * frame (sequence headers and metadata always go through).
 * @module
 */

import type { MediaMessage } from "../stream/media_message.ts";

/** What {@linkcode RelayQueue.push} did with a message. */
export type PushResult =
  /** Queued. */
  | "queued"
  /** Dropped: the queue is waiting for a key frame. */
  | "skipped"
  /** The queue was full: a skip episode began (the message may still have been queued). */
  | "overflow";

/** Queued messages in order, with their byte count. */
export class RelayQueue {
  #max: number;
  /** Bytes of the replayed start still queued: room on top of the bound. */
  #startBytes = 0;
  #items: MediaMessage[] = [];
  #head = 0;
  #bytes = 0;
  #waitKey = false;
  #hasVideo = false;
  #framesSkipped = 0;
  #episodes = 0;

  /** A queue that starts skipping when `maxBytes` would be exceeded. */
  constructor(maxBytes: number) {
    if (!(maxBytes > 0)) throw new RangeError(`Relay queue bound must be > 0: got ${maxBytes}`);
    this.#max = maxBytes;
  }

  /** Bytes of message bodies queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Messages queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Audio and video frames dropped so far. */
  get framesSkipped(): number {
    return this.#framesSkipped;
  }

  /** Times the queue overflowed and began skipping. */
  get skipEpisodes(): number {
    return this.#episodes;
  }

  /** Whether frames are being dropped until the next key frame. */
  get skipping(): boolean {
    return this.#waitKey;
  }

  /**
   * Starts over with `start` (metadata, sequence headers, the cached GOP), queued whatever
   * their size; waits for a key frame first when the stream has video and `start` has none.
   */
  reset(start: readonly MediaMessage[]): void {
    this.clear();
    this.#waitKey = false;
    for (const m of start) if (m.kind === "video") this.#hasVideo = true;
    if (this.#hasVideo && !start.some((m) => m.kind === "video" && m.keyframe && !m.config)) {
      this.#waitKey = true;
    }
    for (const m of start) this.#add(m);
    this.#startBytes = this.#bytes;
  }

  /** Adds a live message, or drops it when skipping; see {@linkcode PushResult}. */
  push(msg: MediaMessage): PushResult {
    if (msg.kind === "video") this.#hasVideo = true;
    if (msg.kind === "data" || msg.config) {
      this.#add(msg);
      return "queued";
    }
    let result: PushResult = "queued";
    if (!this.#waitKey && this.#bytes + msg.body.length > this.#max + this.#startBytes) {
      this.#dropFrames();
      this.#waitKey = true;
      this.#episodes++;
      result = "overflow";
    }
    if (this.#waitKey) {
      const starts = msg.kind === "video" ? msg.keyframe : !this.#hasVideo;
      if (!starts) {
        this.#framesSkipped++;
        return result === "overflow" ? result : "skipped";
      }
      this.#waitKey = false;
    }
    this.#add(msg);
    return result;
  }

  /** Takes the oldest message, or undefined when empty. */
  shift(): MediaMessage | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const m = this.#items[this.#head++]!;
    this.#bytes -= m.body.length;
    this.#startBytes = Math.max(0, this.#startBytes - m.body.length);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return m;
  }

  /** Empties the queue (counters stay). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#startBytes = 0;
  }

  #add(msg: MediaMessage): void {
    this.#items.push(msg);
    this.#bytes += msg.body.length;
  }

  /** Drops queued audio and video frames, keeping sequence headers and metadata. */
  #dropFrames(): void {
    const kept: MediaMessage[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const m = this.#items[i]!;
      if (m.kind === "data" || m.config) kept.push(m);
      else this.#framesSkipped++;
    }
    this.clear();
    for (const m of kept) this.#add(m);
  }
}
