/**
 * One publish's recording: an FLV file written as `<name>.flv.part` through a bounded,
 * asynchronous queue and renamed when the publish ends, plus (for `--pipe`) the same FLV
 * on stdout. A storage fault ends the recording only: it is cut back to its last whole tag
 * and the publish is told through `onFailed`.
 * @module
 */

import { type Clock, systemClock } from "../clock.ts";
import type { AmfEcmaArray, AmfObject } from "../rtmp/amf_value.ts";
import { BodyPool } from "../body_pool.ts";
import { FILE_BATCH_BYTES, type FileSink, openFileSink } from "./file_sink.ts";
import { FlvWriter } from "./flv_writer.ts";
import { SyncScheduler } from "./sync_scheduler.ts";
import { type PipeEnd, PipeSink, type PipeWriter } from "./pipe_sink.ts";
import { fileExists, isInside, recordingPath } from "./recording_path.ts";

/** Suffix of a recording still being written. */
export const PART_SUFFIX = ".part";

/** Where a recording stands. */
export type RecordingState = "recording" | "finalizing" | "done" | "failed";

/** What a finished recording came to. */
export interface RecordingResult {
  /**
   * Where the file is: the final path, the `.part` path when finalizing failed (the repair
   * on start takes it), or null when only piped or nothing was kept.
   */
  readonly path: string | null;
  /** Bytes of the file on disk (or piped, with no file). */
  readonly bytes: number;
  readonly durationMs: number;
  readonly state: "done" | "failed";
  /** Why the recording failed, or null. */
  readonly error: string | null;
}

/** Callbacks of one recording. */
export interface RecordingEvents {
  /** The file failed (storage error or a disk too slow); nothing more is written to it. */
  readonly onFailed?: (error: Error) => void;
}

/** What {@linkcode RecordingFactory} passes to each recording. */
interface RecordingSetup extends RecordingEvents {
  readonly path: string | null;
  readonly pipe: PipeSink | null;
  readonly maxQueuedBytes: number;
  /** The server's batch buffers. */
  readonly pool: BodyPool;
  /** The server's sync schedule, or null for no syncs before the file is finished. */
  readonly syncs: SyncScheduler | null;
  /** Told of the promise of each close, so shutdown can wait for finalizing. */
  readonly track: (closing: Promise<unknown>) => void;
}

/** Writes one publish to its file and/or the pipe. */
export class Recording {
  /** Final path of the file (where it lands when the publish ends), or null. */
  readonly path: string | null;
  #sink: FileSink | null;
  #file: FlvWriter | null;
  #pipeSink: PipeSink | null = null;
  #pipe: FlvWriter | null = null;
  #state: RecordingState = "recording";
  #error: Error | null = null;
  #setup: RecordingSetup;
  #closing: Promise<RecordingResult> | null = null;
  #scheduled: Disposable | null = null;

  /** Use {@linkcode RecordingFactory.open}; throws when the file cannot be created. */
  constructor(setup: RecordingSetup) {
    this.#setup = setup;
    this.path = setup.path;
    const flags = { hasAudio: true, hasVideo: true };
    this.#sink = setup.path === null ? null : openFileSink(setup.path + PART_SUFFIX, {
      maxQueuedBytes: setup.maxQueuedBytes,
      pool: setup.pool,
      onError: (e) => this.#fail(e),
    });
    this.#file = this.#sink === null ? null : new FlvWriter(this.#sink, flags);
    const sink = this.#sink;
    if (sink !== null) this.#scheduled = setup.syncs?.add({ sync: () => sink.sync() }) ?? null;
    this.attachPipe(setup.pipe);
  }

  /** Sends this recording to the pipe as well (before the first tag). */
  attachPipe(pipe: PipeSink | null): void {
    if (pipe === null || this.#pipeSink !== null) return;
    this.#pipeSink = pipe;
    this.#pipe = new FlvWriter(pipe, { hasAudio: true, hasVideo: true });
  }

  /** Where the recording stands. */
  get state(): RecordingState {
    return this.#state;
  }

  /** Why the file failed, or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** Bytes of whole tags on disk so far (or piped, with no file). */
  get bytes(): number {
    return this.#sink?.wholeBytes ?? this.#pipeSink?.bytesWritten ?? 0;
  }

  /** Bytes waiting for the disk. */
  get queuedBytes(): number {
    return this.#sink?.queuedBytes ?? 0;
  }

  /**
   * Null while the file keeps up; while it is behind, a promise that resolves once it has caught
   * up (or failed): the publisher's reads wait for it ({@linkcode FileSink.backlog}).
   */
  backlog(): Promise<void> | null {
    return this.#writing() ? this.#sink?.backlog() ?? null : null;
  }

  /** Writes the client's onMetaData (only the first one lands). */
  writeMetadata(meta: AmfObject | AmfEcmaArray): void {
    if (this.#writing()) this.#file?.writeMetadata(meta);
    this.#pipe?.writeMetadata(meta);
  }

  /** Writes one audio message body. */
  writeAudio(timestamp: number, body: Uint8Array): void {
    if (this.#writing()) this.#file?.writeAudio(timestamp, body);
    this.#pipe?.writeAudio(timestamp, body);
  }

  /** Writes one video message body. */
  writeVideo(timestamp: number, body: Uint8Array): void {
    if (this.#writing()) this.#file?.writeVideo(timestamp, body);
    this.#pipe?.writeVideo(timestamp, body);
  }

  /**
   * Queues what is buffered as a write (called about once a second). The fdatasync of the
   * `.part` file comes from the factory's {@linkcode SyncScheduler}.
   */
  sync(): void {
    if (this.#writing()) this.#sink?.flush();
  }

  /**
   * Ends the recording off the event loop: writes out the queue, patches duration and
   * size, syncs, renames the `.part` file into place; ends the pipe (EOF for its reader).
   * After a failure the file is cut back to its last whole tag first; a file with nothing
   * whole in it is removed. Never rejects. Idempotent.
   */
  close(): Promise<RecordingResult> {
    if (this.#closing === null) {
      if (this.#state === "recording") this.#state = "finalizing";
      this.#closing = this.#finalize();
      this.#setup.track(this.#closing);
    }
    return this.#closing;
  }

  #writing(): boolean {
    return this.#state === "recording";
  }

  async #finalize(): Promise<RecordingResult> {
    this.#scheduled?.[Symbol.dispose]();
    const piped = this.#pipe?.end();
    this.#pipeSink?.close();
    if (this.#sink === null || this.#file === null || this.path === null) {
      this.#state = "done";
      const bytes = this.#pipeSink?.bytesWritten ?? 0;
      return { path: null, bytes, durationMs: piped?.durationMs ?? 0, state: "done", error: null };
    }
    const part = this.path + PART_SUFFIX;
    const end = this.#file.end();
    let kept;
    try {
      kept = await this.#sink.finish(end);
    } catch (e) {
      this.#fail(asError(e));
      return this.#result(part, this.#sink.durableBytes, end.durationMs);
    }
    if (kept.empty) {
      await Deno.remove(part).catch(() => {});
      return this.#result(null, 0, 0);
    }
    try {
      await Deno.rename(part, this.path);
    } catch (e) {
      this.#fail(asError(e));
      return this.#result(part, kept.bytes, kept.durationMs);
    }
    return this.#result(this.path, kept.bytes, kept.durationMs);
  }

  #result(path: string | null, bytes: number, durationMs: number): RecordingResult {
    const failed = this.#error !== null;
    this.#state = failed ? "failed" : "done";
    const error = failed ? describeStorageError(this.#error) : null;
    return { path, bytes, durationMs, state: failed ? "failed" : "done", error };
  }

  #fail(error: Error): void {
    if (this.#error !== null) return;
    this.#error = error;
    if (this.#state !== "recording") return; // finalizing: the result reports it
    this.#state = "failed";
    this.#setup.onFailed?.(error);
  }
}

/** A storage error as one line: the OS message without a stack. */
export function describeStorageError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Batch buffers the factory keeps while no recording uses them: 128 × 64 KiB = 8 MiB. */
const POOL_MAX_IDLE = 128;

/** Default time between two syncs of a recording's file: about once a second. */
export const DEFAULT_SYNC_MS = 1000;

/** Options for {@linkcode RecordingFactory}. */
export interface RecordingFactoryOptions {
  /** Record dir, or null for no files. */
  readonly recordDir: string | null;
  /** Where the first publish's FLV goes as well (stdout for `--pipe`), or null. */
  readonly pipe: PipeWriter | null;
  /** Most bytes one recording may have waiting for the disk (default 32 MiB). */
  readonly maxQueuedBytes?: number;
  /** Most bytes waiting for the pipe's reader before it is cut off (default 8 MiB). */
  readonly pipeMaxQueuedBytes?: number;
  /** Told once when the pipe ends: its publish finished, or the reader failed or fell behind. */
  readonly onPipeEnd?: (end: PipeEnd) => void;
  /**
   * How often each recording's file is synced to disk, in ms (default 1000); 0 syncs only when
   * the file is finished. With more files than the disk can sync in that time, each waits its
   * turn ({@linkcode SyncScheduler}).
   */
  readonly syncMs?: number;
  /** Most syncs running at once (default 8, `MAX_SYNCS_AT_ONCE`). */
  readonly syncsAtOnce?: number;
  /** Time for the sync schedule (default the system clock). */
  readonly clock?: Clock;
}

/**
 * Opens recordings by the server's policy: files under the record dir, the pipe once. Holds
 * what the recordings share: the batch buffers and the sync schedule (dispose to stop it).
 */
export class RecordingFactory implements Disposable {
  #dir: string | null;
  #pipe: PipeWriter | null;
  #o: RecordingFactoryOptions;
  #closing = new Set<Promise<unknown>>();
  #pool = new BodyPool(POOL_MAX_IDLE * FILE_BATCH_BYTES);
  #syncs: SyncScheduler | null;

  /** Creates a factory. */
  constructor(options: RecordingFactoryOptions) {
    this.#dir = options.recordDir;
    this.#pipe = options.pipe;
    this.#o = options;
    const syncMs = options.syncMs ?? DEFAULT_SYNC_MS;
    this.#syncs = syncMs === 0 ? null : new SyncScheduler({
      intervalMs: syncMs,
      clock: options.clock ?? systemClock,
      ...(options.syncsAtOnce === undefined ? {} : { maxAtOnce: options.syncsAtOnce }),
    });
  }

  /** Stops the sync schedule (recordings still open are synced when they finish). */
  [Symbol.dispose](): void {
    this.#syncs?.[Symbol.dispose]();
  }

  /**
   * Opens a recording for `app/stream`, or returns null when nothing is to be written.
   * `dir` (the app's record dir, null for none) replaces the factory's.
   * Throws when the file cannot be created (no permission, read-only, not a directory).
   */
  open(
    opts: {
      app: string;
      stream: string;
      startedAt: Date;
      events?: RecordingEvents;
      dir?: string | null;
    },
  ): Recording | null {
    let path: string | null = null;
    const dir = opts.dir === undefined ? this.#dir : opts.dir;
    if (dir !== null) {
      path = recordingPath({
        ...opts,
        dir,
        exists: (p) => fileExists(p) || fileExists(p + PART_SUFFIX),
      });
      if (!isInside(dir, path)) throw new RangeError(`Recording path ${path} leaves ${dir}`);
    }
    if (path === null && this.#pipe === null) return null;
    // The file is created before the pipe is handed out: a publish that cannot record
    // does not use up the pipe.
    const rec = new Recording({
      path,
      pipe: null,
      maxQueuedBytes: this.#o.maxQueuedBytes ?? 32 * 1024 * 1024,
      pool: this.#pool,
      syncs: this.#syncs,
      track: (p) => this.#track(p),
      ...opts.events,
    });
    rec.attachPipe(this.#takePipe());
    return rec;
  }

  /** Resolves when every recording closed so far has finished finalizing. */
  async settled(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all([...this.#closing]);
  }

  #takePipe(): PipeSink | null {
    const writer = this.#pipe;
    if (writer === null) return null;
    this.#pipe = null;
    const onEnd = this.#o.onPipeEnd;
    return new PipeSink(writer, {
      maxQueuedBytes: this.#o.pipeMaxQueuedBytes ?? 8 * 1024 * 1024,
      onEnd: (end) => onEnd?.(end),
    });
  }

  #track(p: Promise<unknown>): void {
    this.#closing.add(p);
    void p.finally(() => this.#closing.delete(p));
  }
}
