/**
 * Startup repair of recordings a crash left as `.flv.part`: truncate to the last whole tag,
 * patch duration and filesize, and rename into place.
 * @module
 */

import { join } from "node:path";
import { FLV_HEADER_SIZE, FLV_PREVIOUS_TAG_SIZE, FLV_TAG_HEADER_SIZE, FlvTagType } from "./flv.ts";
import { float64, numberOffset } from "./flv_writer.ts";
import { PART_SUFFIX } from "./recording.ts";

/** What repairing one file did. */
export interface RepairResult {
  /** The `.part` file found. */
  readonly part: string;
  /** Where it was renamed to. */
  readonly path: string;
  /** Whole tags kept. */
  readonly tags: number;
  /** Bytes cut from the end (a torn last tag). */
  readonly truncatedBytes: number;
  readonly durationMs: number;
}

/** A `.part` file that could not be repaired, and why. */
export interface RepairFailure {
  readonly part: string;
  readonly error: unknown;
}

/**
 * Repairs every `*.flv.part` under `dir` (recursively); returns what it did. A file that
 * cannot be repaired is reported in `failed` and left as it is; the others go on.
 */
export function repairRecordings(
  dir: string,
): { repaired: RepairResult[]; failed: RepairFailure[] } {
  const repaired: RepairResult[] = [];
  const failed: RepairFailure[] = [];
  for (const part of findParts(dir)) {
    try {
      repaired.push(repairPart(part));
    } catch (error) {
      failed.push({ part, error });
    }
  }
  return { repaired, failed };
}

function findParts(dir: string): string[] {
  const found: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return found;
    throw e;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) found.push(...findParts(p));
    else if (e.isFile && e.name.endsWith(".flv" + PART_SUFFIX)) found.push(p);
  }
  return found;
}

/** Walks the tags of one `.part` file reading only headers, then truncates, patches, renames. */
export function repairPart(part: string): RepairResult {
  using file = Deno.openSync(part, { read: true, write: true });
  const size = file.statSync().size;
  const header = new Uint8Array(FLV_TAG_HEADER_SIZE);
  let end = FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE;
  let tags = 0;
  let lastTs = 0;
  let meta: { at: number; size: number } | null = null;
  if (size < end || !readAt(file, 0, header.subarray(0, 3)) || !isFlv(header)) end = 0;
  while (end > 0 && end + FLV_TAG_HEADER_SIZE <= size) {
    if (!readAt(file, end, header)) break;
    const type = header[0]! & 0x1f;
    const bodySize = (header[1]! << 16) | (header[2]! << 8) | header[3]!;
    const ts = ((header[7]! << 24) | (header[4]! << 16) | (header[5]! << 8) | header[6]!) >>> 0;
    const next = end + FLV_TAG_HEADER_SIZE + bodySize + FLV_PREVIOUS_TAG_SIZE;
    if (next > size || !(type === 8 || type === 9 || type === 18)) break;
    if (type === FlvTagType.Script && meta === null) {
      meta = { at: end + FLV_TAG_HEADER_SIZE, size: bodySize };
    } else if (type !== FlvTagType.Script) {
      lastTs = Math.max(lastTs, ts);
    }
    tags++;
    end = next;
  }
  const keep = end;
  file.truncateSync(keep);
  if (meta !== null && meta.size < 1 << 20) {
    const body = new Uint8Array(meta.size);
    if (readAt(file, meta.at, body)) {
      patchNumber(file, body, meta.at, "duration", lastTs / 1000);
      patchNumber(file, body, meta.at, "filesize", keep);
    }
  }
  file.syncDataSync();
  const path = freePath(part.slice(0, -PART_SUFFIX.length));
  Deno.renameSync(part, path);
  return { part, path, tags, truncatedBytes: size - keep, durationMs: lastTs };
}

function isFlv(b: Uint8Array): boolean {
  return b[0] === 0x46 && b[1] === 0x4c && b[2] === 0x56; // "FLV"
}

function readAt(file: Deno.FsFile, offset: number, into: Uint8Array): boolean {
  file.seekSync(offset, Deno.SeekMode.Start);
  let have = 0;
  while (have < into.length) {
    const n = file.readSync(into.subarray(have));
    if (n === null || n === 0) return false;
    have += n;
  }
  return true;
}

function patchNumber(
  file: Deno.FsFile,
  body: Uint8Array,
  bodyAt: number,
  key: string,
  value: number,
): void {
  let at: number;
  try {
    at = numberOffset(body, key);
  } catch {
    return; // metadata without that field: nothing to patch
  }
  file.seekSync(bodyAt + at, Deno.SeekMode.Start);
  file.writeSync(float64(value));
}

function freePath(path: string): string {
  const exists = (p: string) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  };
  if (!exists(path)) return path;
  for (let n = 1;; n++) {
    const p = path.replace(/\.flv$/, `-recovered-${n}.flv`);
    if (!exists(p)) return p;
  }
}
