/**
 * Test helpers: build chunk streams the way real publishers do, feed them to a parser in
 * any split, and collect what comes out.
 * @module
 */

import { ChunkWriter, type OutgoingMessage } from "../../src/rtmp/chunk_writer.ts";
import type { ChunkParser, MessageRecord } from "../../src/parser/types.ts";
import { concatBytes } from "../../src/bytes.ts";

/** A message as a parser emits it, with a copy of its body. */
export interface Collected extends MessageRecord {
  readonly body: Uint8Array;
}

/** Feeds `bytes` to `parser` in pieces of the given sizes (cycled), draining after each. */
export function feed(
  parser: ChunkParser,
  bytes: Uint8Array,
  sizes: readonly number[] = [bytes.length],
): Collected[] {
  const out: Collected[] = [];
  const onMessage = (rec: MessageRecord, body: Uint8Array) => {
    out.push({ ...rec, body: body.slice() });
  };
  let o = 0;
  let i = 0;
  while (o < bytes.length) {
    const size = Math.max(1, sizes[i++ % sizes.length]!);
    let piece = bytes.subarray(o, Math.min(bytes.length, o + size));
    while (piece.length > 0) {
      const n = parser.push(piece);
      parser.drain(onMessage);
      piece = piece.subarray(n);
      o += n;
    }
  }
  parser.drain(onMessage);
  return out;
}

/** Concatenates byte arrays. */
export const concat = concatBytes;

/** A small seeded PRNG (mulberry32), so failures can be replayed from the seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic body bytes of a given length. */
export function body(length: number, seed = length): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A SetChunkSize message body. */
export function setChunkSizeBody(size: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, size);
  return b;
}

/** Options for {@linkcode publishLike}. */
export interface PublishLikeOptions {
  /** Chunk size announced after connect (128 keeps it). */
  chunkSize: number;
  /** How many audio/video pairs. */
  frames: number;
  /** Interleave audio and video chunks, as Flash-era encoders do. */
  interleave?: boolean;
  /** Start timestamps here (near 2^32 to test wrap and extended timestamps). */
  startTs?: number;
  /** Repeat the extended timestamp on type-3 chunks. */
  repeatExt?: boolean;
  /** Video csid (6 by default; try 64, 320, 65599). */
  videoCsid?: number;
  seed?: number;
}

/** A publish session's client-to-server chunk stream and the messages in it, in completion order. */
export function publishLike(
  opts: PublishLikeOptions,
): { bytes: Uint8Array; messages: OutgoingMessage[] } {
  const w = new ChunkWriter({ repeatExtendedTimestamp: opts.repeatExt ?? true });
  const rnd = prng(opts.seed ?? 1);
  const parts: Uint8Array[] = [];
  const messages: OutgoingMessage[] = [];
  const send = (m: OutgoingMessage) => {
    parts.push(w.encode(m));
    messages.push(m);
  };
  send({ type: 20, csid: 3, streamId: 0, timestamp: 0, body: body(180, 1) }); // connect: 2 chunks at 128
  if (opts.chunkSize !== 128) {
    send({ type: 1, csid: 2, streamId: 0, timestamp: 0, body: setChunkSizeBody(opts.chunkSize) });
    w.chunkSize = opts.chunkSize;
  }
  send({ type: 20, csid: 3, streamId: 0, timestamp: 0, body: body(40, 2) }); // publish
  send({ type: 18, csid: 4, streamId: 1, timestamp: 0, body: body(300, 3) }); // @setDataFrame
  const vcsid = opts.videoCsid ?? 6;
  let ts = opts.startTs ?? 0;
  for (let i = 0; i < opts.frames; i++) {
    const video: OutgoingMessage = {
      type: 9,
      csid: vcsid,
      streamId: 1,
      timestamp: ts >>> 0,
      body: body(
        i % 30 === 0 ? 5000 + Math.floor(rnd() * 20000) : 200 + Math.floor(rnd() * 3000),
        i,
      ),
    };
    const audio: OutgoingMessage = {
      type: 8,
      csid: 4,
      streamId: 1,
      timestamp: (ts + 10) >>> 0,
      body: body(i % 7 === 0 ? 0 : 100 + Math.floor(rnd() * 300), i + 7),
    };
    if (opts.interleave) {
      const v = w.encodeChunks(video);
      const a = w.encodeChunks(audio);
      for (let k = 0; k < Math.max(v.length, a.length); k++) {
        if (k < v.length) parts.push(v[k]!);
        if (k < a.length) parts.push(a[k]!);
      }
      // Completion order: whichever message's last chunk comes first.
      if (a.length < v.length) messages.push(audio, video);
      else messages.push(video, audio);
    } else {
      send(video);
      send(audio);
    }
    ts += 33 + (i % 3 === 0 ? 1 : 0);
  }
  return { bytes: concat(parts), messages };
}
