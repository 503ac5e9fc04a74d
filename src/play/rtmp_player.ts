/**
 * The RTMP player as a consumer of a live stream: each message passes the player gate
 * (skip to a key frame when the connection's queue is over the limit, drop when behind for
 * too long), then its shared chunk bytes are queued raw in the connection's outbox.
 * @module
 */

import { QueueLag } from "../stream/queue_lag.ts";
import type { PlayerStats } from "../session/session_info.ts";
import type { StreamConsumer } from "../stream/consumer.ts";
import { forConsumer, type MediaMessage } from "../stream/media_message.ts";
import { PlayerGate, type PlayerGateOptions } from "../stream/player_gate.ts";
import { type ChunkCache, type ChunkFormat, keyedFormat, PLAYER_CSID } from "./chunk_cache.ts";
import type { PlayerOutput } from "./player_output.ts";

/** Options for {@linkcode RtmpPlayer}. */
export interface RtmpPlayerOptions extends PlayerGateOptions {
  /** Unique among the stream's consumers. */
  readonly id: string;
  /** The message stream the client plays on. */
  readonly streamId: number;
  readonly output: PlayerOutput;
  readonly chunks: ChunkCache;
  /** Whether the client takes multitrack tags; if not it gets each one's default track. */
  readonly multitrack?: boolean;
  /** The live figures (the session's `player` object), updated in place. */
  readonly stats: PlayerStats;
  /**
   * Whether the stream has messages not yet flushed, so that {@linkcode RtmpPlayer.flush}
   * follows: media then waits to go out in one write with the rest. None: never.
   */
  readonly unflushed?: () => boolean;
  /** The player fell behind for too long: the caller detaches it and ends the connection. */
  readonly onDrop: (reason: string) => void;
  /** The stream ended (the publisher left). */
  readonly onEnd: (reason: string) => void;
}

/** One RTMP client playing one stream. */
export class RtmpPlayer implements StreamConsumer {
  readonly kind = "rtmp-player" as const;
  readonly id: string;
  #o: RtmpPlayerOptions;
  #gate: PlayerGate;
  #keyframeSent = false;
  #enqueued = 0;
  #lag = new QueueLag();
  #done = false;
  #formats: Record<MediaMessage["kind"], ChunkFormat> | null = null;

  /** Creates the consumer; attach it to the stream to start. */
  constructor(options: RtmpPlayerOptions) {
    this.#o = options;
    this.id = options.id;
    this.#gate = new PlayerGate(options);
  }

  /** The chunk format of `kind` at the connection's chunk size, keyed once per size. */
  #format(kind: MediaMessage["kind"]): ChunkFormat {
    const chunkSize = this.#o.output.chunkSize;
    if (this.#formats === null || this.#formats.video.chunkSize !== chunkSize) {
      const streamId = this.#o.streamId;
      const of = (csid: number) => keyedFormat({ chunkSize, csid, streamId });
      this.#formats = {
        data: of(PLAYER_CSID.data),
        audio: of(PLAYER_CSID.audio),
        video: of(PLAYER_CSID.video),
      };
    }
    return this.#formats[kind];
  }

  /** Bytes queued in the connection's outbox. */
  get queuedBytes(): number {
    return this.#o.output.queuedBytes;
  }

  /** Takes one message: send its shared chunks, skip it, or drop the player. */
  take(whole: MediaMessage): void {
    if (this.#done) return;
    const msg = forConsumer(whole, this.#o.multitrack === true);
    if (msg === null) return;
    // The first video frame a player decodes is a key frame.
    if (!this.#keyframeSent && msg.kind === "video" && !msg.config && !msg.keyframe) return;
    const out = this.#o.output;
    const decision = this.#gate.admit(msg, out.queuedBytes);
    if (decision === "drop") {
      this.#done = true;
      this.refresh();
      this.#o.onDrop(`Player fell behind: skipping for over ${this.#o.maxLagMs} ms`);
      return;
    }
    if (decision === "skip") {
      this.#o.stats.framesSkipped = this.#gate.skippedFrames;
      this.#o.stats.skipEpisodes = this.#gate.episodes;
      return;
    }
    const bytes = this.#o.chunks.chunks(msg, this.#format(msg.kind));
    // Inside the publisher's read the bytes wait for flush(): one write per read (or per few,
    // merged). A player's start (up to its first key frame) is never held.
    out.sendRaw(bytes, this.#keyframeSent && this.#o.unflushed?.() === true);
    this.#enqueued += bytes.length;
    // A sequence header is flagged as a key frame in FLV but decodes to no picture.
    if (msg.kind === "video" && msg.keyframe && !msg.config) this.#keyframeSent = true;
    if (!msg.config && msg.kind !== "data") {
      this.#lag.push(this.#enqueued, msg.timestamp);
      this.#o.stats.framesSent++;
    }
    // The byte, queue and lag figures are brought up to date by refresh() (about once a second).
  }

  /** The publisher's read is done: what it queued goes out in one write. */
  flush(): void {
    this.#o.output.release();
  }

  /** The stream ended; called once by the stream. */
  end(reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.refresh();
    this.#o.onEnd(reason);
  }

  /** Stops taking messages (the client stopped playing). */
  stop(): void {
    this.#done = true;
    this.refresh();
  }

  /** Brings the queue and byte figures up to date. */
  refresh(): void {
    const s = this.#o.stats;
    const queued = this.#o.output.queuedBytes;
    s.queuedBytes = queued;
    s.bytesOut = Math.max(0, this.#enqueued - queued);
    s.lagMs = this.#lag.lagMs(s.bytesOut);
    s.framesSkipped = this.#gate.skippedFrames;
    s.skipEpisodes = this.#gate.episodes;
  }
}
