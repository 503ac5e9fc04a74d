/**
 * The interface both chunk parsers (WASM core and TypeScript reference) implement.
 * @module
 */

/** One complete RTMP message as the chunk layer reassembled it. */
export interface MessageRecord {
  /** Message type id (1 SetChunkSize, 8 audio, 9 video, 20 AMF0 command, ...). */
  readonly type: number;
  /** Chunk stream id the message arrived on (2..65599). */
  readonly csid: number;
  /** Message stream id (little-endian on the wire). */
  readonly streamId: number;
  /** Absolute timestamp in milliseconds, modulo 2^32. */
  readonly timestamp: number;
  /** Body length in bytes. */
  readonly length: number;
}

/** Limits a parser enforces; a breach is a {@linkcode ChunkError}. */
export interface ParserLimits {
  /** Largest declared message length accepted (default 8 MiB). */
  readonly maxMessageSize: number;
  /** Most distinct chunk stream ids per connection (default 64, at most 255). */
  readonly maxChunkStreams: number;
  /** Most bytes of unfinished messages held at once, by declared length (default 8 MiB). */
  readonly maxPartialBytes: number;
}

/** Production defaults for {@linkcode ParserLimits}. */
export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxMessageSize: 8 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPartialBytes: 8 * 1024 * 1024,
};

/** Called once per complete message; `body` is valid only during the call. */
export type MessageHandler = (rec: MessageRecord, body: Uint8Array) => void;

/**
 * A push parser for the RTMP chunk layer, correct for every split of the byte stream.
 *
 * SetChunkSize and Abort are protocol control: the parser applies them itself at the
 * byte where they complete, and still hands them on.
 */
export interface ChunkParser extends Disposable {
  /** Which implementation this is. */
  readonly kind: "js" | "wasm";
  /** The free part of the input buffer, for `conn.read()` to fill; then `commit(n)`. */
  writable(): Uint8Array;
  /** Marks `n` bytes of `writable()` as received. */
  commit(n: number): void;
  /** Copies bytes into the input buffer (tests, replay); returns how many fit. */
  push(bytes: Uint8Array): number;
  /**
   * Parses everything received so far and emits each complete message in order.
   * Throws {@linkcode ChunkError} on malformed input; the parser is unusable after.
   */
  drain(onMessage: MessageHandler): void;
  /** The chunk size currently in force for incoming chunks. */
  readonly chunkSize: number;
}

/**
 * Copies as much of `bytes` as fits into `parser.writable()` and commits it; returns how many.
 * Both parsers' `push()` is this.
 */
export function pushBytes(
  parser: Pick<ChunkParser, "writable" | "commit">,
  bytes: Uint8Array,
): number {
  const dst = parser.writable();
  const n = Math.min(dst.length, bytes.length);
  dst.set(n === bytes.length ? bytes : bytes.subarray(0, n));
  parser.commit(n);
  return n;
}
