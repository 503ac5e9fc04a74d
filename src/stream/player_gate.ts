/**
 * The flow control every player shares (RTMP and HTTP-FLV): while its queue is over the
 * limit a player skips to the next key frame (an episode, counted and reported once), and a
 * player that stays behind longer than the lag limit is to be dropped.
 * @module
 */

import type { Clock } from "../clock.ts";
import type { MediaMessage } from "./media_message.ts";

/** Options for {@linkcode PlayerGate}. */
export interface PlayerGateOptions {
  /** Queue bytes at which the player starts skipping to the next key frame. */
  readonly maxQueuedBytes: number;
  /** A player skipping for longer than this is to be dropped, in ms. */
  readonly maxLagMs: number;
  readonly clock: Clock;
  /** Told once at the start of each skipping episode. */
  readonly onSkipStart?: (queuedBytes: number) => void;
}

/** What {@linkcode PlayerGate.admit} decides for one message. */
export type GateDecision = "send" | "skip" | "drop";

/** Decides, message by message, what a player is sent. */
export class PlayerGate {
  #o: PlayerGateOptions;
  #skippingSince = -1;
  #sawVideo = false;
  #skipped = 0;
  #episodes = 0;

  /** Creates a gate. */
  constructor(options: PlayerGateOptions) {
    this.#o = options;
  }

  /** Audio and video frames skipped so far. */
  get skippedFrames(): number {
    return this.#skipped;
  }

  /** Skipping episodes so far. */
  get episodes(): number {
    return this.#episodes;
  }

  /** Whether the player is skipping now. */
  get skipping(): boolean {
    return this.#skippingSince >= 0;
  }

  /**
   * Decides for `msg` given the bytes the player has queued: `send`, `skip` (over the limit,
   * or waiting for a key frame), or `drop` (behind for longer than the lag limit). Sequence
   * headers and metadata are always sent.
   */
  admit(msg: MediaMessage, queuedBytes: number): GateDecision {
    if (msg.kind === "video") this.#sawVideo = true;
    if (msg.config || msg.kind === "data") return "send";
    if (this.#skippingSince >= 0) {
      const now = this.#o.clock.now();
      // Resume once the queue has drained to half, at a key frame (an audio frame when the
      // stream has no video), whatever the key frame's size.
      const drained = queuedBytes <= this.#o.maxQueuedBytes / 2;
      const start = msg.kind === "video" ? msg.keyframe : !this.#sawVideo;
      if (drained && start) {
        this.#skippingSince = -1;
        return "send";
      }
      // Dropped only while still backed up: waiting for a key frame is not falling behind.
      if (!drained && now - this.#skippingSince > this.#o.maxLagMs) return "drop";
      if (drained) this.#skippingSince = now; // caught up: the lag clock starts again
      this.#skipped++;
      return "skip";
    }
    if (queuedBytes + msg.body.length > this.#o.maxQueuedBytes) {
      this.#skippingSince = this.#o.clock.now();
      this.#episodes++;
      this.#skipped++;
      this.#o.onSkipStart?.(queuedBytes);
      return "skip";
    }
    return "send";
  }
}
