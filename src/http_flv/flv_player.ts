/**
 * One HTTP-FLV player as a consumer of its live stream: each message becomes an FLV tag
 * (timestamps rebased so the first tag is at 0) in the player's own queue, counted in bytes.
 * The response body is a pull `ReadableStream`: the HTTP server takes a chunk only when it has
 * written the one before, so the queue holds what the client has not taken. A player that
 * falls behind skips to the next key frame and is dropped when it stays behind (see
 * {@linkcode PlayerGate}); a drop discards the queue and ends the body (an errored body would
 * make `Deno.serve` print the error).
 * @module
 */

import { QueueLag } from "../stream/queue_lag.ts";
import {
  encodeFlvHeader,
  encodeFlvTagHeaderTo,
  FLV_PREVIOUS_TAG_SIZE,
  FLV_TAG_HEADER_SIZE,
  type FlvHeaderFlags,
  FlvTagType,
} from "../record/flv.ts";
import { TimestampRebase } from "../record/timestamp_rebase.ts";
import { newPlayerStats, type PlayerStats } from "../session/session_info.ts";
import type { StreamConsumer } from "../stream/consumer.ts";
import { forConsumer, type MediaMessage } from "../stream/media_message.ts";
import { PlayerGate, type PlayerGateOptions } from "../stream/player_gate.ts";

/** Options for {@linkcode FlvPlayer}. */
export interface FlvPlayerOptions extends PlayerGateOptions {
  /** Unique among the stream's consumers (the session id). */
  readonly id: string;
  /** `app/name` played. */
  readonly key: string;
  /** Which tracks the FLV header announces. */
  readonly tracks: FlvHeaderFlags;
  /** Told once when the player is over, with why (the stream ended, a drop, the client left). */
  readonly onClose: (reason: string) => void;
}

/** Why a player whose client went away is closed. */
export const CLIENT_CLOSED = "Client closed the connection";

const EMPTY = new Uint8Array(0);

/** Bodies up to this size are copied into one chunk with their tag header and trailer. */
const SMALL_BODY = 512;

/** Feeds one HTTP-FLV response body from a live stream. */
export class FlvPlayer implements StreamConsumer {
  readonly kind = "http-flv-player";
  readonly id: string;
  /** The response body: the FLV header, then one tag per message sent. */
  readonly body: ReadableStream<Uint8Array>;
  /** The live figures (the session shows this object). */
  readonly stats: PlayerStats;
  #o: FlvPlayerOptions;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #gate: PlayerGate;
  #timeline = new TimestampRebase();
  /** Rebased time of the last audio or video tag, for data tags. */
  #now = 0;
  #waitingForKey = true;
  #enqueued = 0;
  #lag = new QueueLag();
  #closed: string | null = null;
  /** Chunks not yet handed to the body, oldest first, and their bytes. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  #queued = 0;
  /** Whether the body asked for a chunk and none was there. */
  #wanted = false;
  /** Whether the body closes once the queue is empty (the stream ended). */
  #ending = false;

  /** Creates the player; its body starts with the FLV header. */
  constructor(options: FlvPlayerOptions) {
    this.#o = options;
    this.id = options.id;
    this.stats = newPlayerStats(options.key);
    this.#gate = new PlayerGate(options);
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#controller = c;
        },
        pull: () => this.#pull(),
        cancel: () => {
          this.#discard();
          this.#finish(CLIENT_CLOSED);
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
    );
    this.#enqueue(encodeFlvHeader(options.tracks));
  }

  /** Bytes queued, not yet taken by the HTTP server. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Why the player is over, or null while it plays. */
  get closeReason(): string | null {
    return this.#closed;
  }

  /** Queues `msg` as one FLV tag, unless it is skipped; never throws. */
  take(whole: MediaMessage): void {
    if (this.#closed !== null) return;
    // HTTP-FLV players announce nothing: each multitrack tag gives its default track.
    const msg = forConsumer(whole, false);
    if (msg === null) return;
    if (msg.kind === "video" && !msg.config && this.#waitingForKey) {
      if (!msg.keyframe) return; // the first video tag sent is a key frame
      this.#waitingForKey = false;
    }
    const queued = this.queuedBytes;
    const decision = this.#gate.admit(msg, queued);
    if (decision === "drop") {
      return this.drop(
        `Player too slow: behind for over ${this.#o.maxLagMs} ms with ${queued} bytes queued`,
      );
    }
    if (decision === "skip") {
      this.stats.framesSkipped = this.#gate.skippedFrames;
      this.stats.skipEpisodes = this.#gate.episodes;
      this.#refreshStats();
      return;
    }
    // Sequence headers and metadata always pass the gate: a hard bound keeps them in check.
    if (queued + msg.body.length > 2 * this.#o.maxQueuedBytes) {
      return this.drop(`Player too slow: ${queued} bytes queued, over twice the queue limit`);
    }
    this.#writeTag(msg);
    if (msg.kind !== "data" && !msg.config) {
      this.stats.framesSent++;
      this.#lag.push(this.#enqueued, msg.timestamp);
    }
    this.#refreshStats();
  }

  /** The stream ended: the queued tags go out, then the response ends. */
  end(reason: string): void {
    if (this.#closed !== null) return;
    this.#ending = true;
    if (this.#wanted) this.#pull();
    this.#finish(reason);
  }

  /** Ends the response at once, discarding what is queued (a too slow player, the API). */
  drop(reason: string): void {
    if (this.#closed !== null) return;
    this.#discard();
    this.#ending = true;
    this.#close();
    this.#finish(reason);
  }

  /** Hands the body the oldest chunk, or closes it once the queue is empty and ending. */
  #pull(): void {
    const chunk = this.#chunks[this.#head];
    if (chunk === undefined) {
      if (this.#ending) this.#close();
      else this.#wanted = true;
      return;
    }
    this.#wanted = false;
    this.#chunks[this.#head++] = EMPTY;
    this.#queued -= chunk.length;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    this.#controller.enqueue(chunk);
  }

  #discard(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#queued = 0;
  }

  #close(): void {
    this.#wanted = false;
    try {
      this.#controller.close();
    } catch { /* already closed or cancelled */ }
  }

  #writeTag(msg: MediaMessage): void {
    const type = msg.kind === "video"
      ? FlvTagType.Video
      : msg.kind === "audio"
      ? FlvTagType.Audio
      : FlvTagType.Script;
    const timestamp = this.#timestamp(msg) % 0x1_0000_0000;
    const { body } = msg;
    const tagSize = FLV_TAG_HEADER_SIZE + body.length;
    if (body.length <= SMALL_BODY) {
      const out = new Uint8Array(tagSize + FLV_PREVIOUS_TAG_SIZE);
      encodeFlvTagHeaderTo(out, 0, { type, timestamp, bodyLength: body.length });
      out.set(body, FLV_TAG_HEADER_SIZE);
      new DataView(out.buffer).setUint32(tagSize, tagSize);
      this.#enqueue(out);
      return;
    }
    // A large body is shared with every other consumer: queued as it is, never copied.
    const head = new Uint8Array(FLV_TAG_HEADER_SIZE);
    encodeFlvTagHeaderTo(head, 0, { type, timestamp, bodyLength: body.length });
    const trailer = new Uint8Array(FLV_PREVIOUS_TAG_SIZE);
    new DataView(trailer.buffer).setUint32(0, tagSize);
    this.#enqueue(head);
    this.#enqueue(body);
    this.#enqueue(trailer);
  }

  /**
   * The tag time: metadata and sequence headers before the first frame are at 0, the first
   * frame starts the timeline, data tags take the time of the last frame.
   */
  #timestamp(msg: MediaMessage): number {
    if (msg.kind === "data") return this.#now;
    if (msg.config && !this.#timeline.started) return 0;
    this.#now = this.#timeline.rebase(msg.timestamp);
    return this.#now;
  }

  #enqueue(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#queued += bytes.length;
    this.#enqueued += bytes.length;
    if (this.#wanted) this.#pull();
  }

  #refreshStats(): void {
    const queued = this.queuedBytes;
    this.stats.queuedBytes = queued;
    this.stats.bytesOut = this.#enqueued - queued;
    this.stats.lagMs = this.#lag.lagMs(this.stats.bytesOut);
  }

  #finish(reason: string): void {
    if (this.#closed !== null) return;
    this.#refreshStats();
    this.#closed = reason;
    this.stats.queuedBytes = 0;
    this.#o.onClose(reason);
  }
}
