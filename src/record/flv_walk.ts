/**
 * Walking an FLV file's tag structure from disk, reading tag headers and trailers only,
 * to find where its whole tags end; and cutting a file back to that point with its
 * onMetaData duration and filesize patched to what is really there. Startup repair uses
 * both; so can a recording that failed mid-write.
 *
 * ```
 * FLV header (9+)  PreviousTagSize0 (4)  [ tag header (11)  body  PreviousTagSize (4) ]*
 *                                          type, body size, timestamp    = 11 + body size
 * ```
 * @module
 */

import { FLV_HEADER_SIZE, FLV_PREVIOUS_TAG_SIZE, FLV_TAG_HEADER_SIZE, FlvTagType } from "./flv.ts";
import { float64, numberOffset } from "./flv_writer.ts";

/** Where the first onMetaData body lies in the file. */
export interface FlvMetaSpan {
  /** Offset of the script tag's body. */
  readonly at: number;
  /** Body size in bytes. */
  readonly size: number;
}

/** What walking a file's tags found. */
export interface FlvWalk {
  /** The file's size when walked. */
  readonly size: number;
  /** Whether it starts with a valid FLV header. */
  readonly header: boolean;
  /** Offset just after the last whole tag (after the header alone: 13; no header: 0). */
  readonly end: number;
  /** Whole tags found. */
  readonly tags: number;
  /** Largest audio/video timestamp among the whole tags. */
  readonly lastTimestampMs: number;
  /** The first script tag's body, or null if there is none. */
  readonly meta: FlvMetaSpan | null;
  /** Why the walk stopped before `size`, or null when it reached the end exactly. */
  readonly stop: string | null;
}

/** A byte range the walk wants to see next. */
interface ReadRequest {
  readonly at: number;
  readonly length: number;
}

/** Bytes read per disk read: a page, so small tags cost one read for many headers. */
const WINDOW_SIZE = 4096;
/** Largest onMetaData body that gets patched. */
const MAX_META_SIZE = 1 << 20;

/**
 * Walks an FLV file's tags reading only headers and trailers. A tag counts when its type
 * is audio, video or script, its body ends inside the file and its PreviousTagSize is
 * 11 + body size; the walk stops at the first tag that fails one of these.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFlvHeader, encodeFlvTag } from "./flv.ts";
 * import { walkFlvSync } from "./flv_walk.ts";
 *
 * const tag = encodeFlvTag({ type: 9, timestamp: 40, body: new Uint8Array(5) });
 * const path = Deno.makeTempFileSync();
 * Deno.writeFileSync(path, new Uint8Array([...encodeFlvHeader({ audio: false, video: true }), ...tag, 9]));
 * const walk = walkFlvSync(path);
 * assert.deepEqual([walk.tags, walk.end, walk.size, walk.lastTimestampMs], [1, 33, 34, 40]);
 * Deno.removeSync(path);
 * ```
 */
export function walkFlvSync(file: Deno.FsFile | string): FlvWalk {
  if (typeof file === "string") {
    using f = Deno.openSync(file, { read: true });
    return walkFlvSync(f);
  }
  const size = file.statSync().size;
  const window = new ReadWindow();
  const steps = walkSteps(size);
  let step = steps.next(null);
  while (!step.done) {
    const r = step.value;
    if (window.get(r) === null) window.fill(r.at, readAtSync(file, r.at, window.space(size, r)));
    step = steps.next(window.get(r));
  }
  return step.value;
}

/** {@linkcode walkFlvSync} with asynchronous reads. */
export async function walkFlv(file: Deno.FsFile | string): Promise<FlvWalk> {
  if (typeof file === "string") {
    using f = await Deno.open(file, { read: true });
    return await walkFlv(f);
  }
  const size = (await file.stat()).size;
  const window = new ReadWindow();
  const steps = walkSteps(size);
  let step = steps.next(null);
  while (!step.done) {
    const r = step.value;
    if (window.get(r) === null) window.fill(r.at, await readAt(file, r.at, window.space(size, r)));
    step = steps.next(window.get(r));
  }
  return step.value;
}

/**
 * Cuts a file to `walk.end`, patches its onMetaData `duration` (s) and `filesize` to what
 * the walk found, and syncs it to disk. Metadata without those numbers is left alone.
 */
export function truncateAndPatchSync(file: Deno.FsFile | string, walk: FlvWalk): void {
  if (typeof file === "string") {
    using f = Deno.openSync(file, { read: true, write: true });
    return truncateAndPatchSync(f, walk);
  }
  file.truncateSync(walk.end);
  const span = patchableMeta(walk);
  if (span !== null) {
    const body = new Uint8Array(span.size);
    if (readAtSync(file, span.at, body) === body.length) {
      for (const p of metaPatches(body, walk)) {
        file.seekSync(span.at + p.at, Deno.SeekMode.Start);
        writeAllSync(file, p.bytes);
      }
    }
  }
  file.syncDataSync();
}

/** {@linkcode truncateAndPatchSync} with asynchronous I/O. */
export async function truncateAndPatch(file: Deno.FsFile | string, walk: FlvWalk): Promise<void> {
  if (typeof file === "string") {
    using f = await Deno.open(file, { read: true, write: true });
    return await truncateAndPatch(f, walk);
  }
  await file.truncate(walk.end);
  const span = patchableMeta(walk);
  if (span !== null) {
    const body = new Uint8Array(span.size);
    if (await readAt(file, span.at, body) === body.length) {
      for (const p of metaPatches(body, walk)) {
        await file.seek(span.at + p.at, Deno.SeekMode.Start);
        for (let done = 0; done < p.bytes.length;) {
          done += await file.write(p.bytes.subarray(done));
        }
      }
    }
  }
  await file.syncData();
}

/** The walk itself, as a coroutine: yields the ranges it needs, gets them (or null at EOF). */
function* walkSteps(size: number): Generator<ReadRequest, FlvWalk, Uint8Array | null> {
  const result = { size, header: false, end: 0, tags: 0, lastTimestampMs: 0, meta: null };
  const done = (w: Partial<FlvWalk>, stop: string | null): FlvWalk => ({
    ...result,
    ...w,
    stop,
  });
  const h = size >= FLV_HEADER_SIZE ? yield { at: 0, length: FLV_HEADER_SIZE } : null;
  const dataOffset = h === null ? 0 : u32(h, 5);
  if (h === null || h[0] !== 0x46 || h[1] !== 0x4c || h[2] !== 0x56 || h[3] !== 1) {
    return done({}, size === 0 ? null : "No FLV header");
  }
  let pos = dataOffset + FLV_PREVIOUS_TAG_SIZE;
  if (dataOffset < FLV_HEADER_SIZE || pos > size) return done({}, "Bad FLV header data offset");
  let tags = 0;
  let lastTimestampMs = 0;
  let meta: FlvMetaSpan | null = null;
  const at = (stop: string | null) =>
    done({ header: true, end: pos, tags, lastTimestampMs, meta }, stop);
  while (pos < size) {
    if (pos + FLV_TAG_HEADER_SIZE > size) return at(`Tag header at ${pos} cut short`);
    const t = yield { at: pos, length: FLV_TAG_HEADER_SIZE };
    if (t === null) return at(`File shrank while walking, at ${pos}`);
    const type = t[0]! & 0x1f;
    const bodySize = u32(t, 0) & 0xffffff;
    const next = pos + FLV_TAG_HEADER_SIZE + bodySize + FLV_PREVIOUS_TAG_SIZE;
    if (type !== FlvTagType.Audio && type !== FlvTagType.Video && type !== FlvTagType.Script) {
      return at(`Tag at ${pos} has unknown type ${type}`);
    }
    if (next > size) return at(`Tag at ${pos} of ${bodySize} bytes runs past the end`);
    const tail = yield { at: next - FLV_PREVIOUS_TAG_SIZE, length: FLV_PREVIOUS_TAG_SIZE };
    if (tail === null) return at(`File shrank while walking, at ${next}`);
    const trailer = u32(tail, 0);
    if (trailer !== FLV_TAG_HEADER_SIZE + bodySize) {
      return at(
        `Tag at ${pos} has PreviousTagSize ${trailer}, not ${FLV_TAG_HEADER_SIZE + bodySize}`,
      );
    }
    if (type === FlvTagType.Script) {
      meta ??= { at: pos + FLV_TAG_HEADER_SIZE, size: bodySize };
    } else {
      lastTimestampMs = Math.max(lastTimestampMs, ((u32(t, 4) >>> 8) | (t[7]! << 24)) >>> 0);
    }
    tags++;
    pos = next;
  }
  return at(null);
}

/** The metadata span when it lies whole inside the kept bytes and is small enough to patch. */
function patchableMeta(walk: FlvWalk): FlvMetaSpan | null {
  const m = walk.meta;
  return m !== null && m.size <= MAX_META_SIZE && m.at + m.size <= walk.end ? m : null;
}

/** The duration and filesize numbers to write into an onMetaData body, by body offset. */
function metaPatches(body: Uint8Array, walk: FlvWalk): { at: number; bytes: Uint8Array }[] {
  const out = [];
  const values = new Map([["duration", walk.lastTimestampMs / 1000], ["filesize", walk.end]]);
  for (const [key, value] of values) {
    try {
      out.push({ at: numberOffset(body, key), bytes: float64(value) });
    } catch { /* metadata without that number: nothing to patch */ }
  }
  return out;
}

/** The last bytes read from the file, so headers close together cost one read. */
class ReadWindow {
  #buf = new Uint8Array(WINDOW_SIZE);
  #at = 0;
  #length = 0;

  /** The requested bytes if the window holds them, else null. */
  get(r: ReadRequest): Uint8Array | null {
    const from = r.at - this.#at;
    if (from < 0 || from + r.length > this.#length) return null;
    return this.#buf.subarray(from, from + r.length);
  }

  /** Where to read the window for `r`: as much of a page from `r.at` as the file has. */
  space(size: number, r: ReadRequest): Uint8Array {
    return this.#buf.subarray(0, Math.max(r.length, Math.min(WINDOW_SIZE, size - r.at)));
  }

  /** Notes that `length` bytes from `at` are now in the window. */
  fill(at: number, length: number): void {
    this.#at = at;
    this.#length = length;
  }
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Reads into `into` from `offset` until it is full or the file ends; returns bytes read. */
function readAtSync(file: Deno.FsFile, offset: number, into: Uint8Array): number {
  file.seekSync(offset, Deno.SeekMode.Start);
  let have = 0;
  while (have < into.length) {
    const n = file.readSync(into.subarray(have));
    if (n === null || n === 0) break;
    have += n;
  }
  return have;
}

async function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): Promise<number> {
  await file.seek(offset, Deno.SeekMode.Start);
  let have = 0;
  while (have < into.length) {
    const n = await file.read(into.subarray(have));
    if (n === null || n === 0) break;
    have += n;
  }
  return have;
}

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}
