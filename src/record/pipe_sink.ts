/**
 * The `--pipe` output (stdout) behind a bounded queue, drained by async writes so a reader
 * that stalls never blocks the event loop. A reader that falls behind past the limit is cut
 * off; when the piped publish ends the pipe is closed so the reader gets EOF.
 * @module
 */

import { concatBytes } from "../bytes.ts";

/** What the pipe sink writes to (`Deno.stdout` fits). */
export interface PipeWriter {
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** How a pipe ended; `closeError` says why the pipe could not be closed (no EOF yet). */
export type PipeEnd =
  | { readonly kind: "finished"; readonly bytes: number; readonly closeError: string | null }
  | {
    readonly kind: "cut";
    readonly bytes: number;
    readonly reason: string;
    readonly closeError: string | null;
  };

/** Options for {@linkcode PipeSink}. */
export interface PipeSinkOptions {
  /** Most bytes queued for the reader; past it the reader is cut off. */
  readonly maxQueuedBytes: number;
  /** Told once, when the pipe is closed (finished or cut off). */
  readonly onEnd: (end: PipeEnd) => void;
}

/**
 * Queues whole FLV tags for a pipe and writes them in order, everything waiting in one
 * write. `write()` never blocks or throws; a failing or stalled reader only ends the pipe.
 */
export class PipeSink {
  #writer: PipeWriter;
  #o: PipeSinkOptions;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #accepted = 0;
  #written = 0;
  #draining: Promise<void> | null = null;
  #ended = false;
  #closing = false;
  #done = Promise.withResolvers<void>();

  /** Creates a sink writing to `writer`. */
  constructor(writer: PipeWriter, options: PipeSinkOptions) {
    this.#writer = writer;
    this.#o = options;
  }

  /** Bytes taken by `write()`. */
  get bytesWritten(): number {
    return this.#accepted;
  }

  /** Bytes waiting for the reader. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Takes one whole tag (or the file header) as parts, copied. Ignored once ended. */
  write(...parts: Uint8Array[]): void {
    if (this.#ended || this.#closing) return;
    const copy = concatBytes(parts);
    const total = copy.length;
    this.#queue.push(copy);
    this.#queued += total;
    this.#accepted += total;
    if (this.#queued > this.#o.maxQueuedBytes) {
      this.#end(
        `the reader fell behind: ${this.#queued} bytes waiting, over the limit of ${this.#o.maxQueuedBytes}`,
      );
      return;
    }
    this.#draining ??= this.#drain();
  }

  /** Nothing to do: every write is queued for the reader at once. */
  flush(): void {}

  /** Ends the piped stream: writes what is queued, then closes the pipe (EOF for the reader). */
  close(): void {
    if (this.#ended || this.#closing) return;
    this.#closing = true;
    if (this.#draining === null) this.#end(null);
  }

  /** Resolves once the pipe has ended (written out and closed, or cut off). */
  ended(): Promise<void> {
    return this.#done.promise;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#ended) {
        const parts = this.#queue.splice(0);
        const bytes = parts.length === 1 ? parts[0]! : concatBytes(parts);
        let done = 0;
        while (done < bytes.length) {
          const n = await this.#writer.write(bytes.subarray(done));
          if (this.#ended) return;
          done += n;
          this.#written += n;
        }
        this.#queued -= bytes.length;
      }
    } catch (e) {
      this.#end(`writing failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.#draining = null;
      if (this.#closing && !this.#ended) this.#end(null);
    }
  }

  #end(reason: string | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#queue = [];
    this.#queued = 0;
    let closeError: string | null = null;
    try {
      this.#writer.close(); // a write still in flight keeps the pipe open until it returns
    } catch (e) {
      closeError = e instanceof Error ? e.message : String(e);
    }
    this.#o.onEnd(
      reason === null
        ? { kind: "finished", bytes: this.#written, closeError }
        : { kind: "cut", bytes: this.#written, reason, closeError },
    );
    this.#done.resolve();
  }
}
