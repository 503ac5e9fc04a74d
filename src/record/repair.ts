/**
 * Startup repair of recordings: `.flv.part` files a crash left behind are cut to their
 * last whole tag, patched and renamed into place; `.flv` files whose last tag is torn (a
 * crash between rename and sync, a full disk, an older version) are cut and patched in
 * place. A `.flv` that walks cleanly to its end is only read, never opened for writing.
 * @module
 */

import { join } from "node:path";
import { type FlvWalk, truncateAndPatchSync, walkFlvSync } from "./flv_walk.ts";
import { PART_SUFFIX } from "./recording.ts";

/** Which kind of file a repair found: a `.flv.part` left by a crash, or a torn `.flv`. */
export type RepairKind = "part" | "flv";

/** What repairing one file did. */
export interface RepairResult {
  readonly kind: RepairKind;
  /** The file found (`.flv.part` or `.flv`). */
  readonly found: string;
  /** Where the repaired recording is now (a `.part` is renamed; a `.flv` stays). */
  readonly path: string;
  /** Whole tags kept. */
  readonly tags: number;
  /** Bytes cut from the end (a torn last tag). */
  readonly truncatedBytes: number;
  /** Largest audio/video timestamp kept, now the metadata's duration. */
  readonly durationMs: number;
  /** Why the tag walk stopped short, or null (a `.part` that was whole). */
  readonly reason: string | null;
}

/** A file that could not be repaired, and why; it is left as it is. */
export interface RepairFailure {
  readonly kind: RepairKind;
  readonly found: string;
  readonly error: unknown;
}

/** What {@linkcode repairRecordings} did. */
export interface RepairReport {
  readonly repaired: RepairResult[];
  readonly failed: RepairFailure[];
}

/**
 * Repairs every `*.flv.part` and every torn `*.flv` under `dir` (recursively); returns
 * what it did. A file that cannot be repaired is reported in `failed` and left as it is;
 * the others go on. A missing `dir` has nothing to repair.
 */
export function repairRecordings(dir: string): RepairReport {
  const repaired: RepairResult[] = [];
  const failed: RepairFailure[] = [];
  const found = { part: [] as string[], flv: [] as string[] };
  findRecordings(dir, found);
  const attempt = (kind: RepairKind, path: string, repair: (p: string) => RepairResult | null) => {
    try {
      const r = repair(path);
      if (r !== null) repaired.push(r);
    } catch (error) {
      failed.push({ kind, found: path, error });
    }
  };
  for (const part of found.part) attempt("part", part, repairPart);
  for (const flv of found.flv) attempt("flv", flv, repairFlv);
  return { repaired, failed };
}

function findRecordings(dir: string, found: { part: string[]; flv: string[] }): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) findRecordings(p, found);
    else if (!e.isFile) continue;
    else if (e.name.endsWith(".flv" + PART_SUFFIX)) found.part.push(p);
    else if (e.name.endsWith(".flv")) found.flv.push(p);
  }
}

/** Cuts a `.part` file to its last whole tag, patches it, and renames it to a free `.flv`. */
export function repairPart(part: string): RepairResult {
  using file = Deno.openSync(part, { read: true, write: true });
  const walk = walkFlvSync(file);
  // A .part is ours: one without even a whole header is cut to nothing, as before.
  truncateAndPatchSync(file, walk);
  const path = freePath(part.slice(0, -PART_SUFFIX.length));
  Deno.renameSync(part, path);
  return repaired("part", part, path, walk);
}

/**
 * Walks a `.flv` file's tag headers; if they do not reach its end exactly, cuts it to the
 * last whole tag and patches duration and filesize in place. Returns null for a file that
 * walks cleanly (it is not opened for writing); throws for one that is not FLV at all.
 */
export function repairFlv(path: string): RepairResult | null {
  const walk = walkFlvSync(path);
  if (walk.stop === null) return null;
  if (!walk.header) throw new Error(`Not an FLV file (${walk.size} bytes): ${walk.stop}`);
  using file = Deno.openSync(path, { read: true, write: true });
  const now = file.statSync().size;
  if (now !== walk.size) {
    throw new Error(`File changed while walked: ${walk.size} bytes then, ${now} now`);
  }
  truncateAndPatchSync(file, walk);
  return repaired("flv", path, path, walk);
}

/** What repairing `found` into `path` did, from its tag walk. */
function repaired(kind: RepairKind, found: string, path: string, walk: FlvWalk): RepairResult {
  return {
    kind,
    found,
    path,
    tags: walk.tags,
    truncatedBytes: walk.size - walk.end,
    durationMs: walk.lastTimestampMs,
    reason: walk.stop,
  };
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
