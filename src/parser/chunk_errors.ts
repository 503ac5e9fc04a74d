/**
 * The chunk-layer errors both parsers raise, by code, so that the WASM core (which returns
 * numbers) and the TypeScript parser produce the same message for the same input.
 * @module
 */

import { ChunkError } from "../errors.ts";

/** Error codes the WASM core returns from `parse()` (negated). */
export const ChunkErrorCode = {
  FreshNotType0: 1,
  TooManyStreams: 2,
  HeaderMidMessage: 3,
  MessageTooLong: 4,
  PartialLimit: 5,
  BadChunkSize: 6,
  ShortSetChunkSize: 7,
  ShortAbort: 8,
  ArenaFull: 9,
  MemoryTooSmall: 10,
  CommitBeyondRing: 11,
} as const;

/** One of the {@linkcode ChunkErrorCode} values. */
export type ChunkErrorCode = typeof ChunkErrorCode[keyof typeof ChunkErrorCode];

/**
 * Builds the {@linkcode ChunkError} for `code` with its numeric arguments.
 *
 * @example
 * ```ts
 * import { chunkError, ChunkErrorCode } from "./chunk_errors.ts";
 * chunkError(ChunkErrorCode.BadChunkSize, [0]).message; // "Chunk size 0 is outside 1..2147483647"
 * ```
 */
export function chunkError(code: number, args: readonly number[]): ChunkError {
  const [a = 0, b = 0, c = 0, d = 0] = args;
  switch (code) {
    case ChunkErrorCode.FreshNotType0:
      return new ChunkError(`Chunk stream ${a} starts with a type-${b} header`);
    case ChunkErrorCode.TooManyStreams:
      return new ChunkError(`Chunk stream ${a} exceeds the limit of ${b} chunk streams`);
    case ChunkErrorCode.HeaderMidMessage:
      return new ChunkError(
        `Chunk stream ${a} got a type-${b} header with ${c} bytes of its message outstanding`,
      );
    case ChunkErrorCode.MessageTooLong:
      return new ChunkError(`Message length ${a} on chunk stream ${b} exceeds the limit of ${c}`);
    case ChunkErrorCode.PartialLimit:
      return new ChunkError(
        `Message length ${a} on chunk stream ${b} would buffer ${c} bytes of partial messages, over the limit of ${d}`,
      );
    case ChunkErrorCode.BadChunkSize:
      return new ChunkError(`Chunk size ${a} is outside 1..2147483647`);
    case ChunkErrorCode.ShortSetChunkSize:
      return new ChunkError(`Set Chunk Size on chunk stream ${a} has ${b} bytes, not 4`);
    case ChunkErrorCode.ShortAbort:
      return new ChunkError(`Abort message has ${a} bytes, not 4`);
    case ChunkErrorCode.ArenaFull:
      return new ChunkError(`No room for a message of ${a} bytes in the parser's arena`);
    case ChunkErrorCode.MemoryTooSmall:
      return new ChunkError(`Parser memory is too small for the configured limits`);
    case ChunkErrorCode.CommitBeyondRing:
      return new ChunkError(`Cannot commit ${a} bytes: the ring has ${b} free`);
    default:
      return new ChunkError(`Chunk parser failed with code ${code}`);
  }
}
