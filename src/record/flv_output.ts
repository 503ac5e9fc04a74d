/**
 * Where an {@linkcode FlvWriter} puts its bytes: a buffered file that can be patched
 * in place, or an unbuffered pipe such as stdout.
 * @module
 */

import { dirname } from "node:path";
import type { FlvOutput } from "./flv_writer.ts";

/** Size of the file output's write buffer. */
export const FLV_FILE_BUFFER_SIZE = 32 * 1024;

/** Anything with a synchronous, possibly partial, write (`Deno.stdout`, a `Deno.FsFile`). */
export interface SyncWriter {
  writeSync(p: Uint8Array): number;
}

/**
 * Opens a new FLV file for writing, creating its parent directories; fails with
 * `Deno.errors.AlreadyExists` rather than overwrite. Each `write()` should be whole
 * tags: the buffer is flushed before a write that does not fit, so every
 * `writeSync` ends on a tag boundary. `bytesWritten` counts bytes accepted,
 * buffered or not; `patch()` does not change it.
 */
export function openFlvFile(path: string): FlvOutput {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const file = Deno.openSync(path, { write: true, createNew: true });
  return new FileOutput(file);
}

/**
 * Wraps a synchronous writer (stdout) as an unbuffered FLV output with no `patch`;
 * partial writes are retried until each write is complete. `close()` does not
 * close the writer.
 */
export function pipeOutput(writer: SyncWriter): FlvOutput {
  return new PipeOutput(writer);
}

class FileOutput implements FlvOutput {
  #file: Deno.FsFile;
  #buf = new Uint8Array(FLV_FILE_BUFFER_SIZE);
  #used = 0;
  #written = 0;
  #closed = false;
  #syncing = false;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  get bytesWritten(): number {
    return this.#written;
  }

  write(...parts: Uint8Array[]): void {
    this.#open();
    let total = 0;
    for (const p of parts) total += p.length;
    if (this.#used + total > this.#buf.length) this.#drain();
    if (total > this.#buf.length) {
      for (const p of parts) writeAll(this.#file, p);
    } else {
      for (const p of parts) {
        this.#buf.set(p, this.#used);
        this.#used += p.length;
      }
    }
    this.#written += total;
  }

  patch(offset: number, bytes: Uint8Array): void {
    this.#open();
    if (!Number.isInteger(offset) || offset < 0 || offset + bytes.length > this.#written) {
      throw new RangeError(
        `Patch of ${bytes.length} bytes at ${offset} is outside the ${this.#written} bytes written`,
      );
    }
    this.#drain();
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    writeAll(this.#file, bytes);
    this.#file.seekSync(0, Deno.SeekMode.End);
  }

  flush(): void {
    this.#open();
    this.#drain();
  }

  /** Writes out the buffer and starts an fdatasync off the event loop (one at a time). */
  sync(): void {
    this.#open();
    this.#drain();
    if (this.#syncing) return;
    this.#syncing = true;
    this.#file.syncData().catch(() => {/* closed meanwhile: close() syncs */}).finally(() => {
      this.#syncing = false;
    });
  }

  close(): void {
    if (this.#closed) return;
    try {
      this.#drain();
      this.#file.syncDataSync();
    } finally {
      this.#closed = true;
      this.#file.close();
    }
  }

  #drain(): void {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    writeAll(this.#file, this.#buf.subarray(0, used));
  }

  #open(): void {
    if (this.#closed) throw new Deno.errors.BadResource("FLV file output is closed");
  }
}

class PipeOutput implements FlvOutput {
  #writer: SyncWriter;
  #written = 0;
  #closed = false;

  constructor(writer: SyncWriter) {
    this.#writer = writer;
  }

  get bytesWritten(): number {
    return this.#written;
  }

  write(...parts: Uint8Array[]): void {
    if (this.#closed) throw new Deno.errors.BadResource("FLV pipe output is closed");
    for (const p of parts) {
      writeAll(this.#writer, p);
      this.#written += p.length;
    }
  }

  flush(): void {}

  close(): void {
    this.#closed = true;
  }
}

function writeAll(writer: SyncWriter, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writer.writeSync(bytes.subarray(done));
    if (n <= 0) {
      throw new Deno.errors.WriteZero(
        `Write made no progress with ${bytes.length - done} bytes left`,
      );
    }
    done += n;
  }
}
