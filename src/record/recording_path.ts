/**
 * Recording file names: `<dir>/<app>/<stream>-<UTC yyyymmddThhmmssZ>.flv`, with a
 * `-1`, `-2`… suffix when the name is taken, and the checks that keep client-chosen
 * names inside the record directory.
 * @module
 */

import { isAbsolute, join, relative, resolve, sep } from "node:path";

/** Most `-N` suffixes tried before giving up. */
export const MAX_NAME_SUFFIX = 1000;

/** Where and when a recording starts. */
export interface RecordingPathOptions {
  /** The record directory. */
  readonly dir: string;
  /** App name, already accepted by {@linkcode validateName}. */
  readonly app: string;
  /** Stream name without its query string, already accepted by {@linkcode validateName}. */
  readonly stream: string;
  /** Start time; formatted in UTC. */
  readonly startedAt: Date;
  /** Whether a path is taken (default {@linkcode fileExists}). */
  readonly exists?: (path: string) => boolean;
}

const NAME = /^[A-Za-z0-9._-]{1,256}$/;

/**
 * The first free recording path for a stream. Throws `RangeError` for a name
 * {@linkcode validateName} refuses or a path outside `dir`, and
 * `Deno.errors.AlreadyExists` when {@linkcode MAX_NAME_SUFFIX} suffixes are taken.
 *
 * @example
 * ```ts
 * import { recordingPath } from "./recording_path.ts";
 * const path = recordingPath({
 *   dir: "recordings",
 *   app: "live",
 *   stream: "test",
 *   startedAt: new Date(Date.UTC(2026, 10, 24, 13, 5, 1)),
 *   exists: (p) => p.endsWith("Z.flv"),
 * });
 * console.assert(path.endsWith("test-20261124T130501Z-1.flv"));
 * ```
 */
export function recordingPath(options: RecordingPathOptions): string {
  const { dir, app, stream, startedAt, exists = fileExists } = options;
  for (const [what, name] of [["App", app], ["Stream", stream]] as const) {
    if (validateName(name) === null) {
      throw new RangeError(`${what} name refused: ${JSON.stringify(name.slice(0, 64))}`);
    }
  }
  const base = `${fileStem(stream)}-${formatUtc(startedAt)}`;
  for (let n = 0; n <= MAX_NAME_SUFFIX; n++) {
    const path = join(dir, fileStem(app), n === 0 ? `${base}.flv` : `${base}-${n}.flv`);
    if (!isInside(dir, path)) {
      throw new RangeError(`Recording path ${path} is outside ${dir}`);
    }
    if (!exists(path)) return path;
  }
  throw new Deno.errors.AlreadyExists(
    `Recording names ${base}.flv to ${base}-${MAX_NAME_SUFFIX}.flv are all taken`,
  );
}

/** Longest file name most file systems take (bytes). */
const MAX_FILE_NAME = 255;
/** What the name adds after the stream: `-yyyymmddThhmmssZ-1000.flv.part`. */
const NAME_TAIL = 31;

/**
 * The stream name as it may stand in a file name: names too long for a 255-byte file name
 * keep their start and get `_` plus 8 hex digits of a hash of the whole name.
 *
 * @example
 * ```ts
 * import { fileStem } from "./recording_path.ts";
 * console.assert(fileStem("cam") === "cam");
 * console.assert(fileStem("x".repeat(256)).length === 224);
 * ```
 */
export function fileStem(stream: string): string {
  const room = MAX_FILE_NAME - NAME_TAIL;
  if (stream.length <= room) return stream;
  let h = 0x811c9dc5; // FNV-1a, enough to keep two long names apart
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193);
  return `${stream.slice(0, room - 9)}_${(h >>> 0).toString(16).padStart(8, "0")}`;
}

/**
 * Returns `name` if it may be an app or stream name (1..256 characters from
 * `[A-Za-z0-9._-]`, not `.` or `..`), else null. Strip a query string first.
 *
 * @example
 * ```ts
 * import { validateName } from "./recording_path.ts";
 * console.assert(validateName("cam-1") === "cam-1");
 * console.assert(validateName("../etc") === null);
 * ```
 */
export function validateName(name: unknown): string | null {
  if (typeof name !== "string" || !NAME.test(name) || name === "." || name === "..") return null;
  return name;
}

/**
 * Whether `path`, resolved, lies strictly inside `dir`, resolved. The check is on
 * the text of the paths; symbolic links are not followed.
 *
 * @example
 * ```ts
 * import { isInside } from "./recording_path.ts";
 * console.assert(isInside("rec", "rec/live/a.flv"));
 * console.assert(!isInside("rec", "rec/../a.flv"));
 * ```
 */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Formats a date as UTC `yyyymmddThhmmssZ`.
 *
 * @example
 * ```ts
 * import { formatUtc } from "./recording_path.ts";
 * console.assert(formatUtc(new Date(Date.UTC(2026, 10, 24, 13, 5, 1))) === "20261124T130501Z");
 * ```
 */
export function formatUtc(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError("Recording start time is an invalid Date");
  return date.toISOString().slice(0, 19).replace(/[-:]/g, "") + "Z";
}

/** Whether anything (file, directory, link) exists at `path`. */
export function fileExists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
