/**
 * Chunk once, write N times: the chunked bytes of a media message for one outgoing format
 * (chunk size, chunk stream, message stream), made the first time a player needs them and
 * shared by every player that uses the same format. The first chunk has a type-0 header
 * (absolute timestamp), so the bytes do not depend on what a connection sent before.
 * @module
 */

import { ChunkWriter } from "../rtmp/chunk_writer.ts";
import { MEDIA_TYPE, type MediaMessage } from "../stream/media_message.ts";

/** One outgoing chunk format. */
export interface ChunkFormat {
  readonly chunkSize: number;
  readonly csid: number;
  readonly streamId: number;
  /** Its cache key, when the caller made it once (see {@linkcode keyedFormat}). */
  readonly key?: string;
}

/** `format` with its cache key, for a caller that sends many messages in one format. */
export function keyedFormat(format: ChunkFormat): ChunkFormat & { readonly key: string } {
  return { ...format, key: `${format.chunkSize}:${format.csid}:${format.streamId}` };
}

/** Chunk streams of player media (as nginx-rtmp: audio 6, video 7); data avoids the status csid. */
export const PLAYER_CSID = { data: 4, audio: 6, video: 7 } as const;

/** The chunked bytes of each message, per format, kept as long as the message lives. */
export class ChunkCache {
  #bytes = new WeakMap<MediaMessage, Map<string, Uint8Array>>();
  #encoded = 0;
  #lastMsg: MediaMessage | null = null;
  #lastKey = "";
  #lastBytes: Uint8Array = new Uint8Array(0);

  /** Messages chunked so far (each format counts once): for tests and metrics. */
  get encoded(): number {
    return this.#encoded;
  }

  /** The chunks of `msg` in `format`; the same bytes for every caller of one format. */
  chunks(msg: MediaMessage, format: ChunkFormat): Uint8Array {
    const key = format.key ?? keyedFormat(format).key;
    // Players of one stream ask one after another for the same message and format.
    if (msg === this.#lastMsg && key === this.#lastKey) return this.#lastBytes;
    let byFormat = this.#bytes.get(msg);
    if (byFormat === undefined) this.#bytes.set(msg, byFormat = new Map());
    let bytes = byFormat.get(key);
    if (bytes === undefined) {
      bytes = chunkMessage(msg, format);
      byFormat.set(key, bytes);
      this.#encoded++;
    }
    this.#lastMsg = msg;
    this.#lastKey = key;
    this.#lastBytes = bytes;
    return bytes;
  }
}

/**
 * Chunks one message with a type-0 first header, independent of all history.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chunkMessage } from "./chunk_cache.ts";
 *
 * const msg = { kind: "audio" as const, timestamp: 40, body: new Uint8Array(5), keyframe: false, config: false };
 * const bytes = chunkMessage(msg, { chunkSize: 4096, csid: 6, streamId: 1 });
 * assert.equal(bytes[0], 0x06); // fmt 0, csid 6
 * assert.equal(bytes.length, 1 + 11 + 5);
 * ```
 */
export function chunkMessage(msg: MediaMessage, format: ChunkFormat): Uint8Array {
  return new ChunkWriter({ chunkSize: format.chunkSize }).encode({
    type: MEDIA_TYPE[msg.kind],
    csid: format.csid,
    streamId: format.streamId,
    timestamp: msg.timestamp,
    body: msg.body,
  });
}
