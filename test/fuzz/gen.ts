/**
 * A structure-aware chunk stream generator for the differential fuzzer: valid but nasty
 * streams (chunk size changes, interleaved messages, aborted messages, zero-length
 * messages, extended timestamps, wrapping timestamps, edge csids) as a list of chunks, so
 * that mutations can be inserted at chunk boundaries.
 * @module
 */

import type { ParserLimits } from "../../src/parser/types.ts";
import { ChunkWriter, type OutgoingMessage } from "../../src/rtmp/chunk_writer.ts";
import { body, setChunkSizeBody } from "../parser/stream_gen.ts";

/** Chunk stream ids worth trying: the 1-, 2- and 3-byte basic header edges. */
export const EDGE_CSIDS: readonly number[] = [2, 3, 4, 5, 6, 63, 64, 65, 319, 320, 321, 65599];

/** Picks one element of a non-empty list. */
export function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)]!;
}

/** An integer in [lo, hi]. */
export function int(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

/** Options for {@linkcode generateChunks}. */
export interface GenerateOptions {
  /** Stop adding events once this many bytes are written (default 200 000). */
  readonly maxBytes?: number;
  /** Most events (default 120). */
  readonly maxEvents?: number;
  /** The limits the stream will be parsed with: long messages are sized up to them. */
  readonly limits?: Partial<ParserLimits>;
}

/**
 * The first `most` chunks of one message at chunk size `cs`: a type-0 header, then type-3
 * headers, with timestamp 0 (so no extended timestamps) and a zero body.
 */
function plainMessage(csid: number, length: number, cs: number, most = Infinity): Uint8Array[] {
  const out: Uint8Array[] = [];
  const basic = csid < 64
    ? [csid]
    : csid < 320
    ? [0, csid - 64]
    : [1, (csid - 64) & 0xff, (csid - 64) >>> 8];
  for (let o = 0; (o === 0 || o < length) && out.length < most; o += cs) {
    const n = Math.min(cs, length - o);
    const h = o === 0
      ? [...basic, 0, 0, 0, length >>> 16, (length >>> 8) & 0xff, length & 0xff, 9, 1, 0, 0, 0]
      : [(3 << 6) | basic[0]!, ...basic.slice(1)];
    const chunk = new Uint8Array(h.length + n);
    chunk.set(h);
    out.push(chunk);
    if (length === 0) break;
  }
  return out;
}

const CHUNK_SIZES = [1, 2, 3, 64, 127, 128, 129, 1000, 4096, 65536, 1 << 20, 0x7fffffff];
const TYPES = [8, 8, 9, 9, 9, 18, 20, 15, 17, 4, 5, 6, 3, 22, 0, 255];

/** The chunks of a generated stream, in order. */
export function generateChunks(rnd: () => number, options: GenerateOptions = {}): Uint8Array[] {
  const maxBytes = options.maxBytes ?? 200_000;
  const events = int(rnd, 1, options.maxEvents ?? 120);
  const force = rnd() < 0.15 ? pick(rnd, [0, 1, 2] as const) : undefined;
  const w = new ChunkWriter({
    repeatExtendedTimestamp: rnd() < 0.8,
    ...(force === undefined ? {} : { forceFormat: force }),
  });
  const csids = Array.from(
    { length: int(rnd, 1, 6) },
    () => rnd() < 0.7 ? pick(rnd, EDGE_CSIDS) : int(rnd, 2, 65599),
  );
  // Two csids the writer never uses, for hand-made long and aborted messages.
  const [bgCsid, longCsid] = [7, 8].map((c) => csids.includes(c) ? int(rnd, 400, 65599) : c) as [
    number,
    number,
  ];
  const limits = options.limits ?? {};
  const cap = Math.min(
    limits.maxMessageSize ?? 8 << 20,
    limits.maxPartialBytes ?? 8 << 20,
    0xffffff,
  );
  const ts = new Map<number, number>();
  const lastDelta = new Map<number, number>();
  const streamIds = new Map<number, number>();
  const out: Uint8Array[] = [];
  let size = 0;
  const push = (chunks: readonly Uint8Array[]) => {
    for (const c of chunks) {
      out.push(c);
      size += c.length;
    }
  };

  const message = (csid: number, length: number, type = pick(rnd, TYPES)): OutgoingMessage => {
    const prev = ts.get(csid) ?? int(rnd, 0, 3) * pick(rnd, [0, 1000, 0xfffff0, 0xffffff00]);
    const r = rnd();
    const delta = r < 0.3
      ? lastDelta.get(csid) ?? 0
      : r < 0.6
      ? pick(rnd, [0, 1, 20, 23, 33, 40])
      : r < 0.8
      ? int(rnd, 0, 0xffffff)
      : pick(rnd, [0xfffffe, 0xffffff, 0x1000000, 0x7fffffff, 0xffffffff]);
    const timestamp = (prev + (ts.has(csid) ? delta : 0)) >>> 0;
    ts.set(csid, timestamp);
    lastDelta.set(csid, delta);
    if (!streamIds.has(csid) || rnd() < 0.05) {
      streamIds.set(csid, pick(rnd, [0, 1, 1, 1, 2, 0xffffffff, int(rnd, 0, 0xffffffff)]));
    }
    return { type, csid, streamId: streamIds.get(csid)!, timestamp, body: body(length, size) };
  };

  const length = () => {
    const r = rnd();
    const cs = Math.min(w.chunkSize, 70_000);
    if (r < 0.1) return 0;
    if (r < 0.5) return int(rnd, 1, cs);
    if (r < 0.9) return int(rnd, cs, Math.min(4 * cs, 70_000));
    return int(rnd, 1, 70_000);
  };

  for (let e = 0; e < events && size < maxBytes; e++) {
    const r = rnd();
    if (r < 0.07) {
      // A real chunk size change: the rest of the stream uses it.
      const next = pick(rnd, CHUNK_SIZES);
      push(
        w.encodeChunks({
          type: 1,
          csid: 2,
          streamId: 0,
          timestamp: 0,
          body: setChunkSizeBody(next),
        }),
      );
      w.chunkSize = next;
    } else if (r < 0.14 && w.chunkSize <= 4096) {
      // A long message kept in progress while others start and are aborted (their declared
      // lengths reserved until the Abort) or run to completion.
      const cs = w.chunkSize;
      const bg = rnd() < 0.7 ? plainMessage(bgCsid, int(rnd, 1, Math.min(cap, 200 * cs)), cs) : [];
      const cut = int(rnd, 0, bg.length);
      push(bg.slice(0, cut));
      const aborts = rnd() < 0.6;
      for (let k = int(rnd, 1, rnd() < 0.3 ? 400 : 4); k > 0 && size < maxBytes; k--) {
        if (!aborts) {
          push(w.encodeChunks(message(pick(rnd, csids), length())));
          continue;
        }
        const len = rnd() < 0.5 ? int(rnd, 1, Math.min(cap, 70_000)) : cap - int(rnd, 0, 1000);
        push(plainMessage(longCsid, Math.max(1, len), cs, int(rnd, 1, 2)));
        const abort = new Uint8Array(4);
        new DataView(abort.buffer).setUint32(0, longCsid);
        push(w.encodeChunks({ type: 2, csid: 2, streamId: 0, timestamp: 0, body: abort }));
      }
      push(bg.slice(cut));
    } else if (r < 0.34 && csids.length > 1) {
      // Two or three messages on distinct csids, chunks interleaved round robin.
      const picked = [...new Set([pick(rnd, csids), pick(rnd, csids), pick(rnd, csids)])];
      const lists = picked.map((c) => w.encodeChunks(message(c, length())));
      for (let k = 0; lists.some((l) => k < l.length); k++) {
        for (const l of lists) if (k < l.length) push([l[k]!]);
      }
    } else if (r < 0.4) {
      // A burst of zero-length messages.
      const csid = pick(rnd, csids);
      for (let k = int(rnd, 1, 50); k > 0; k--) push(w.encodeChunks(message(csid, 0)));
    } else {
      push(w.encodeChunks(message(pick(rnd, csids), length())));
    }
  }
  return out;
}
