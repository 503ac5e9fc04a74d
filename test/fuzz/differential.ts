/**
 * Differential testing of the two chunk parsers: feed the same bytes, cut at the same read
 * boundaries, to the WASM core and the TypeScript reference, and require identical output:
 * the same messages (type, csid, stream id, timestamp, body bytes) in the same order, then
 * either both end cleanly (with the same chunk size) or both throw the same ChunkError
 * after the same number of messages.
 * @module
 */

import { ChunkError } from "../../src/errors.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { ChunkParser, MessageRecord, ParserLimits } from "../../src/parser/types.ts";

/** Makes one parser with the given limits. */
export type MakeParser = (limits?: Partial<ParserLimits>) => ChunkParser;

/** One differential case: bytes, how they are cut into reads, and the limits. */
export interface FuzzInput {
  readonly bytes: Uint8Array;
  /** Read sizes, cycled until the bytes run out (each at least 1). */
  readonly reads: readonly number[];
  readonly limits: Partial<ParserLimits>;
}

/** A message one parser emitted, with a copy of its body. */
export interface Emitted extends MessageRecord {
  readonly body: Uint8Array;
}

/** How a parser's run ended when it threw. */
export interface Failure {
  /** The error class name (`ChunkError`; anything else is a bug in itself). */
  readonly name: string;
  readonly message: string;
}

/** Everything one parser did with a {@linkcode FuzzInput}. */
export interface Outcome {
  readonly kind: string;
  readonly messages: readonly Emitted[];
  /** null when the parser took every byte without throwing. */
  readonly error: Failure | null;
  /** The chunk size in force at the end (when it ended cleanly). */
  readonly chunkSize: number;
  /** Bytes committed before the end or the error. */
  readonly bytesFed: number;
}

/** Feeds `input` to a fresh parser from `make`, collecting messages until the end or an error. */
export function runParser(make: MakeParser, input: FuzzInput): Outcome {
  const messages: Emitted[] = [];
  const onMessage = (rec: MessageRecord, body: Uint8Array) => {
    messages.push({
      type: rec.type,
      csid: rec.csid,
      streamId: rec.streamId,
      timestamp: rec.timestamp,
      length: rec.length,
      body: body.slice(),
    });
  };
  const parser = make(input.limits);
  const { bytes, reads } = input;
  let fed = 0;
  let error: Failure | null = null;
  try {
    for (let i = 0; fed < bytes.length; i++) {
      const size = Math.max(1, reads[i % reads.length] ?? 1);
      let piece = bytes.subarray(fed, Math.min(bytes.length, fed + size));
      while (piece.length > 0) {
        const n = parser.push(piece);
        fed += n;
        piece = piece.subarray(n);
        parser.drain(onMessage);
      }
    }
    parser.drain(onMessage);
  } catch (e) {
    error = e instanceof Error
      ? { name: e.name, message: e.message }
      : { name: "thrown", message: String(e) };
  }
  const chunkSize = error === null ? parser.chunkSize : 0;
  parser[Symbol.dispose]();
  return { kind: parser.kind, messages, error, chunkSize, bytesFed: fed };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A message's header as one line: `type 9 csid 6 stream 1 ts 40 len 1200`. */
export function describeMessage(m: MessageRecord): string {
  return `type ${m.type} csid ${m.csid} stream ${m.streamId} ts ${m.timestamp} len ${m.length}`;
}

function describeEnd(o: Outcome): string {
  return o.error === null
    ? `ended cleanly after ${o.messages.length} messages (chunk size ${o.chunkSize})`
    : `threw ${o.error.name} "${o.error.message}" after ${o.messages.length} messages`;
}

/**
 * The first difference between two outcomes, or null when they agree. A non-ChunkError
 * from either parser is a difference even when both threw it.
 */
export function compareOutcomes(a: Outcome, b: Outcome): string | null {
  const n = Math.min(a.messages.length, b.messages.length);
  for (let i = 0; i < n; i++) {
    const x = a.messages[i]!;
    const y = b.messages[i]!;
    if (describeMessage(x) !== describeMessage(y)) {
      return `message ${i}: ${a.kind} ${describeMessage(x)}, ${b.kind} ${describeMessage(y)}`;
    }
    if (!sameBytes(x.body, y.body)) {
      return `message ${i} (${describeMessage(x)}): bodies differ`;
    }
  }
  const endA = describeEnd(a);
  const endB = describeEnd(b);
  if (endA !== endB) return `${a.kind} ${endA}; ${b.kind} ${endB}`;
  for (const o of [a, b]) {
    if (o.error !== null && o.error.name !== ChunkError.name) {
      return `${o.kind} threw ${o.error.name}, not ChunkError: ${o.error.message}`;
    }
  }
  return null;
}

/** Divergences found, reported and not yet fixed, by name. */
export const KNOWN_DIVERGENCES: Record<string, (js: Outcome, wasm: Outcome) => boolean> = {
  // None open. ("arena-full", fixed: the core now compacts again instead of failing.)
};

/** The name of a {@linkcode KNOWN_DIVERGENCES} entry. */
export type KnownDivergence = string;

/** Which known divergence explains how `wasm` differs from `js`, if any. */
export function knownDivergence(js: Outcome, wasm: Outcome): KnownDivergence | null {
  for (const [name, test] of Object.entries(KNOWN_DIVERGENCES)) {
    if (test(js, wasm)) return name as KnownDivergence;
  }
  return null;
}

/** How strictly {@linkcode differential} compares. */
export interface CompareOptions {
  /** Count a {@linkcode KNOWN_DIVERGENCES} difference apart instead of as a mismatch. */
  readonly tolerateKnown?: boolean;
}

/** Both parsers' outcomes for one input and their first difference. */
export interface Differential {
  readonly js: Outcome;
  readonly wasm: Outcome;
  /** null when the parsers agree (or differ only in a tolerated, known way). */
  readonly mismatch: string | null;
  /** The known divergence that explains the difference, if any. */
  readonly known: KnownDivergence | null;
}

/** Runs `input` through a fresh JS parser and a fresh parser from `makeWasm`, and compares. */
export function differential(
  makeWasm: MakeParser,
  input: FuzzInput,
  options: CompareOptions = {},
): Differential {
  const js = runParser(createJsParser, input);
  const wasm = runParser(makeWasm, input);
  const mismatch = compareOutcomes(js, wasm);
  const known = mismatch === null ? null : knownDivergence(js, wasm);
  if (known !== null && options.tolerateKnown === true) {
    return { js, wasm, mismatch: null, known };
  }
  return { js, wasm, mismatch, known };
}

/**
 * An error message with its numbers replaced by N, to count errors by kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorKind } from "./differential.ts";
 *
 * assert.equal(errorKind({ name: "ChunkError", message: "Chunk size 0 is outside 1..2147483647" }),
 *   "ChunkError: Chunk size N is outside N..N");
 * ```
 */
export function errorKind(error: Failure | null): string {
  return error === null ? "(clean end)" : `${error.name}: ${error.message.replace(/\d+/g, "N")}`;
}
