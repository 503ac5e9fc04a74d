// The RTMP chunk layer: headers, per-csid history, reassembly into message records.
//
// Linear memory (static regions from memory.data, then the arena up to the end). The parts a
// session uses (low csids, its first slots, the first records) share one page; the rest of each
// region is touched only by connections that need it:
//
//   CSID_LOW  64 x u8        slot number + 1 for chunk stream ids 0..63 (one-byte headers),
//                            0 = not seen yet
//   OUT       96 x 24 B      records, six u32 LE each (see "Records" below)
//   SLOTS     255 x 48 B     one per chunk stream: header history and reassembly state
//   CSID_MAP  65600 x u8     as CSID_LOW, for chunk stream ids from 64
//   RING      64 KiB         socket input (ring.ts)
//   ARENA     __heap_base .. memory end: bodies of messages up to SPILL_MIN bytes (and control
//             messages) spanning chunks, bump allocated, grown (memory.grow) only when
//             compacting cannot make room, up to maxPartial, reclaimed when a batch ends with no
//             message in progress (a batch ends early once ARENA_SOFT bytes are used), else
//             compacted once the dead bytes exceed SLACK and what compacting moves
//
// Records: type | csid | streamId | timestamp | body pointer | length. A message over SPILL_MIN
// bytes that spans chunks is not reassembled here (its pages would stay resident in every
// instance): each run of its chunks is handed out as a PIECE record (type PIECE, csid, offset in
// the message, declared length, pointer into the ring, bytes), and its completion as a record
// whose type has SPILLED set and whose body pointer is 0. The host copies the pieces into a
// buffer of its own (shared by all instances) before the ring is written again.
//
// A slot (48 B):
//   0 csid  4 streamId  8 timestamp  12 length  16 type  20 tsField  24 extended
//   28 received (i32, -1 = no message in progress)  32 bodyOff (arena offset)
//
// parse(n) first marks n more bytes of the ring as received (the host's read), then consumes
// all it can and returns the record count, with MORE set when it stopped early (records full,
// or the arena needs compacting) or FAILED when an error came after those records, or a
// negative error code. READY says it consumed every byte and put the next read at the ring's
// front, as prepareWrite() would (no bytes move, so the records' bodies stay valid): the host
// then reads again without another call into the core. The error's numbers are read with errorArg(i). Nothing traps on bad input and nothing is allocated.

import {
  CSID_LOW,
  CSID_MAP,
  MAX_CSID,
  MAX_SLOTS,
  OUT,
  OUT_CAP,
  RECORD_SIZE,
  SLOT_SIZE,
  SLOTS,
} from "./layout";
import { commitWrite, readAt, resetRing, RING, RING_SIZE, seek, writeAt } from "./ring";

/** Start of the records of the last parse(). */
export { OUT };

const EXTENDED: u32 = 0xffffff;
/**
 * Dead arena bytes (bodies of finished messages below the top) tolerated before parse()
 * compacts, at least; also at least the bytes compacting would move, so each byte copied is
 * paid for by a dead byte reclaimed. The arena a session touches is then about its largest
 * message in flight plus this, not a fixed window.
 */
const SLACK: u32 = 16 << 10;
/**
 * Arena bytes after which parse() returns (with MORE) once a message reassembled in the arena
 * completes and none is in progress, so the host takes the records and the next call reclaims
 * the arena. Without it one large read of many multi-chunk messages would touch as many arena
 * pages as the read is long. With SPILL_MIN, an instance's arena pages are about this plus one
 * message under SPILL_MIN (4 + 8 KiB; it was 8 + 16).
 */
const ARENA_SOFT: u32 = 4 << 10;
/**
 * Messages spanning chunks above this length (other than Set Chunk Size and Abort, whose bodies
 * the core reads) are spilled to the host piece by piece instead of reassembled in the arena:
 * key frames and the larger P-frames, which would keep that many arena pages resident in every
 * instance. Smaller ones stay here: each piece costs the host a call and a copy (about 0.1 us).
 * At 8 KiB (it was 16) a 1 Mbit/s publisher's instance holds 32 KiB instead of 40, for 5-8 %
 * of the parser's throughput on 720p FFmpeg input; at 4 KiB it was 28 KiB for 17-24 %.
 */
const SPILL_MIN: u32 = 8192;
/**
 * Nor below this chunk size: when chunk streams interleave, every chunk is a piece of its own,
 * and at 128-byte chunks the host's call per piece cost a sixth of the parser's throughput.
 */
const SPILL_CHUNK_MIN: u32 = 1024;
/** A slot's body offset while its message is spilled. */
const SPILLING: u32 = 0xffffffff;
/** Record type of a piece of a spilled message. */
export const PIECE: u32 = 0x100;
/** Set in a record's type when the message was spilled (its body is the host's). */
export const SPILLED: u32 = 0x200;
/** Set in parse()'s result when it stopped before the input was exhausted. */
export const MORE: i32 = 0x40000000;
/** Set in parse()'s result when an error follows the records it returns. */
export const FAILED: i32 = 0x20000000;
/** Set in parse()'s result when the ring is empty and the next read lands at its front. */
export const READY: i32 = 0x100;


/** Where the slot number of chunk stream `csid` is kept. */
@inline
function csidEntry(csid: u32): usize {
  return (csid < 64 ? CSID_LOW : CSID_MAP) + csid;
}

// Slot fields.
const S_CSID: usize = 0;
const S_STREAM: usize = 4;
const S_TS: usize = 8;
const S_LEN: usize = 12;
const S_TYPE: usize = 16;
const S_FIELD: usize = 20;
const S_EXT: usize = 24;
const S_RECV: usize = 28;
const S_BODY: usize = 32;

// Error codes, negated in parse()'s result (same numbers as src/parser/chunk_errors.ts).
const E_FRESH_NOT_TYPE0: i32 = 1;
const E_TOO_MANY_STREAMS: i32 = 2;
const E_HEADER_MID_MESSAGE: i32 = 3;
const E_MESSAGE_TOO_LONG: i32 = 4;
const E_PARTIAL_LIMIT: i32 = 5;
const E_BAD_CHUNK_SIZE: i32 = 6;
const E_SHORT_SET_CHUNK_SIZE: i32 = 7;
const E_SHORT_ABORT: i32 = 8;
const E_ARENA: i32 = 9;
const E_MEMORY: i32 = 10;
const E_COMMIT: i32 = 11;

let arenaBase: usize = 0;
let arenaSize: u32 = 0;
let arenaTop: u32 = 0;
let needCompact: bool = false;

let maxMessage: u32 = 8 << 20;
let maxSlots: u32 = 64;
let maxPartial: u32 = 8 << 20;

let chunkSize: u32 = 128;
let slotCount: u32 = 0;
let cur: usize = 0;
let chunkLeft: u32 = 0;
/** Declared bytes of the messages in progress (the maxPartial limit counts these). */
let partialBytes: u32 = 0;
let partialCount: u32 = 0;
/** The same, of those in progress in the arena (not spilled). */
let arenaBytes: u32 = 0;
let arenaCount: u32 = 0;
let outCount: u32 = 0;
let failed: i32 = 0;
let e0: u32 = 0;
let e1: u32 = 0;
let e2: u32 = 0;
let e3: u32 = 0;

@inline
function fail(code: i32, a: u32, b: u32, c: u32, d: u32): i32 {
  e0 = a;
  e1 = b;
  e2 = c;
  e3 = d;
  return -code;
}

/** Copies `n` bytes; small copies inline with 16-byte SIMD moves, big ones by memory.copy. */
@inline
function copy(dst: usize, src: usize, n: u32): void {
  if (n > 512) {
    memory.copy(dst, src, n);
    return;
  }
  let i: usize = 0;
  const end = <usize> n;
  for (; i + 16 <= end; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < end; i++) store<u8>(dst + i, load<u8>(src + i));
}

@inline
function be24(p: usize): u32 {
  return (<u32> load<u8>(p) << 16) | (<u32> load<u8>(p, 1) << 8) | <u32> load<u8>(p, 2);
}

@inline
function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/** Sets limits and clears all state; returns 0, or a negative code when memory is too small. */
export function configure(maxMessageSize: u32, maxChunkStreams: u32, maxPartialBytes: u32): i32 {
  maxMessage = maxMessageSize;
  maxSlots = min(maxChunkStreams, MAX_SLOTS);
  maxPartial = maxPartialBytes;
  arenaBase = (__heap_base + 15) & ~(<usize> 15);
  const end = <usize> memory.size() << 16;
  arenaSize = end > arenaBase ? <u32> (end - arenaBase) : 0;
  resetChunks();
  return end <= arenaBase ? -E_MEMORY : 0;
}

/**
 * Grows memory so the arena holds at least `need` bytes: to twice its size at least, at most
 * maxPartial and a page of slack (what it may ever need). Returns false when memory cannot grow.
 * The host sees the new memory.buffer after parse() returns and renews its views.
 */
function growArena(need: u64): bool {
  const cap = (<u64> maxPartial + 0x1ffff) & ~(<u64> 0xffff);
  let want = max<u64>(need, min<u64>(<u64> arenaSize << 1, cap));
  const end = <u64> memory.size() << 16;
  const pages = <i32> ((<u64> arenaBase + want - end + 0xffff) >> 16);
  if (pages > 0 && memory.grow(pages) < 0) return false;
  arenaSize = <u32> ((<u64> memory.size() << 16) - <u64> arenaBase);
  return true;
}

/** Forgets every chunk stream and message in progress. */
export function resetChunks(): void {
  for (let i: u32 = 0; i < slotCount; i++) {
    store<u8>(csidEntry(load<u32>(SLOTS + i * SLOT_SIZE + S_CSID)), 0);
  }
  slotCount = 0;
  chunkSize = 128;
  cur = 0;
  chunkLeft = 0;
  partialBytes = 0;
  partialCount = 0;
  arenaBytes = 0;
  arenaCount = 0;
  outCount = 0;
  arenaTop = 0;
  needCompact = false;
  failed = 0;
}

/** The chunk size in force. */
export function currentChunkSize(): u32 {
  return chunkSize;
}

/** Numbers describing the last error. */
export function errorArg(i: u32): u32 {
  return i == 0 ? e0 : i == 1 ? e1 : i == 2 ? e2 : e3;
}

/** Takes `n` more received bytes, parses what the ring holds; see the header comment for the result. */
export function parse(n: u32): i32 {
  if (failed != 0) return failed;
  if (!commitWrite(n)) return fail(E_COMMIT, n, RING_SIZE - writeAt, 0, 0);
  outCount = 0;
  if (arenaCount == 0) {
    arenaTop = 0;
  } else if (needCompact || (arenaTop - arenaBytes > SLACK && arenaTop - arenaBytes > received())) {
    // Also compact when the dead bytes outgrow both the slack and what would move, so the pages
    // a session touches follow its messages in flight, not its whole history.
    compact();
  }
  needCompact = false;
  const r = run();
  if (r >= 0) {
    if ((r & MORE) != 0 || readAt != writeAt) return r;
    resetRing();
    return r | READY;
  }
  failed = r;
  // Hand out the messages completed before the error first; the next call reports it.
  return outCount > 0 ? <i32> outCount | FAILED : r;
}

/** Bytes received so far of the messages in progress in the arena: what compact() would move. */
function received(): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < slotCount; i++) {
    const s = SLOTS + i * SLOT_SIZE;
    const r = load<i32>(s + S_RECV);
    if (r > 0 && load<u32>(s + S_BODY) != SPILLING) n += <u32> r;
  }
  return n;
}

/** Moves the bodies of messages in progress to the front of the arena, in offset order. */
function compact(): void {
  let dst: u32 = 0;
  let floor: u32 = 0;
  for (let k: u32 = 0; k < arenaCount; k++) {
    let best: usize = 0;
    let bestOff: u32 = 0xffffffff;
    for (let i: u32 = 0; i < slotCount; i++) {
      const s = SLOTS + i * SLOT_SIZE;
      if (load<i32>(s + S_RECV) < 0) continue;
      const off = load<u32>(s + S_BODY);
      if (off == SPILLING) continue;
      if (off >= floor && off < bestOff) {
        best = s;
        bestOff = off;
      }
    }
    if (best == 0) break;
    memory.copy(arenaBase + dst, arenaBase + bestOff, load<u32>(best + S_RECV));
    store<u32>(best + S_BODY, dst);
    floor = bestOff + 1;
    dst += load<u32>(best + S_LEN);
  }
  arenaTop = dst;
}

@inline
function emit(s: usize, body: usize): void {
  const r = OUT + outCount * RECORD_SIZE;
  store<u32>(r, load<u32>(s + S_TYPE));
  store<u32>(r, load<u32>(s + S_CSID), 4);
  store<u32>(r, load<u32>(s + S_STREAM), 8);
  store<u32>(r, load<u32>(s + S_TS), 12);
  store<u32>(r, <u32> body, 16);
  store<u32>(r, load<u32>(s + S_LEN), 20);
  outCount++;
}

/** Applies SetChunkSize and Abort where they complete; returns 0 or an error. */
function control(s: usize, body: usize): i32 {
  const type = load<u32>(s + S_TYPE);
  if (type == 1) {
    const len = load<u32>(s + S_LEN);
    if (len < 4) return fail(E_SHORT_SET_CHUNK_SIZE, load<u32>(s + S_CSID), len, 0, 0);
    const size = be32(body);
    if (size == 0 || size > 0x7fffffff) return fail(E_BAD_CHUNK_SIZE, size, 0, 0, 0);
    chunkSize = size;
  } else if (type == 2) {
    const len = load<u32>(s + S_LEN);
    if (len < 4) return fail(E_SHORT_ABORT, len, 0, 0, 0);
    const csid = be32(body);
    if (csid <= MAX_CSID) {
      const n = <u32> load<u8>(csidEntry(csid));
      if (n != 0) {
        const t = SLOTS + (n - 1) * SLOT_SIZE;
        if (load<i32>(t + S_RECV) >= 0) {
          // A spilled message's pieces are the host's to drop (it reads this Abort too).
          finish(t);
          store<i32>(t + S_RECV, -1);
        }
      }
    }
  }
  return 0;
}

/** Takes the message in progress in slot `s` off the partial counts. */
@inline
function finish(s: usize): void {
  const len = load<u32>(s + S_LEN);
  partialBytes -= len;
  partialCount--;
  if (load<u32>(s + S_BODY) != SPILLING) {
    arenaBytes -= len;
    arenaCount--;
  }
}

/**
 * Hands out the chunk at ring offset `p` of the spilled message in slot `s` as a PIECE record,
 * and the message as a SPILLED record when it completes. While the next chunk of the same
 * message follows at once (one-byte header), its payload is moved back over that header, so a
 * run of chunks is one piece: the host's per-piece cost does not grow as chunks get small.
 * Returns false when the records have no room for both (nothing consumed).
 */
function spillPiece(s: usize, p: u32): bool {
  if (outCount + 2 > OUT_CAP) return false;
  const len = load<u32>(s + S_LEN);
  const start = load<u32>(s + S_RECV);
  const csid = load<u32>(s + S_CSID);
  const next = csid < 64 && load<u32>(s + S_EXT) == 0 ? 0xc0 | csid : 0x100;
  const end = writeAt;
  let recv = start;
  let pos = p;
  let dst = p;
  let left = chunkLeft;
  for (;;) {
    const n = min(left, end - pos);
    // Backwards within consumed bytes of this message: nothing handed out points there.
    if (dst != pos) copy(RING + dst, RING + pos, n);
    recv += n;
    pos += n;
    dst += n;
    left -= n;
    if (left > 0 || recv == len || pos >= end || <u32> load<u8>(RING + pos) != next) break;
    pos++;
    left = min(chunkSize, len - recv);
  }
  const r = OUT + outCount * RECORD_SIZE;
  store<u32>(r, PIECE);
  store<u32>(r, csid, 4);
  store<u32>(r, start, 8);
  store<u32>(r, len, 12);
  store<u32>(r, <u32> (RING + p), 16);
  store<u32>(r, dst - p, 20);
  outCount++;
  seek(pos);
  chunkLeft = left;
  store<u32>(s + S_RECV, recv);
  if (recv == len) {
    finish(s);
    store<i32>(s + S_RECV, -1);
    emit(s, 0);
    store<u32>(OUT + (outCount - 1) * RECORD_SIZE, load<u32>(s + S_TYPE) | SPILLED);
  }
  return true;
}

function run(): i32 {
  for (;;) {
    const p = readAt;
    const avail = writeAt - p;
    if (chunkLeft > 0) {
      if (avail == 0) return <i32> outCount;
      const s = cur;
      if (load<u32>(s + S_BODY) == SPILLING) {
        if (!spillPiece(s, p) || outCount == OUT_CAP) return <i32> outCount | MORE;
        continue;
      }
      const len = load<u32>(s + S_LEN);
      const body = arenaBase + load<u32>(s + S_BODY);
      const end = writeAt;
      // The 1-byte type-3 header that continues this message, when it has that form.
      const csid = load<u32>(s + S_CSID);
      const next = csid < 64 && load<u32>(s + S_EXT) == 0 ? 0xc0 | csid : 0x100;
      let recv = load<u32>(s + S_RECV);
      let pos = p;
      let left = chunkLeft;
      // Copy this chunk, and while the next chunk of the same message follows at once, that
      // one too, in locals: the common case at small chunk sizes.
      for (;;) {
        const n = min(left, end - pos);
        copy(body + recv, RING + pos, n);
        recv += n;
        pos += n;
        left -= n;
        if (left > 0 || recv == len || pos >= end || <u32> load<u8>(RING + pos) != next) break;
        pos++;
        left = min(chunkSize, len - recv);
      }
      store<u32>(s + S_RECV, recv);
      seek(pos);
      chunkLeft = left;
      if (recv == len) {
        finish(s);
        store<i32>(s + S_RECV, -1);
        const c = control(s, body);
        if (c < 0) return c;
        emit(s, body);
        if (outCount == OUT_CAP || (arenaTop > ARENA_SOFT && arenaCount == 0)) {
          return <i32> outCount | MORE;
        }
      }
      continue;
    }
    if (avail == 0) return <i32> outCount;
    const h = RING + p;
    const b0 = <u32> load<u8>(h);
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let hlen: u32 = 1;
    if (csid == 0) {
      if (avail < 2) return <i32> outCount;
      csid = <u32> load<u8>(h, 1) + 64;
      hlen = 2;
    } else if (csid == 1) {
      if (avail < 3) return <i32> outCount;
      csid = (<u32> load<u8>(h, 1) | (<u32> load<u8>(h, 2) << 8)) + 64;
      hlen = 3;
    }
    let n = <u32> load<u8>(csidEntry(csid));
    if (fmt == 3 && n != 0) {
      // Fast path: the next chunk of a message in progress (most chunks at small sizes).
      const s = SLOTS + (n - 1) * SLOT_SIZE;
      const recv = load<i32>(s + S_RECV);
      if (recv >= 0) {
        let q = h + hlen;
        if (load<u32>(s + S_EXT) != 0) {
          if (avail < hlen + 4) return <i32> outCount;
          if (be32(q) == load<u32>(s + S_FIELD)) q += 4;
        }
        seek(<u32> (q - RING));
        cur = s;
        chunkLeft = min(chunkSize, load<u32>(s + S_LEN) - <u32> recv);
        continue;
      }
    }
    const mh: u32 = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
    if (avail < hlen + mh) return <i32> outCount;
    if (n == 0) {
      if (fmt != 0) return fail(E_FRESH_NOT_TYPE0, csid, fmt, 0, 0);
      if (slotCount >= maxSlots) return fail(E_TOO_MANY_STREAMS, csid, maxSlots, 0, 0);
      const t = SLOTS + slotCount * SLOT_SIZE;
      memory.fill(t, 0, SLOT_SIZE);
      store<u32>(t + S_CSID, csid);
      store<i32>(t + S_RECV, -1);
      slotCount++;
      n = slotCount;
      store<u8>(csidEntry(csid), <u8> n);
    }
    const s = SLOTS + (n - 1) * SLOT_SIZE;
    let q = h + hlen;
    const inProgress = load<i32>(s + S_RECV) >= 0;
    let ts = load<u32>(s + S_TS);
    let field = load<u32>(s + S_FIELD);
    let length = load<u32>(s + S_LEN);
    let type = load<u32>(s + S_TYPE);
    let streamId = load<u32>(s + S_STREAM);
    let ext = load<u32>(s + S_EXT) != 0;
    if (fmt == 3) {
      if (ext) {
        if (avail < hlen + 4) return <i32> outCount;
        if (be32(q) == field) q += 4;
      }
      if (!inProgress) ts += field;
    } else {
      if (inProgress) {
        return fail(E_HEADER_MID_MESSAGE, csid, fmt, length - load<u32>(s + S_RECV), 0);
      }
      field = be24(q);
      if (fmt <= 1) {
        length = be24(q + 3);
        type = <u32> load<u8>(q, 6);
      }
      ext = field == EXTENDED;
      if (ext) {
        if (avail < hlen + mh + 4) return <i32> outCount;
        field = be32(q + mh);
      }
      if (fmt == 0) {
        streamId = load<u32>(q, 7);
        ts = field;
      } else {
        ts += field;
      }
      q += mh + (ext ? 4 : 0);
    }
    const rest = <u32> (RING + writeAt - q);
    if (!inProgress) {
      if (length > maxMessage) return fail(E_MESSAGE_TOO_LONG, length, csid, maxMessage, 0);
      const whole = length <= chunkSize && length <= rest;
      const spill = !whole && length > SPILL_MIN && chunkSize >= SPILL_CHUNK_MIN && type != 1 &&
        type != 2;
      if (!whole) {
        if (partialBytes + length > maxPartial) {
          return fail(E_PARTIAL_LIMIT, length, csid, partialBytes + length, maxPartial);
        }
        if (!spill && <u64> arenaTop + length > arenaSize) {
          if (arenaTop > arenaBytes) {
            // Leave the header unread; the next parse() compacts first, which leaves exactly the
            // partial bytes in flight, and comes back here with no dead bytes.
            needCompact = true;
            return <i32> outCount | MORE;
          }
          // The arena starts small and grows on demand, up to what maxPartial needs.
          if (!growArena(<u64> arenaTop + length)) return fail(E_ARENA, length, 0, 0, 0);
        }
      }
      store<u32>(s + S_TS, ts);
      store<u32>(s + S_FIELD, field);
      store<u32>(s + S_LEN, length);
      store<u32>(s + S_TYPE, type);
      store<u32>(s + S_STREAM, streamId);
      store<u32>(s + S_EXT, ext ? 1 : 0);
      if (whole) {
        // The whole message is in this chunk and already received: point at the ring.
        seek(<u32> (q - RING) + length);
        const c = control(s, q);
        if (c < 0) return c;
        emit(s, q);
        if (outCount == OUT_CAP) return <i32> outCount | MORE;
        continue;
      }
      store<i32>(s + S_RECV, 0);
      partialBytes += length;
      partialCount++;
      if (spill) {
        store<u32>(s + S_BODY, SPILLING);
      } else {
        store<u32>(s + S_BODY, arenaTop);
        arenaTop += length;
        arenaBytes += length;
        arenaCount++;
      }
    }
    seek(<u32> (q - RING));
    cur = s;
    chunkLeft = min(chunkSize, length - load<u32>(s + S_RECV));
  }
  return <i32> outCount;
}
