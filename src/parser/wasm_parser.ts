/**
 * The WASM chunk parser: the AssemblyScript core in `assembly/`, one instance per
 * connection, socket reads landing straight in the instance's linear memory. Memory starts
 * at the static regions and one arena page; the core grows it only for a message that does
 * not fit, so a thousand quiet sessions do not each hold `maxPartialBytes` of memory. Messages
 * over 8 KiB that span chunks are not reassembled in the instance: the core hands out their
 * chunks as pieces, copied here into buffers from a pool shared by the factory's parsers (as
 * the JS parser does), so an instance's pages do not grow to its largest key frame.
 * @module
 */

import { ChunkError } from "../errors.ts";
import { BodyPool } from "../body_pool.ts";
import { chunkError } from "./chunk_errors.ts";
import {
  type ChunkParser,
  DEFAULT_PARSER_LIMITS,
  type MessageHandler,
  type ParserLimits,
  pushBytes,
} from "./types.ts";
import { INPUT_WINDOW, MIN_FREE, ReadSizer, SMALL_TAIL } from "./read_window.ts";

/** Where `deno task build:wasm` writes the core. */
export const WASM_URL: URL = new URL("../../build/parser.wasm", import.meta.url);

/** Pages the core's static regions (csid map, slots, records, ring) take. */
const STATIC_PAGES = 4;
const PAGE = 65536;
/** A record is six u32 (little-endian, as the host): type, csid, streamId, timestamp, pointer, length. */
const RECORD_WORDS = 6;

interface CoreExports {
  memory: WebAssembly.Memory;
  /** The layout's constants, by {@linkcode Layout} index. */
  layout(i: number): number;
  configure(maxMessage: number, maxStreams: number, maxPartial: number): number;
  prepareWrite(): number;
  commitWrite(n: number): number;
  /** Commits `n` received bytes, then parses (assembly/chunk.ts). */
  parse(n: number): number;
  currentChunkSize(): number;
  errorArg(i: number): number;
  resetChunks(): void;
  resetRing(): void;
}

/** Indices of `layout(i)`'s constants (assembly/index.ts). */
const Layout = {
  RING: 0,
  RING_SIZE: 1,
  MIN_FREE: 2,
  SMALL_TAIL: 3,
  OUT: 4,
  MORE: 5,
  FAILED: 6,
  PIECE: 7,
  SPILLED: 8,
  READY: 9,
} as const;

/** Makes parsers from one compiled module. */
export type ParserFactory = (limits?: Partial<ParserLimits>) => ChunkParser;

/** Largest memory of an instance that goes back to the pool: static regions and 4 arena pages. */
const POOLED_BYTES = (STATIC_PAGES + 4) * PAGE;

/** Most idle instances a factory keeps for reuse, per set of limits. */
const MAX_IDLE = 32;

/**
 * Compiles the core once (from `build/parser.wasm` unless given) and returns a factory.
 * Disposed parsers go back to a small pool, reset, so a new connection reuses an instance
 * whose memory is already mapped.
 */
export async function loadWasmParser(source: URL | Uint8Array = WASM_URL): Promise<ParserFactory> {
  const bytes = source instanceof Uint8Array ? source : await Deno.readFile(source);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const pools = new Map<string, Core[]>();
  const bodies = new BodyPool();
  return (limits = {}) => {
    const full = { ...DEFAULT_PARSER_LIMITS, ...limits };
    const key = `${full.maxMessageSize}/${full.maxChunkStreams}/${full.maxPartialBytes}`;
    let pool = pools.get(key);
    if (pool === undefined) pools.set(key, pool = []);
    const idle = pool;
    const core = idle.pop() ?? new Core(module, full);
    return new WasmParser(core, bodies, (c) => {
      // A core that grew for a large message keeps that memory: let it go instead.
      if (idle.length < MAX_IDLE && c.memory.buffer.byteLength <= POOLED_BYTES) idle.push(c);
    });
  };
}

/** One instance of the core with its memory and the views JS keeps on it. */
class Core {
  readonly exports: CoreExports;
  readonly memory: WebAssembly.Memory;
  u8: Uint8Array;
  readonly ring: number;
  readonly ringEnd: number;
  /** Read sizes (reset with the core, so a pooled instance starts small again). */
  sizer = new ReadSizer();
  /** The last view writable() gave at the ring's front. */
  front: Uint8Array = new Uint8Array(0);
  /** Where the next read lands when the last parse() readied the ring for it, else -1. */
  nextAt = -1;
  /** Length of the last view writable() gave. */
  offered = 0;
  /** Bytes committed that the next parse() takes in (a read costs one call into the core). */
  pending = 0;
  readonly out: number;
  readonly more: number;
  readonly failedFlag: number;
  readonly piece: number;
  readonly spilled: number;
  readonly ready: number;
  /** Memory as u32s, to read records (OUT is 16-byte aligned, records are 24 bytes). */
  u32: Uint32Array;

  constructor(module: WebAssembly.Module, limits: ParserLimits) {
    const arenaPages = Math.ceil(limits.maxPartialBytes / PAGE) + 1;
    // One arena page to start; the core grows memory when a message needs it, up to maximum.
    const memory = new WebAssembly.Memory({
      initial: STATIC_PAGES + 1,
      maximum: STATIC_PAGES + arenaPages,
    });
    this.memory = memory;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.exports = instance.exports as unknown as CoreExports;
    const rc = this.exports.configure(
      limits.maxMessageSize,
      limits.maxChunkStreams,
      limits.maxPartialBytes,
    );
    if (rc < 0) throw chunkError(-rc, []);
    const at = (i: number) => this.exports.layout(i) >>> 0;
    if (
      at(Layout.RING_SIZE) !== INPUT_WINDOW || at(Layout.MIN_FREE) !== MIN_FREE ||
      at(Layout.SMALL_TAIL) !== SMALL_TAIL
    ) {
      // Both parsers must size reads alike (read_window.ts): a core built from other sources.
      throw new Error("The WASM core's ring does not match src/parser/read_window.ts: rebuild it");
    }
    if (at(Layout.PIECE) !== PIECE_OR_SPILLED || at(Layout.SPILLED) <= PIECE_OR_SPILLED) {
      throw new Error("The WASM core's record types do not match src/parser/wasm_parser.ts");
    }
    this.ring = at(Layout.RING);
    this.ringEnd = this.ring + at(Layout.RING_SIZE);
    this.out = at(Layout.OUT);
    this.more = at(Layout.MORE);
    this.failedFlag = at(Layout.FAILED);
    this.piece = at(Layout.PIECE);
    this.spilled = at(Layout.SPILLED);
    this.ready = at(Layout.READY);
    if (this.ready <= COUNT_MASK || (this.ready & (this.more | this.failedFlag)) !== 0) {
      throw new Error("The WASM core's parse() result does not match src/parser/wasm_parser.ts");
    }
    this.u8 = new Uint8Array(memory.buffer);
    this.u32 = new Uint32Array(memory.buffer);
  }

  /**
   * Renews the views after the core grew memory (which detaches the old buffer). Only parse()
   * grows it, so this runs after each parse() and before writable() hands out a view.
   */
  refresh(): void {
    if (this.u8.byteLength !== 0) return;
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.front = new Uint8Array(0);
    this.u32 = new Uint32Array(buffer);
  }

  /** Hands pending bytes to the core now (before anything but parse() looks at the ring). */
  flush(): void {
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.nextAt = -1;
    if (!this.exports.commitWrite(n)) {
      throw new RangeError(`Cannot commit ${n} bytes: more than the ring has free`);
    }
  }

  reset(): void {
    this.exports.resetChunks();
    this.exports.resetRing();
    this.sizer = new ReadSizer();
    this.nextAt = -1;
    this.offered = 0;
    this.pending = 0;
  }
}

/** parse()'s record count (at most OUT_CAP, 96); READY and the flags are above it. */
const COUNT_MASK = 0xff;

/** Record types below this are messages as they came (wire types are one byte). */
const PIECE_OR_SPILLED = 0x100;
/** Abort Message's type. */
const ABORT = 2;
/** A spilled message's body is taken at once up to this length, then grown as it arrives. */
const UPFRONT_BYTES = 1024 * 1024;

class WasmParser implements ChunkParser {
  readonly kind = "wasm";
  #c: Core;
  #bodies: BodyPool;
  /** Bodies of the spilled messages in progress by chunk stream (made when the first is). */
  #spills: Map<number, Uint8Array> | null = null;
  #release: ((core: Core) => void) | null;
  #failed: Error | null = null;

  constructor(core: Core, bodies: BodyPool, release: (core: Core) => void) {
    this.#c = core;
    this.#bodies = bodies;
    this.#release = release;
  }

  get chunkSize(): number {
    return this.#c.exports.currentChunkSize() >>> 0;
  }

  writable(): Uint8Array {
    const c = this.#c;
    c.refresh();
    c.flush();
    // The last parse() readied the ring for this read and said where it lands.
    const at = c.nextAt >= 0 ? c.nextAt : c.exports.prepareWrite();
    c.nextAt = at;
    const n = c.sizer.offer(at);
    c.offered = n;
    if (at !== 0) return c.u8.subarray(c.ring + at, c.ring + at + n);
    // Reads land at the front nearly always: the same view serves until the offer changes.
    if (c.front.length !== n) c.front = c.u8.subarray(c.ring, c.ring + n);
    return c.front;
  }

  commit(n: number): void {
    const c = this.#c;
    if (n < 0) throw new RangeError(`Cannot commit ${n} bytes: more than the ring has free`);
    if (c.nextAt >= 0 && c.pending === 0 && n <= c.offered) {
      // A read into the last view: the next parse() takes it in, with no call of its own.
      c.pending = n;
      c.nextAt = -1;
    } else {
      c.flush();
      if (!c.exports.commitWrite(n)) {
        throw new RangeError(`Cannot commit ${n} bytes: more than the ring has free`);
      }
      c.nextAt = -1;
    }
    c.sizer.committed(n);
  }

  push(bytes: Uint8Array): number {
    return pushBytes(this, bytes);
  }

  drain(onMessage: MessageHandler): void {
    if (this.#failed) throw this.#failed;
    const c = this.#c;
    const core = c.exports;
    const more = c.more;
    for (;;) {
      let r: number;
      const n = c.pending;
      c.pending = 0;
      try {
        r = core.parse(n);
      } catch (e) {
        // A trap in the core: this instance is never reused.
        this.#failed = new ChunkError(`Parser core trapped: ${e instanceof Error ? e.message : e}`);
        throw this.#failed;
      }
      if (r < 0) {
        const args = [0, 1, 2, 3].map((i) => core.errorArg(i) >>> 0);
        this.#failed = chunkError(-r, args);
        throw this.#failed;
      }
      c.refresh();
      const u32 = c.u32;
      const u8 = c.u8;
      // A view made from the buffer costs less than u8.subarray() (no species lookup).
      const memory = u8.buffer;
      const count = r & COUNT_MASK;
      // The core emptied the ring: the next read lands at its front with no call to prepare it.
      c.nextAt = (r & c.ready) !== 0 ? 0 : -1;
      let o = c.out >>> 2;
      for (let i = 0; i < count; i++, o += RECORD_WORDS) {
        const type = u32[o]!;
        const ptr = u32[o + 4]!;
        const length = u32[o + 5]!;
        if (type < PIECE_OR_SPILLED) {
          onMessage({
            type,
            csid: u32[o + 1]!,
            streamId: u32[o + 2]!,
            timestamp: u32[o + 3]!,
            length,
          }, new Uint8Array(memory, ptr, length));
          if (type === ABORT && length >= 4) this.#aborted(u8, ptr);
        } else if (type === c.piece) {
          this.#piece(u32[o + 1]!, u32[o + 2]!, u32[o + 3]!, u8.subarray(ptr, ptr + length));
        } else {
          const csid = u32[o + 1]!;
          const body = this.#take(csid);
          onMessage({
            type: type & 0xff,
            csid,
            streamId: u32[o + 2]!,
            timestamp: u32[o + 3]!,
            length,
          }, body.subarray(0, length));
          // The body was valid only during the call: its buffer goes back to the shared pool.
          this.#bodies.give(body);
        }
      }
      // After FAILED the next parse() returns the error; after MORE it goes on.
      if ((r & (more | c.failedFlag)) === 0) return;
    }
  }

  /**
   * Copies a piece of a spilled message to `offset` of its body. The body is taken at the
   * declared length up to {@linkcode UPFRONT_BYTES} (the core already counted that length
   * against `maxPartialBytes`), and grown with what arrives beyond.
   */
  #piece(csid: number, offset: number, length: number, bytes: Uint8Array): void {
    const spills = this.#spills ??= new Map();
    let body = spills.get(csid) ?? EMPTY;
    const need = offset + bytes.length;
    if (need > body.length) {
      const size = Math.min(length, Math.max(need, body.length * 2, UPFRONT_BYTES));
      const grown = this.#bodies.take(size);
      if (offset > 0) grown.set(body.subarray(0, offset));
      if (body !== EMPTY) this.#bodies.give(body);
      spills.set(csid, body = grown);
    }
    body.set(bytes, offset);
  }

  /** Takes the body of `csid`'s spilled message off the list (it completed). */
  #take(csid: number): Uint8Array {
    const spills = this.#spills!;
    const body = spills.get(csid)!;
    spills.delete(csid);
    return body;
  }

  /** An Abort whose body is at `ptr`: the core dropped that chunk stream's message, so do we. */
  #aborted(u8: Uint8Array, ptr: number): void {
    const spills = this.#spills;
    if (spills === null || spills.size === 0) return;
    const csid = ((u8[ptr]! << 24) | (u8[ptr + 1]! << 16) | (u8[ptr + 2]! << 8) | u8[ptr + 3]!) >>>
      0;
    const body = spills.get(csid);
    if (body === undefined) return;
    this.#bodies.give(body);
    spills.delete(csid);
  }

  [Symbol.dispose](): void {
    for (const body of this.#spills?.values() ?? []) this.#bodies.give(body);
    this.#spills = null;
    const release = this.#release;
    if (release === null) return;
    this.#release = null;
    // A core that failed may hold anything: only a clean one goes back to the pool.
    if (this.#failed === null) {
      this.#c.reset();
      release(this.#c);
    }
  }
}

const EMPTY = new Uint8Array(0);
