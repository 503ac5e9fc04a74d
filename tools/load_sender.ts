/**
 * One load publisher: where it is in the pre-encoded stream, what it has sent, and one
 * write in flight at most (the next starts only after the last resolved: backpressure).
 * @module
 */

import type { RtmpPublisher } from "../src/client/publisher.ts";
import type { SendLog } from "./load_send_log.ts";
import type { LoadStream, Segment } from "./load_stream.ts";

/** Bytes a flood write aims for; it ends on the next message boundary after this. */
export const FLOOD_WRITE_BYTES = 512 * 1024;

/** A publisher's position in its stream and its counters. */
export class Sender {
  /** Stream name, `name-i`. */
  readonly name: string;
  /** Full URL it publishes to. */
  readonly url: string;
  /** The connected client, once connected. */
  pub: RtmpPublisher | null = null;
  /** Wall time (performance.now) at which media time 0 is due. */
  startMs = 0;
  /** Video frames written. */
  video = 0;
  /** Audio frames written. */
  audio = 0;
  /** Chunk bytes written. */
  bytes = 0;
  /** Connect-to-Publish.Start time, once connected. */
  connectMs: number | null = null;
  /** First error, after which the sender stops. */
  error: string | null = null;
  /** The write in flight, if any. */
  pending: Promise<void> | null = null;
  /** Where each frame's send time goes, for players in the same process; null when none. */
  log: SendLog | null = null;
  #stream: LoadStream | null = null;
  #seg: Segment | null = null;
  #pass = 0;
  #next = 0;
  #to = 0;
  readonly #done = () => this.#written();
  readonly #fail = (e: unknown) => this.#failed(e);

  /** Creates the sender for stream `name` at `url`. */
  constructor(name: string, url: string) {
    this.name = name;
    this.url = url;
  }

  /** Binds the pre-encoded stream for this publisher's message stream id. */
  attach(stream: LoadStream): void {
    this.#stream = stream;
    this.#seg = stream.head;
  }

  /** Whether it can write now: connected, attached, no error, nothing in flight. */
  get ready(): boolean {
    return this.#seg !== null && this.pending === null && this.error === null;
  }

  /** Index one past the last message due at media time `dueMs` (at least the next one). */
  dueIndex(dueMs: number): number {
    const seg = this.#seg!;
    const offset = this.#offset();
    let k = this.#next;
    while (k < seg.count && seg.times[k]! + offset <= dueMs) k++;
    return k;
  }

  /** Index one past the first message boundary at least {@linkcode FLOOD_WRITE_BYTES} on. */
  floodIndex(): number {
    const seg = this.#seg!;
    const want = this.#from() + FLOOD_WRITE_BYTES;
    let lo = this.#next;
    let hi = seg.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seg.ends[mid]! >= want) hi = mid;
      else lo = mid + 1;
    }
    return lo + 1;
  }

  /** Index of the next message to send. */
  get next(): number {
    return this.#next;
  }

  /** Writes messages next..to-1 as one view of the shared buffer. */
  send(to: number): void {
    const seg = this.#seg!;
    this.#to = to;
    this.log?.sent(
      { seg, pass: this.#pass, periodMs: this.#stream!.periodMs, from: this.#next, to },
      performance.now(),
    );
    this.pending = this.pub!.write(seg.bytes.subarray(this.#from(), seg.ends[to - 1]))
      .then(this.#done, this.#fail);
  }

  /** Whether it can queue a write now (eager mode): connected, attached, no error. */
  get open(): boolean {
    return this.#seg !== null && this.error === null;
  }

  /**
   * Queues messages next..to-1 behind any writes still in flight and counts them as sent at
   * once, the way a client that buffers in user space (Node's `socket.write`) does.
   */
  queue(to: number): void {
    const seg = this.#seg!;
    this.#to = to;
    const write = this.pub!.write(seg.bytes.subarray(this.#from(), seg.ends[to - 1]));
    const pending: Promise<void> = write.then(
      () => {
        if (this.pending === pending) this.pending = null;
      },
      (e) => {
        this.#failed(e);
      },
    );
    this.pending = pending;
    this.#advance();
  }

  /** How far behind media time `dueMs` it is, and how many frames are due but unsent. */
  behind(dueMs: number): { lagMs: number; frames: number } {
    const stream = this.#stream;
    if (stream === null || this.error !== null) return { lagMs: 0, frames: 0 };
    let seg = this.#seg!;
    let pass = this.#pass;
    let k = this.#next;
    const first = seg.times[k];
    const lagMs = first === undefined ? 0 : Math.max(0, dueMs - (first + pass * stream.periodMs));
    let frames = 0;
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (k === seg.count) {
        seg = stream.loop;
        pass++;
        k = 0;
      }
      if (seg.times[k]! + pass * stream.periodMs > dueMs) break;
      frames += seg.videoBefore[k + 1]! - seg.videoBefore[k]! + seg.audioBefore[k + 1]! -
        seg.audioBefore[k]!;
      k++;
    }
    return { lagMs, frames };
  }

  #offset(): number {
    return this.#pass * this.#stream!.periodMs;
  }

  #from(): number {
    return this.#next === 0 ? 0 : this.#seg!.ends[this.#next - 1]!;
  }

  #written(): void {
    this.#advance();
    this.pending = null;
  }

  #advance(): void {
    const seg = this.#seg!;
    const to = this.#to;
    this.bytes += seg.ends[to - 1]! - this.#from();
    this.video += seg.videoBefore[to]! - seg.videoBefore[this.#next]!;
    this.audio += seg.audioBefore[to]! - seg.audioBefore[this.#next]!;
    this.#next = to;
    if (to === seg.count) {
      this.#seg = this.#stream!.loop;
      this.#pass++;
      this.#next = 0;
    }
  }

  #failed(e: unknown): void {
    this.error ??= e instanceof Error ? e.message : String(e);
    this.pending = null;
  }
}
