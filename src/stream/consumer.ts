/**
 * What every consumer of a live stream is to the hub: the recording, each relay, each RTMP
 * and HTTP-FLV player. A consumer owns a bounded queue; taking a message never blocks and
 * never throws, and a consumer that cannot keep up is its own problem.
 * @module
 */

import type { MediaMessage } from "./media_message.ts";

/** The kinds of consumer. */
export type ConsumerKind = "recording" | "relay" | "rtmp-player" | "http-flv-player";

/** One consumer of a live stream. */
export interface StreamConsumer {
  readonly kind: ConsumerKind;
  /** Unique among the stream's consumers (a session id, a relay target). */
  readonly id: string;
  /** Bytes queued and not yet written out (for the API). */
  readonly queuedBytes: number;
  /**
   * Whether `take()` copies what it keeps before it returns (the recording writes each
   * message into its file batch): the stream then hands it the publisher's message without
   * copying it first, when no other consumer keeps it.
   */
  readonly copiesOnTake?: boolean;
  /** Takes one message in stream order; must not block or throw. */
  take(msg: MediaMessage): void;
  /**
   * The publisher's read is done (`LiveStream.flush()`): what the consumer held
   * back from that read goes out now. Must not block or throw.
   */
  flush?(): void;
  /** The stream ended (`reason` says why); the consumer finishes and lets go. Called once. */
  end(reason: string): void;
}
