/**
 * One message of a live stream as the hub hands it to every consumer: an owned body shared
 * by all of them, with the facts consumers decide on (key frame, sequence header).
 * @module
 */

/** What a message carries. */
export type MediaKind = "audio" | "video" | "data";

/** RTMP message types of the three kinds. */
export const MEDIA_TYPE = { audio: 8, video: 9, data: 18 } as const;

/** One audio, video or data (onMetaData) message of a live stream. Never mutated. */
export interface MediaMessage {
  readonly kind: MediaKind;
  /** RTMP timestamp, ms mod 2^32, as the publisher sent it. */
  readonly timestamp: number;
  /** The FLV tag body (RTMP message body); shared by every consumer: do not write to it. */
  readonly body: Uint8Array;
  /** A video key frame (a coded frame a decoder can start at). */
  readonly keyframe: boolean;
  /** A sequence header (decoder configuration), sent before anything else to a new consumer. */
  readonly config: boolean;
  /**
   * Which configuration a config message replaces (e.g. one per Enhanced RTMP track); absent:
   * the one of its kind.
   */
  readonly configKey?: string;
  /**
   * What a consumer that does not take multitrack gets instead (the default track as a plain
   * tag), null for nothing; absent when the message is not multitrack.
   */
  readonly defaultTrack?: MediaMessage | null;
}

/**
 * Makes a message with its own copy of `body` (a parser view is valid only during its call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownedMessage } from "./media_message.ts";
 *
 * const view = new Uint8Array([0x17, 0, 0, 0, 0]);
 * const msg = ownedMessage({ kind: "video", timestamp: 0, body: view, keyframe: false, config: true });
 * view[0] = 0;
 * assert.equal(msg.body[0], 0x17);
 * ```
 */
export function ownedMessage(msg: MediaMessage): MediaMessage {
  const owned = { ...msg, body: msg.body.slice() };
  if (msg.defaultTrack) owned.defaultTrack = ownedMessage(msg.defaultTrack);
  return owned;
}

/**
 * What a consumer gets of `msg`: the message itself, or, when the consumer does not take
 * multitrack, its default track (null: nothing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { forConsumer } from "./media_message.ts";
 *
 * const msg = { kind: "video" as const, timestamp: 0, body: new Uint8Array(1), keyframe: false, config: false, defaultTrack: null };
 * assert.equal(forConsumer(msg, false), null);
 * assert.equal(forConsumer(msg, true), msg);
 * ```
 */
export function forConsumer(msg: MediaMessage, multitrack: boolean): MediaMessage | null {
  return multitrack || msg.defaultTrack === undefined ? msg : msg.defaultTrack;
}
