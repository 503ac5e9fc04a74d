/**
 * A recording's file behind a bounded queue: every write, patch, sync and close is queued
 * and carried out by async file operations, so a slow or full disk never blocks the event
 * loop. Writes are whole FLV tags packed into batches; the sink knows which tag boundary
 * is on disk, so a failed recording can be cut back to its last whole tag.
 * @module
 */

import { dirname } from "node:path";
import type { BodyPool } from "../body_pool.ts";
import { float64 } from "./flv_writer.ts";
import { FLV_HEADER_SIZE, FLV_PREVIOUS_TAG_SIZE, FLV_TAG_HEADER_SIZE } from "./flv.ts";

/** Batch size: writes are packed into buffers of this size before they are queued. */
export const FILE_BATCH_BYTES = 64 * 1024;

/** Batch size while the disk is behind (at least this much waiting for it). */
export const MAX_WRITE_BYTES = 1024 * 1024;

/** The file operations the sink needs (`Deno.FsFile` fits; fault tests inject failures). */
export interface SinkFile {
  write(p: Uint8Array): Promise<number>;
  seek(offset: number, whence: Deno.SeekMode): Promise<number>;
  truncate(len?: number): Promise<void>;
  syncData(): Promise<void>;
  close(): void;
}

/** Options for {@linkcode FileSink}. */
export interface FileSinkOptions {
  /** Most bytes queued for the disk; past it the sink fails as too slow. */
  readonly maxQueuedBytes: number;
  /** Called once when the sink fails (storage error or queue over its limit). */
  readonly onError: (error: Error) => void;
  /**
   * Longest a {@linkcode FileSink.backlog} wait may take before the sink fails as too slow, in
   * ms (default {@linkcode MAX_BACKLOG_WAIT_MS}).
   */
  readonly maxBacklogWaitMs?: number;
  /**
   * Where {@linkcode FILE_BATCH_BYTES} batch buffers come from and go back to once written
   * (shared by the server's recordings); without it each batch is a new buffer.
   */
  readonly pool?: BodyPool;
}

/** Default longest wait for the disk to catch up: 5 s. */
export const MAX_BACKLOG_WAIT_MS = 5_000;

/** Where the onMetaData numbers to patch are, and the header's track flags. */
export interface FileSinkEnd {
  /** Offsets of the 8-byte duration and filesize numbers, or -1 without metadata. */
  readonly durationAt: number;
  readonly filesizeAt: number;
  /** Highest tag timestamp written, in ms. */
  readonly durationMs: number;
  /** FLV header type flags (4 audio, 1 video), or 0 to leave them. */
  readonly flags: number;
}

/** What a finished sink left on disk. */
export interface FileSinkResult {
  /** Bytes of the file as it stays on disk. */
  readonly bytes: number;
  readonly durationMs: number;
  /** Whether the file was cut back to its last whole tag after a failure. */
  readonly salvaged: boolean;
  /** Whether nothing worth keeping was written (the file should be removed). */
  readonly empty: boolean;
}

/** Raised when the disk does not keep up with a recording. */
export class SinkLimitError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "SinkLimitError";
  }
}

type Op =
  | {
    kind: "data";
    bytes: Uint8Array;
    tagEnd: number;
    timeMs: number;
    /** The pool's buffer under `bytes`, given back once written. */
    pooled: Uint8Array | null;
  }
  | { kind: "sync" };

/** Offset of the FLV header's type flags. */
const FLAGS_OFFSET = 4;
/** First byte after the FLV header and its PreviousTagSize0. */
const FIRST_TAG_AT = FLV_HEADER_SIZE + FLV_PREVIOUS_TAG_SIZE;

/**
 * Opens `path` for a new recording (creating parent directories; never overwrites). Opening
 * is synchronous so the caller learns at once that the place is not writable.
 */
export function openFileSink(path: string, options: FileSinkOptions): FileSink {
  Deno.mkdirSync(dirname(path), { recursive: true });
  return new FileSink(Deno.openSync(path, { write: true, createNew: true }), options);
}

/**
 * Queues whole tags for one file and writes them off the event loop, one operation at a
 * time. `write()` never blocks and never throws for a storage error: the sink fails
 * instead, tells `onError` once and ignores what follows; `finish()` then cuts the file
 * back to what is whole on disk.
 */
export class FileSink {
  #file: SinkFile;
  #o: FileSinkOptions;
  #batch: Uint8Array | null = null;
  /** Whether `#batch` came from the pool. */
  #pooled = false;
  #used = 0;
  /** Fill at which the batch is queued: {@linkcode FILE_BATCH_BYTES}, or larger while behind. */
  #sealAt = 0;
  #batchTimeMs = 0;
  #ops: Op[] = [];
  #queued = 0;
  #accepted = 0;
  #durable = 0;
  #wholeEnd = 0;
  #wholeTimeMs = 0;
  /** The sync queued and not yet done, or null. */
  #syncing: PromiseWithResolvers<void> | null = null;
  /** `#accepted` when the last sync was queued. */
  #syncedTo = 0;
  #draining: Promise<void> | null = null;
  #error: Error | null = null;
  #finished: Promise<FileSinkResult> | null = null;
  /** The caught-up wait in progress: resolves once the queue is down to `bytes`. */
  #catchUp:
    | { bytes: number; done: PromiseWithResolvers<void>; timer: ReturnType<typeof setTimeout> }
    | null = null;

  /** Wraps an open file; see {@linkcode openFileSink}. */
  constructor(file: SinkFile, options: FileSinkOptions) {
    this.#file = file;
    this.#o = options;
  }

  /** Bytes taken by `write()`, on disk or queued: the offset the next write lands at. */
  get bytesWritten(): number {
    return this.#accepted;
  }

  /** Bytes the file system has taken so far. */
  get durableBytes(): number {
    return this.#durable;
  }

  /** Bytes of the whole tags on disk so far: what stays when the file is cut back. */
  get wholeBytes(): number {
    return this.#wholeEnd;
  }

  /** Bytes waiting for the disk. */
  get queuedBytes(): number {
    return this.#queued + this.#used;
  }

  /** Why the sink failed, or null. */
  get error(): Error | null {
    return this.#error;
  }

  /**
   * Takes one whole FLV tag (or the file header) as parts; they are copied, so views into
   * parser memory are fine. Ignored once the sink has failed.
   */
  write(...parts: Uint8Array[]): void {
    if (this.#error !== null || this.#finished !== null) return;
    let total = 0;
    for (const p of parts) total += p.length;
    const timeMs = tagTime(parts[0]);
    if (this.#batch !== null && this.#used + total > this.#batch.length) this.#seal();
    if (this.#batch === null) {
      // Behind the disk (a write's worth waiting): gather larger writes.
      this.#sealAt = this.#queued >= MAX_WRITE_BYTES ? MAX_WRITE_BYTES : FILE_BATCH_BYTES;
      this.#batch = this.#newBatch(total);
    }
    for (const p of parts) {
      this.#batch.set(p, this.#used);
      this.#used += p.length;
    }
    this.#accepted += total;
    if (timeMs >= 0) this.#batchTimeMs = Math.max(this.#batchTimeMs, timeMs);
    if (this.#used >= this.#sealAt) this.#seal();
    if (this.#queued + this.#used > this.#o.maxQueuedBytes) {
      this.#fail(
        new SinkLimitError(
          `Recording fell behind the disk: ${
            this.#queued + this.#used
          } bytes waiting, over the limit of ${this.#o.maxQueuedBytes}`,
        ),
      );
    }
  }

  /**
   * Null while at most half of `maxQueuedBytes` waits for the disk. Past that, a promise that
   * resolves once a quarter or less waits (what is batched is queued at once), or once the sink
   * failed or finished: the writer holds its input until then, so a source faster than the disk
   * is slowed to it instead of losing the rest of the recording. A disk that does not get there
   * within `maxBacklogWaitMs` fails the sink ({@linkcode SinkLimitError}), which resolves it.
   */
  backlog(): Promise<void> | null {
    if (this.#error !== null || this.#finished !== null) return null;
    const max = this.#o.maxQueuedBytes;
    if (this.#catchUp === null && this.queuedBytes <= max / 2) return null;
    this.#seal();
    if (this.#catchUp === null) {
      const waitMs = this.#o.maxBacklogWaitMs ?? MAX_BACKLOG_WAIT_MS;
      const timer = setTimeout(() => {
        this.#fail(
          new SinkLimitError(
            `Recording fell behind the disk: ${this.queuedBytes} bytes still waiting after ${waitMs} ms`,
          ),
        );
      }, waitMs);
      this.#catchUp = { bytes: Math.floor(max / 4), done: Promise.withResolvers(), timer };
      this.#caughtUp();
    }
    return this.#catchUp?.done.promise ?? null;
  }

  /** Queues what is batched as a write, so the disk has it soon even at a low bitrate. */
  flush(): void {
    if (this.#error !== null || this.#finished !== null) return;
    this.#seal();
  }

  /**
   * Queues what is batched and an fdatasync after it (one pending sync at most). Resolves once
   * that sync is done, or at once when nothing was taken since the last one; also when the
   * sink fails. Never rejects.
   */
  sync(): Promise<void> {
    if (this.#error !== null || this.#finished !== null) return Promise.resolve();
    this.#seal();
    if (this.#syncing !== null) return this.#syncing.promise;
    if (this.#accepted === this.#syncedTo) return Promise.resolve();
    this.#syncedTo = this.#accepted;
    const syncing = Promise.withResolvers<void>();
    this.#syncing = syncing;
    this.#ops.push({ kind: "sync" });
    this.#kick();
    return syncing.promise;
  }

  /**
   * Writes out the queue, then patches the metadata and flags, syncs and closes; after a
   * failure, cuts the file to its last whole tag on disk and patches to what is there.
   * Rejects only when even that fails (the file is then closed and left as it is).
   */
  finish(end: FileSinkEnd): Promise<FileSinkResult> {
    if (this.#finished === null) {
      this.#seal();
      this.#finished = this.#finish(end);
      this.#caughtUp();
    }
    return this.#finished;
  }

  async #finish(end: FileSinkEnd): Promise<FileSinkResult> {
    try {
      await this.#idle();
      const salvaged = this.#error !== null;
      const bytes = salvaged ? this.#wholeEnd : this.#accepted;
      const durationMs = salvaged ? this.#wholeTimeMs : end.durationMs;
      if (bytes <= FIRST_TAG_AT) return { bytes: 0, durationMs: 0, salvaged, empty: true };
      if (salvaged) await this.#file.truncate(bytes);
      const metaEnd = Math.max(end.durationAt, end.filesizeAt) + 8;
      if (end.durationAt >= 0 && metaEnd <= bytes) {
        await this.#patch(end.durationAt, float64(durationMs / 1000));
        await this.#patch(end.filesizeAt, float64(bytes));
      }
      if (end.flags !== 0) await this.#patch(FLAGS_OFFSET, new Uint8Array([end.flags]));
      await this.#file.syncData();
      return { bytes, durationMs, salvaged, empty: false };
    } finally {
      try {
        this.#file.close();
      } catch { /* already closed */ }
    }
  }

  async #patch(offset: number, bytes: Uint8Array): Promise<void> {
    await this.#file.seek(offset, Deno.SeekMode.Start);
    await writeAll(this.#file, bytes);
  }

  /** A buffer for the next batch: the pool's when the batch is of its size. */
  #newBatch(total: number): Uint8Array {
    const pool = this.#o.pool;
    this.#pooled = pool !== undefined && this.#sealAt === FILE_BATCH_BYTES &&
      total <= FILE_BATCH_BYTES;
    return this.#pooled
      ? pool!.take(FILE_BATCH_BYTES)
      : new Uint8Array(Math.max(this.#sealAt, total));
  }

  #seal(): void {
    if (this.#queueBatch()) this.#kick();
  }

  /** Queues what is batched as one write; false when nothing was. */
  #queueBatch(): boolean {
    if (this.#batch === null || this.#used === 0) return false;
    const bytes = this.#batch.subarray(0, this.#used);
    const pooled = this.#pooled ? this.#batch : null;
    this.#ops.push({
      kind: "data",
      bytes,
      tagEnd: this.#accepted,
      timeMs: this.#batchTimeMs,
      pooled,
    });
    this.#queued += bytes.length;
    this.#batch = null;
    this.#pooled = false;
    this.#used = 0;
    this.#sealAt = 0;
    return true;
  }

  #kick(): void {
    if (this.#error === null) this.#draining ??= this.#drain();
  }

  /** Resolves when no operation is running or queued. */
  async #idle(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        // A large batch gathered while the disk was behind goes out as soon as it is idle.
        if (this.#ops.length === 0 && this.#sealAt > FILE_BATCH_BYTES) this.#queueBatch();
        if (this.#ops.length === 0 || this.#error !== null) break;
        const op = this.#ops.shift()!;
        if (op.kind === "sync") {
          const done = this.#syncing;
          this.#syncing = null;
          try {
            await this.#file.syncData();
          } finally {
            done?.resolve();
          }
          continue;
        }
        let done = 0;
        try {
          while (done < op.bytes.length) {
            const n = await this.#file.write(op.bytes.subarray(done));
            if (n <= 0) throw new Deno.errors.WriteZero("File write made no progress");
            done += n;
            this.#durable += n;
          }
        } finally {
          if (this.#error === null) this.#queued -= op.bytes.length;
          if (op.pooled !== null) this.#o.pool?.give(op.pooled);
        }
        this.#wholeEnd = op.tagEnd;
        this.#wholeTimeMs = Math.max(this.#wholeTimeMs, op.timeMs);
        this.#caughtUp();
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.#draining = null;
      this.#caughtUp();
    }
  }

  /** Ends the caught-up wait when the queue is down to its level, or the sink failed or finishes. */
  #caughtUp(): void {
    const c = this.#catchUp;
    const waiting = this.#error === null && this.#finished === null;
    if (c === null || (waiting && this.queuedBytes > c.bytes)) return;
    this.#catchUp = null;
    clearTimeout(c.timer);
    c.done.resolve();
  }

  #fail(error: Error): void {
    if (this.#error !== null) return;
    this.#error = error;
    for (const op of this.#ops) {
      if (op.kind === "data" && op.pooled !== null) this.#o.pool?.give(op.pooled);
    }
    this.#ops = [];
    this.#syncing?.resolve();
    this.#syncing = null;
    this.#queued = 0;
    if (this.#pooled && this.#batch !== null) this.#o.pool?.give(this.#batch);
    this.#pooled = false;
    this.#batch = null;
    this.#used = 0;
    this.#sealAt = 0;
    this.#caughtUp();
    this.#o.onError(error);
  }
}

/** The timestamp of an FLV tag from its 11-byte header, or -1 for the file header. */
function tagTime(head: Uint8Array | undefined): number {
  if (head === undefined || head.length < FLV_TAG_HEADER_SIZE || head[0] === 0x46) return -1;
  return ((head[7]! << 24) | (head[4]! << 16) | (head[5]! << 8) | head[6]!) >>> 0;
}

async function writeAll(file: SinkFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const n = await file.write(bytes.subarray(done));
    if (n <= 0) throw new Deno.errors.WriteZero("File write made no progress");
    done += n;
  }
}
