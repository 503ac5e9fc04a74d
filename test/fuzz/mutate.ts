/**
 * Mutations for the differential fuzzer: byte-level damage (bit flips, truncation, inserted
 * and deleted bytes) and crafted chunks (SetChunkSize 0/1/0x7fffffff/top bit, Abort, absurd
 * lengths, edge csids, type-0 headers mid-message, fresh csids with fmt 1/2/3, extended
 * timestamps) inserted at chunk boundaries or anywhere.
 * @module
 */

import type { ParserLimits } from "../../src/parser/types.ts";
import { concat } from "../parser/stream_gen.ts";
import { EDGE_CSIDS, int, pick } from "./gen.ts";

/** Fields of a hand-made chunk; absent fields are left out of the header as `fmt` says. */
export interface RawChunk {
  readonly fmt: 0 | 1 | 2 | 3;
  readonly csid: number;
  /** Force the 2- or 3-byte basic header form even when a shorter one would do. */
  readonly basicForm?: 1 | 2 | 3;
  readonly timestamp?: number;
  readonly length?: number;
  readonly type?: number;
  readonly streamId?: number;
  /** Writes 0xFFFFFF in the timestamp field and this after the header (or after a type-3 basic header). */
  readonly extended?: number;
  readonly body?: Uint8Array;
}

/** Encodes a {@linkcode RawChunk} exactly as given, valid or not. */
export function rawChunk(c: RawChunk): Uint8Array {
  const form = c.basicForm ?? (c.csid < 64 ? 1 : c.csid < 320 ? 2 : 3);
  const out: number[] = [];
  if (form === 1) out.push((c.fmt << 6) | (c.csid & 0x3f));
  else if (form === 2) out.push(c.fmt << 6, (c.csid - 64) & 0xff);
  else out.push((c.fmt << 6) | 1, (c.csid - 64) & 0xff, ((c.csid - 64) >>> 8) & 0xff);
  const be = (v: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) out.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
  };
  if (c.fmt <= 2) be(c.extended === undefined ? c.timestamp ?? 0 : 0xffffff, 3);
  if (c.fmt <= 1) {
    be(c.length ?? c.body?.length ?? 0, 3);
    out.push((c.type ?? 8) & 0xff);
  }
  if (c.fmt === 0) {
    const id = c.streamId ?? 1;
    out.push(id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, (id >>> 24) & 0xff);
  }
  if (c.extended !== undefined) be(c.extended >>> 0, 4);
  return concat([new Uint8Array(out), c.body ?? new Uint8Array(0)]);
}

function be32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}

function randomBytes(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rnd, 0, 255));
}

/** SetChunkSize values worth trying, valid and not. */
export const CHUNK_SIZE_VALUES: readonly number[] = [
  0,
  1,
  2,
  127,
  128,
  4096,
  65536,
  0x7fffffff,
  0x80000000,
  0x80000001,
  0x80000080,
  0xffffffff,
];

/** Makes one crafted chunk (or a few) that stresses a parser rule. */
export function craftedChunk(rnd: () => number, limits: Partial<ParserLimits>): Uint8Array {
  const csid = () => rnd() < 0.6 ? pick(rnd, EDGE_CSIDS) : int(rnd, 2, 65599);
  const small = () => randomBytes(rnd, int(rnd, 0, 140));
  const max = limits.maxMessageSize ?? 8 * 1024 * 1024;
  switch (int(rnd, 0, 8)) {
    case 0: { // SetChunkSize, sometimes with a short or long body.
      const value = rnd() < 0.8 ? pick(rnd, CHUNK_SIZE_VALUES) : int(rnd, 0, 0xffffffff);
      const len = rnd() < 0.8 ? 4 : int(rnd, 0, 8);
      const b = concat([be32(value), randomBytes(rnd, 4)]).subarray(0, len);
      return rawChunk({ fmt: 0, csid: 2, type: 1, streamId: 0, body: b });
    }
    case 1: { // Abort of an edge csid, sometimes short.
      const len = rnd() < 0.8 ? 4 : int(rnd, 0, 5);
      const b = concat([be32(csid()), new Uint8Array(1)]).subarray(0, len);
      return rawChunk({ fmt: 0, csid: rnd() < 0.8 ? 2 : csid(), type: 2, streamId: 0, body: b });
    }
    case 2: { // Absurd or boundary declared lengths, with a partial body.
      const length = pick(rnd, [0xffffff, 0x800000, 0x800001, max, max + 1, 65536, 65537]);
      return rawChunk({ fmt: 0, csid: csid(), length: Math.min(length, 0xffffff), body: small() });
    }
    case 3: // A fresh (or not) csid starting with fmt 1, 2 or 3.
      return rawChunk({
        fmt: pick(rnd, [1, 2, 3] as const),
        csid: csid(),
        timestamp: int(rnd, 0, 100),
        length: int(rnd, 0, 200),
        body: small(),
      });
    case 4: // A type-0 header on a common csid, likely mid-message.
      return rawChunk({ fmt: 0, csid: pick(rnd, [3, 4, 5, 6]), body: small() });
    case 5: { // Extended timestamps, then a type-3 chunk with or without the repeat.
      const ext = pick(rnd, [0, 1, 0xffffff, 0x1000000, 0xfffffffe, 0xffffffff]);
      const c = csid();
      const first = rawChunk({
        fmt: pick(rnd, [0, 1, 2] as const),
        csid: c,
        extended: ext,
        body: small(),
      });
      const next = rawChunk({
        fmt: 3,
        csid: c,
        ...(rnd() < 0.5 ? { extended: rnd() < 0.8 ? ext : int(rnd, 0, 0xffffffff) } : {}),
        body: small(),
      });
      return concat([first, next]);
    }
    case 6: { // An edge csid in a non-canonical basic header form.
      const c = int(rnd, 64, 319);
      return rawChunk({ fmt: 0, csid: c, basicForm: 3, body: small() });
    }
    case 7: // A continuation header on a common csid.
      return rawChunk({
        fmt: pick(rnd, [1, 2, 3] as const),
        csid: pick(rnd, [3, 4, 5, 6]),
        body: small(),
      });
    default: // A burst of tiny messages on many csids (trips maxChunkStreams).
      return concat(
        Array.from(
          { length: int(rnd, 2, 300) },
          () => rawChunk({ fmt: 0, csid: csid(), body: small() }),
        ),
      );
  }
}

/** Where mutations may go: the byte offsets where chunks begin, when known. */
export interface MutationContext {
  readonly boundaries: readonly number[] | null;
  readonly limits: Partial<ParserLimits>;
}

/** Applies one random mutation; returns the new bytes and a short name of what was done. */
export function mutate(
  rnd: () => number,
  bytes: Uint8Array,
  ctx: MutationContext,
): { bytes: Uint8Array; what: string } {
  const at = () => int(rnd, 0, bytes.length);
  const boundary = () =>
    ctx.boundaries !== null && ctx.boundaries.length > 0 && rnd() < 0.8
      ? pick(rnd, ctx.boundaries)
      : at();
  const splice = (o: number, cut: number, insert: Uint8Array) =>
    concat([bytes.subarray(0, o), insert, bytes.subarray(Math.min(bytes.length, o + cut))]);
  const r = rnd();
  if (r < 0.45) {
    const o = boundary();
    return { bytes: splice(o, 0, craftedChunk(rnd, ctx.limits)), what: `crafted@${o}` };
  }
  if (bytes.length === 0) return { bytes: randomBytes(rnd, int(rnd, 1, 64)), what: "random" };
  if (r < 0.65) {
    const out = bytes.slice();
    const near = ctx.boundaries !== null && rnd() < 0.5;
    const o = Math.min(bytes.length - 1, near ? boundary() + int(rnd, 0, 15) : at());
    out[o] = rnd() < 0.7 ? out[o]! ^ (1 << int(rnd, 0, 7)) : pick(rnd, [0, 0xff, 0x3f, 0xc0, 0x7f]);
    return { bytes: out, what: `flip@${o}` };
  }
  if (r < 0.75) {
    const o = at();
    return { bytes: bytes.subarray(0, o), what: `truncate@${o}` };
  }
  if (r < 0.85) {
    const o = at();
    return { bytes: splice(o, 0, randomBytes(rnd, int(rnd, 1, 32))), what: `insert@${o}` };
  }
  if (r < 0.93) {
    const o = at();
    return { bytes: splice(o, int(rnd, 1, 64), new Uint8Array(0)), what: `delete@${o}` };
  }
  const o = at();
  const n = int(rnd, 1, 2000);
  const copy = bytes.slice(o, o + n);
  return { bytes: splice(boundary(), 0, copy), what: `duplicate@${o}+${copy.length}` };
}
