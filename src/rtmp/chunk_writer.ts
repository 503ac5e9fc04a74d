/**
 * Messages → chunks at the peer's chunk size, with the smallest header each time.
 *
 * ```
 * basic header   fmt(2) csid(6)            csid 2..63
 *                fmt(2) 0 | csid-64 (8)    csid 64..319
 *                fmt(2) 1 | csid-64 (16 LE) csid 64..65599
 * message header fmt 0: timestamp(3) length(3) type(1) streamId(4 LE)   11 bytes
 *                fmt 1: delta(3) length(3) type(1)                       7 bytes
 *                fmt 2: delta(3)                                         3 bytes
 *                fmt 3: none                                             0 bytes
 * extended ts    4 bytes when the 3-byte field is 0xFFFFFF
 * ```
 * @module
 */

/** A message to send. */
export interface OutgoingMessage {
  readonly type: number;
  readonly csid: number;
  readonly streamId: number;
  readonly timestamp: number;
  readonly body: Uint8Array;
}

/** Options for {@linkcode ChunkWriter}. */
export interface ChunkWriterOptions {
  /** Outgoing chunk size (default 128). */
  chunkSize?: number;
  /** Repeat the extended timestamp on type-3 chunks, as FFmpeg and librtmp do (default true). */
  repeatExtendedTimestamp?: boolean;
  /** Force this header type for the first chunk of every message where history allows (tests). */
  forceFormat?: 0 | 1 | 2 | 3;
}

interface CsidState {
  streamId: number;
  timestamp: number;
  length: number;
  type: number;
  /** The timestamp field of the last type 0/1/2 header (absolute after type 0). */
  tsField: number;
}

const EXTENDED = 0xffffff;

/** Writes messages as chunks, keeping per-csid header history like a real peer. */
export class ChunkWriter {
  #chunkSize: number;
  #repeatExt: boolean;
  #force: 0 | 1 | 2 | 3 | undefined;
  #state = new Map<number, CsidState>();

  /** Creates a writer; the chunk size starts at 128 unless given. */
  constructor(options: ChunkWriterOptions = {}) {
    this.#chunkSize = options.chunkSize ?? 128;
    this.#repeatExt = options.repeatExtendedTimestamp ?? true;
    this.#force = options.forceFormat;
  }

  /** The outgoing chunk size. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Changes the outgoing chunk size (after sending SetChunkSize). */
  set chunkSize(size: number) {
    this.#chunkSize = size;
  }

  /** Encodes one message as chunks, each chunk its own array (for interleaving in tests). */
  encodeChunks(msg: OutgoingMessage): Uint8Array[] {
    const out = this.encode(msg);
    const chunks: Uint8Array[] = [];
    const first = basicHeaderSize(msg.csid);
    const ext = this.#lastExtended;
    let o = 0;
    let sent = 0;
    const len = msg.body.length;
    // Re-walk the encoded bytes: the first chunk's header size is known from encode().
    let header = this.#lastHeaderSize;
    do {
      const n = Math.min(this.#chunkSize, len - sent);
      chunks.push(out.subarray(o, o + header + n));
      o += header + n;
      sent += n;
      header = first + (ext && this.#repeatExt ? 4 : 0);
    } while (sent < len);
    return chunks;
  }

  #lastHeaderSize = 0;
  #lastExtended = false;

  /** Encodes one message as chunks. */
  encode(msg: OutgoingMessage): Uint8Array {
    const prev = this.#state.get(msg.csid);
    const fmt = this.#pickFormat(msg, prev);
    const length = msg.body.length;
    const ts = msg.timestamp >>> 0;
    let field: number;
    if (fmt === 0) field = ts;
    else if (fmt === 3) field = prev!.tsField;
    else field = (ts - prev!.timestamp) >>> 0;
    const ext = field >= EXTENDED;
    const chunks = Math.max(1, Math.ceil(length / this.#chunkSize));
    const basic = basicHeaderSize(msg.csid);
    const headerSize = [11, 7, 3, 0][fmt]!;
    const extSize = ext ? 4 : 0;
    const contExt = ext && this.#repeatExt ? 4 : 0;
    const total = basic + headerSize + extSize + length + (chunks - 1) * (basic + contExt);
    const out = new Uint8Array(total);
    this.#lastHeaderSize = basic + headerSize + extSize;
    this.#lastExtended = ext;
    const view = new DataView(out.buffer);
    let o = writeBasicHeader(out, 0, fmt, msg.csid);
    const field24 = ext ? EXTENDED : field;
    if (fmt <= 2) {
      out[o] = field24 >>> 16;
      out[o + 1] = field24 >>> 8;
      out[o + 2] = field24;
      o += 3;
    }
    if (fmt <= 1) {
      out[o] = length >>> 16;
      out[o + 1] = length >>> 8;
      out[o + 2] = length;
      out[o + 3] = msg.type;
      o += 4;
    }
    if (fmt === 0) {
      view.setUint32(o, msg.streamId, true);
      o += 4;
    }
    if (ext) {
      view.setUint32(o, field);
      o += 4;
    }
    for (let sent = 0; sent < length || sent === 0;) {
      if (sent > 0) {
        o = writeBasicHeader(out, o, 3, msg.csid);
        if (contExt) {
          view.setUint32(o, field);
          o += 4;
        }
      }
      const n = Math.min(this.#chunkSize, length - sent);
      out.set(msg.body.subarray(sent, sent + n), o);
      o += n;
      sent += n;
      if (length === 0) break;
    }
    const tsField = fmt === 3 ? prev!.tsField : field;
    this.#state.set(msg.csid, {
      streamId: msg.streamId,
      timestamp: ts,
      length,
      type: msg.type,
      tsField,
    });
    return out;
  }

  #pickFormat(msg: OutgoingMessage, prev: CsidState | undefined): 0 | 1 | 2 | 3 {
    if (prev === undefined || prev.streamId !== msg.streamId) return 0;
    const delta = ((msg.timestamp >>> 0) - prev.timestamp) >>> 0;
    let fmt: 0 | 1 | 2 | 3;
    if (prev.length !== msg.body.length || prev.type !== msg.type) fmt = 1;
    else if (delta !== prev.tsField) fmt = 2;
    else fmt = 3;
    if (this.#force !== undefined && this.#force < fmt) fmt = this.#force;
    // A type-3 new message repeats the previous field; only valid when it yields this timestamp.
    if (fmt === 3 && ((prev.timestamp + prev.tsField) >>> 0) !== (msg.timestamp >>> 0)) fmt = 2;
    return fmt;
  }
}

/** Bytes the basic header for `csid` takes: 1, 2 or 3. */
export function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/** Writes a basic header at `o`; returns the offset after it. */
export function writeBasicHeader(out: Uint8Array, o: number, fmt: number, csid: number): number {
  if (csid < 64) {
    out[o] = (fmt << 6) | csid;
    return o + 1;
  }
  if (csid < 320) {
    out[o] = fmt << 6;
    out[o + 1] = csid - 64;
    return o + 2;
  }
  out[o] = (fmt << 6) | 1;
  out[o + 1] = (csid - 64) & 0xff;
  out[o + 2] = (csid - 64) >>> 8;
  return o + 3;
}
