/**
 * One publish's recording: an FLV file written as `<name>.flv.part` and renamed when the
 * publish ends, plus (for `--pipe`) the same FLV on stdout.
 * @module
 */

import type { AmfEcmaArray, AmfObject } from "../rtmp/amf_value.ts";
import { openFlvFile, pipeOutput, type SyncWriter } from "./flv_output.ts";
import { FlvWriter } from "./flv_writer.ts";
import { fileExists, isInside, recordingPath } from "./recording_path.ts";

/** Suffix of a recording still being written. */
export const PART_SUFFIX = ".part";

/** What a finished recording came to. */
export interface RecordingResult {
  /** Final path of the file, or null when only piped. */
  readonly path: string | null;
  readonly bytes: number;
  readonly durationMs: number;
}

/** Writes one publish to its file and/or the pipe. */
export class Recording {
  /** Final path of the file (where it lands when the publish ends), or null. */
  readonly path: string | null;
  #file: FlvWriter | null;
  #pipe: FlvWriter | null;
  #fileOut: ReturnType<typeof openFlvFile> | null;
  #result: RecordingResult | null = null;

  #onPipeError: (error: unknown) => void;

  /** Use {@linkcode RecordingFactory.open}. */
  constructor(
    path: string | null,
    pipe: SyncWriter | null,
    onPipeError: (error: unknown) => void = () => {},
  ) {
    this.#onPipeError = onPipeError;
    this.path = path;
    const flags = { hasAudio: true, hasVideo: true };
    this.#fileOut = path === null ? null : openFlvFile(path + PART_SUFFIX);
    try {
      this.#file = this.#fileOut === null ? null : new FlvWriter(this.#fileOut, flags);
    } catch (e) {
      // Could not even write the header: leave no open file and no .part behind.
      this.#fileOut?.close();
      if (path !== null) Deno.removeSync(path + PART_SUFFIX);
      throw e;
    }
    this.#pipe = null;
    if (pipe !== null) {
      try {
        this.#pipe = new FlvWriter(pipeOutput(pipe), flags);
      } catch (e) {
        onPipeError(e); // a reader already gone costs the pipe, not the recording
      }
    }
  }

  /** Bytes written to the file so far (or to the pipe when there is no file). */
  get bytes(): number {
    return this.#fileOut?.bytesWritten ?? 0;
  }

  /** Writes the client's onMetaData (only the first one lands). */
  writeMetadata(meta: AmfObject | AmfEcmaArray): void {
    this.#file?.writeMetadata(meta);
    this.#toPipe((w) => w.writeMetadata(meta));
  }

  /** Writes one audio message body. */
  writeAudio(timestamp: number, body: Uint8Array): void {
    this.#file?.writeAudio(timestamp, body);
    this.#toPipe((w) => w.writeAudio(timestamp, body));
  }

  /** Writes one video message body. */
  writeVideo(timestamp: number, body: Uint8Array): void {
    this.#file?.writeVideo(timestamp, body);
    this.#toPipe((w) => w.writeVideo(timestamp, body));
  }

  /** Writes to the pipe; a reader that went away (ffplay closed) stops the pipe, not the publish. */
  #toPipe(write: (w: FlvWriter) => void): void {
    if (this.#pipe === null) return;
    try {
      write(this.#pipe);
    } catch (e) {
      this.#pipe = null;
      this.#onPipeError(e);
    }
  }

  /** Writes buffered tags to the `.part` file and syncs it to disk. */
  sync(): void {
    if (this.#result === null) this.#fileOut?.sync?.();
  }

  /** Patches duration and size, closes, and renames the `.part` file into place. Idempotent. */
  close(): RecordingResult {
    if (this.#result) return this.#result;
    let bytes = 0;
    let durationMs = 0;
    try {
      if (this.#file) ({ bytes, durationMs } = this.#file.close());
    } finally {
      try {
        let piped;
        try {
          piped = this.#pipe?.close();
        } catch (e) {
          this.#onPipeError(e);
        }
        if (!this.#file && piped) ({ bytes, durationMs } = piped);
      } finally {
        if (this.path !== null) Deno.renameSync(this.path + PART_SUFFIX, this.path);
      }
    }
    this.#result = { path: this.path, bytes, durationMs };
    return this.#result;
  }
}

/** Options for {@linkcode RecordingFactory}. */
export interface RecordingFactoryOptions {
  /** Record dir, or null for no files. */
  readonly recordDir: string | null;
  /** Where the first publish's FLV goes as well (stdout for `--pipe`), or null. */
  readonly pipe: SyncWriter | null;
  /** Told once when writing to the pipe fails; the file recording goes on. */
  readonly onPipeError?: (error: unknown) => void;
}

/** Opens recordings by the server's policy: files under the record dir, the pipe once. */
export class RecordingFactory {
  #dir: string | null;
  #pipe: SyncWriter | null;
  #onPipeError: ((error: unknown) => void) | undefined;

  /** Creates a factory. */
  constructor(options: RecordingFactoryOptions) {
    this.#dir = options.recordDir;
    this.#pipe = options.pipe;
    this.#onPipeError = options.onPipeError;
  }

  /** Opens a recording for `app/stream`, or returns null when nothing is to be written. */
  open(opts: { app: string; stream: string; startedAt: Date }): Recording | null {
    const pipe = this.#pipe;
    this.#pipe = null;
    let path: string | null = null;
    if (this.#dir !== null) {
      const dir = this.#dir;
      path = recordingPath({
        dir,
        ...opts,
        exists: (p) => fileExists(p) || fileExists(p + PART_SUFFIX),
      });
      if (!isInside(dir, path)) throw new RangeError(`Recording path ${path} leaves ${dir}`);
    }
    if (path === null && pipe === null) return null;
    return new Recording(path, pipe, this.#onPipeError);
  }
}
