/**
 * The TypeScript reference chunk parser. Same interface and semantics as the WASM core,
 * written for speed: one input buffer grown as reads grow (read_window.ts: the same read sizes
 * as the WASM core's ring), messages spanning chunks reassembled
 * into buffers from a pool shared by the factory's parsers, and messages that fit in one
 * received chunk handed out as views without a copy.
 * @module
 */

import { ChunkError } from "../errors.ts";
import { BodyPool } from "../body_pool.ts";
import { chunkError, ChunkErrorCode as E } from "./chunk_errors.ts";
import {
  type ChunkParser,
  DEFAULT_PARSER_LIMITS,
  type MessageHandler,
  type ParserLimits,
  pushBytes,
} from "./types.ts";
import { INPUT_WINDOW, movesToFront, ReadSizer } from "./read_window.ts";

const EXTENDED = 0xffffff;
const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;

/** Per chunk stream header history and reassembly state. */
interface ChunkStream {
  readonly csid: number;
  streamId: number;
  timestamp: number;
  length: number;
  type: number;
  /** Timestamp field of the last type 0/1/2 header (absolute after type 0). */
  tsField: number;
  /** Whether the last type 0/1/2 header used an extended timestamp. */
  extended: boolean;
  /** Bytes of the current message received; -1 when no message is in progress. */
  received: number;
  body: Uint8Array;
}

/** Creates the TypeScript reference parser (with its own reassembly pool). */
export function createJsParser(limits: Partial<ParserLimits> = {}): ChunkParser {
  return new JsParser({ ...DEFAULT_PARSER_LIMITS, ...limits }, new BodyPool());
}

/**
 * Returns a factory of JS parsers that share one reassembly pool (one per server).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsParserFactory } from "./js_parser.ts";
 *
 * const make = jsParserFactory();
 * using parser = make({ maxChunkStreams: 8 });
 * assert.equal(parser.kind, "js");
 * ```
 */
export function jsParserFactory(): (limits?: Partial<ParserLimits>) => ChunkParser {
  const pool = new BodyPool();
  return (limits = {}) => new JsParser({ ...DEFAULT_PARSER_LIMITS, ...limits }, pool);
}

class JsParser implements ChunkParser {
  readonly kind = "js";
  #limits: ParserLimits;
  /** The input window's first bytes: as many as reads have been offered (read_window.ts). */
  #buf: Uint8Array = EMPTY;
  #view = new DataView(EMPTY.buffer);
  #sizer = new ReadSizer();
  #readAt = 0;
  #writeAt = 0;
  #chunkSize = 128;
  #streams = new Map<number, ChunkStream>();
  #cur: ChunkStream | null = null;
  #chunkLeft = 0;
  #partialBytes = 0;
  #failed: ChunkError | null = null;
  #pool: BodyPool;

  constructor(limits: ParserLimits, pool: BodyPool) {
    this.#limits = limits;
    this.#pool = pool;
  }

  get chunkSize(): number {
    return this.#chunkSize;
  }

  writable(): Uint8Array {
    if (movesToFront(this.#readAt, this.#writeAt)) {
      this.#buf.copyWithin(0, this.#readAt, this.#writeAt);
      this.#writeAt -= this.#readAt;
      this.#readAt = 0;
    }
    const end = this.#writeAt + this.#sizer.offer(this.#writeAt);
    if (end > this.#buf.length) this.#grow(Math.min(INPUT_WINDOW, (end + 4095) & ~4095));
    return this.#buf.subarray(this.#writeAt, end);
  }

  commit(n: number): void {
    if (n < 0 || this.#writeAt + n > this.#buf.length) {
      throw new RangeError(
        `Cannot commit ${n} bytes: ${this.#buf.length - this.#writeAt} are free`,
      );
    }
    this.#writeAt += n;
    this.#sizer.committed(n);
  }

  /** Moves the input into a buffer of `size` bytes (offsets stay). */
  #grow(size: number): void {
    const buf = new Uint8Array(size);
    buf.set(this.#buf.subarray(0, this.#writeAt));
    this.#buf = buf;
    this.#view = new DataView(buf.buffer);
  }

  push(bytes: Uint8Array): number {
    return pushBytes(this, bytes);
  }

  drain(onMessage: MessageHandler): void {
    if (this.#failed) throw this.#failed;
    try {
      this.#parse(onMessage);
    } catch (e) {
      if (e instanceof ChunkError) this.#failed = e;
      throw e;
    }
    if (this.#readAt === this.#writeAt) this.#readAt = this.#writeAt = 0;
  }

  [Symbol.dispose](): void {
    for (const st of this.#streams.values()) this.#release(st);
    this.#streams.clear();
    this.#cur = null;
  }

  #parse(onMessage: MessageHandler): void {
    const buf = this.#buf;
    for (;;) {
      let avail = this.#writeAt - this.#readAt;
      if (this.#chunkLeft > 0) {
        const st = this.#cur!;
        const n = Math.min(this.#chunkLeft, avail);
        if (n === 0) return;
        this.#append(st, this.#readAt, n);
        this.#readAt += n;
        this.#chunkLeft -= n;
        if (st.received === st.length) {
          this.#complete(st, st.body.subarray(0, st.length), true, onMessage);
        }
        continue;
      }
      if (avail < 1) return;
      let p = this.#readAt;
      const b0 = buf[p]!;
      const fmt = b0 >>> 6;
      let csid = b0 & 0x3f;
      let hlen = 1;
      if (csid === 0) {
        if (avail < 2) return;
        csid = buf[p + 1]! + 64;
        hlen = 2;
      } else if (csid === 1) {
        if (avail < 3) return;
        csid = buf[p + 1]! + (buf[p + 2]! << 8) + 64;
        hlen = 3;
      }
      if (avail < hlen + MESSAGE_HEADER_SIZE[fmt as 0 | 1 | 2 | 3]) return;
      let st = this.#streams.get(csid);
      if (st === undefined) {
        if (fmt !== 0) {
          throw chunkError(E.FreshNotType0, [csid, fmt]);
        }
        if (this.#streams.size >= this.#limits.maxChunkStreams) {
          throw chunkError(E.TooManyStreams, [csid, this.#limits.maxChunkStreams]);
        }
        st = {
          csid,
          streamId: 0,
          timestamp: 0,
          length: 0,
          type: 0,
          tsField: 0,
          extended: false,
          received: -1,
          body: EMPTY,
        };
        this.#streams.set(csid, st);
      }
      p += hlen;
      const inProgress = st.received >= 0;
      if (fmt === 3) {
        if (st.extended) {
          if (avail < hlen + 4) return;
          if (this.#view.getUint32(p) === st.tsField) p += 4;
        }
        if (!inProgress) st.timestamp = (st.timestamp + st.tsField) >>> 0;
      } else {
        if (inProgress) {
          throw chunkError(E.HeaderMidMessage, [csid, fmt, st.length - st.received]);
        }
        let field = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
        let length = st.length;
        let type = st.type;
        if (fmt <= 1) {
          length = (buf[p + 3]! << 16) | (buf[p + 4]! << 8) | buf[p + 5]!;
          type = buf[p + 6]!;
        }
        const mh = MESSAGE_HEADER_SIZE[fmt as 0 | 1 | 2];
        const ext = field === EXTENDED;
        if (ext) {
          if (avail < hlen + mh + 4) return;
          field = this.#view.getUint32(p + mh);
        }
        if (fmt === 0) {
          st.streamId = this.#view.getUint32(p + 7, true);
          st.timestamp = field;
        } else {
          st.timestamp = (st.timestamp + field) >>> 0;
        }
        st.tsField = field;
        st.extended = ext;
        st.length = length;
        st.type = type;
        p += mh + (ext ? 4 : 0);
      }
      this.#readAt = p;
      avail = this.#writeAt - p;
      if (!inProgress) {
        const length = st.length;
        if (length > this.#limits.maxMessageSize) {
          throw chunkError(E.MessageTooLong, [length, csid, this.#limits.maxMessageSize]);
        }
        if (length <= this.#chunkSize && length <= avail) {
          // The whole message is in this chunk and already received: hand out a view.
          this.#readAt = p + length;
          st.received = length;
          this.#complete(st, buf.subarray(p, p + length), false, onMessage);
          continue;
        }
        if (this.#partialBytes + length > this.#limits.maxPartialBytes) {
          const total = this.#partialBytes + length;
          throw chunkError(E.PartialLimit, [length, csid, total, this.#limits.maxPartialBytes]);
        }
        this.#partialBytes += length;
        st.received = 0;
      }
      this.#cur = st;
      this.#chunkLeft = Math.min(this.#chunkSize, st.length - st.received);
    }
  }

  /** Copies `n` input bytes at `from` to the end of `st`'s body, growing it with what arrives. */
  #append(st: ChunkStream, from: number, n: number): void {
    const need = st.received + n;
    if (need > st.body.length) {
      const grown = this.#pool.take(Math.min(st.length, Math.max(need, st.body.length * 2)));
      grown.set(st.body.subarray(0, st.received));
      this.#release(st);
      st.body = grown;
    }
    st.body.set(this.#buf.subarray(from, from + n), st.received);
    st.received = need;
  }

  /** Emits `st`'s message; `reserved` when it was counted in the partial bytes. */
  #complete(st: ChunkStream, view: Uint8Array, reserved: boolean, onMessage: MessageHandler): void {
    const length = st.length;
    if (reserved) this.#partialBytes -= length;
    st.received = -1;
    this.#chunkLeft = 0;
    if (st.type === 1) this.#setChunkSize(view, st.csid);
    else if (st.type === 2) this.#abort(view);
    onMessage(
      { type: st.type, csid: st.csid, streamId: st.streamId, timestamp: st.timestamp, length },
      view,
    );
    // The body was valid only during the call: its buffer goes back to the shared pool.
    if (reserved) this.#release(st);
  }

  /** Gives `st`'s reassembly buffer back to the pool. */
  #release(st: ChunkStream): void {
    if (st.body !== EMPTY) this.#pool.give(st.body);
    st.body = EMPTY;
  }

  #setChunkSize(body: Uint8Array, csid: number): void {
    if (body.length < 4) {
      throw chunkError(E.ShortSetChunkSize, [csid, body.length]);
    }
    const size = new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
    if (size === 0 || size > 0x7fffffff) {
      throw chunkError(E.BadChunkSize, [size]);
    }
    this.#chunkSize = size;
  }

  #abort(body: Uint8Array): void {
    if (body.length < 4) throw chunkError(E.ShortAbort, [body.length]);
    const csid = new DataView(body.buffer, body.byteOffset, 4).getUint32(0);
    const st = this.#streams.get(csid);
    if (st !== undefined && st.received >= 0) {
      this.#partialBytes -= st.length;
      st.received = -1;
      this.#release(st);
    }
  }
}

const EMPTY = new Uint8Array(0);
