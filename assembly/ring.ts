// The input ring: socket reads land here, straight from conn.read() into linear memory.
//
//   RING   [ .... consumed .... | unparsed | free ............................ ]
//          0                  readAt     writeAt                          RING_SIZE
//
// Chunk payload is copied out as soon as it arrives, so the unparsed part is never more
// than one incomplete chunk header (at most 18 bytes). The wrap therefore moves at most
// those few bytes to the front instead of splitting a header across the end. It does so
// before every read, so reads land at the front and the pages past the largest read are
// never touched (a thousand quiet sessions then cost a few KiB of ring each, not 64).

import { RING, RING_SIZE } from "./layout";

export { RING, RING_SIZE };

/**
 * Below this much free space at the end, the ring wraps before the next read. This test and
 * the next are the JS parser's too (src/parser/read_window.ts, checked when the core loads).
 */
export const MIN_FREE: u32 = 16 * 1024;
/** Unparsed bytes that always move to the front before a read (a header is at most 18). */
export const SMALL_TAIL: u32 = 64;

/** Offset of the first unparsed byte. */
export let readAt: u32 = 0;
/** Offset one past the last received byte. */
export let writeAt: u32 = 0;

/** Marks `n` bytes as consumed by the parser. */
@inline
export function consume(n: u32): void {
  readAt += n;
}

/** Moves `readAt` to an absolute position. */
@inline
export function seek(pos: u32): void {
  readAt = pos;
}

/**
 * Moves the unparsed bytes to the front of the ring; returns the offset where the next read
 * lands. Between drains they are at most one incomplete header, so every read lands near the
 * front and a session touches only the ring pages its largest read needs.
 */
export function prepareWrite(): u32 {
  if (readAt == writeAt) {
    readAt = 0;
    writeAt = 0;
  } else if (readAt > 0 && (writeAt - readAt <= SMALL_TAIL || RING_SIZE - writeAt < MIN_FREE)) {
    const n = writeAt - readAt;
    memory.copy(RING, RING + readAt, n);
    readAt = 0;
    writeAt = n;
  }
  return writeAt;
}

/** Marks `n` bytes after `writeAt` as received; returns false when they do not fit. */
export function commitWrite(n: u32): bool {
  if (n > RING_SIZE - writeAt) return false;
  writeAt += n;
  return true;
}

/** Empties the ring. */
export function resetRing(): void {
  readAt = 0;
  writeAt = 0;
}
