/**
 * The outgoing side of a connection: messages → chunks → one serialized writer with a
 * bounded queue.
 * @module
 */

import { RtmpError } from "../errors.ts";
import { ChunkWriter, type OutgoingMessage } from "../rtmp/chunk_writer.ts";
import { encodeU32Message, MessageType } from "../rtmp/messages.ts";
import { concatBytes, type JoinMemo } from "../bytes.ts";

/** The part of a socket the outbox needs (`Deno.Conn` fits). */
export interface Writable {
  write(p: Uint8Array): Promise<number>;
}

/** Options for {@linkcode Outbox}. */
export interface OutboxOptions {
  /** Most bytes waiting to be written before the peer counts as not reading (default 4 MiB). */
  maxQueuedBytes?: number;
  /** Called once when a write fails or the queue overflows. */
  onError: (error: Error) => void;
  /**
   * Joins queued parts shared with other outboxes (one per server): players in step write one
   * joined buffer instead of a copy each. Without it, each outbox joins its own.
   */
  joins?: JoinMemo;
}

/** Queues messages for one peer and writes them in order, one write at a time. */
export class Outbox {
  #conn: Writable;
  #writer = new ChunkWriter();
  #queue: Uint8Array[] = [];
  #queued = 0;
  #maxQueued: number;
  #writing: Promise<void> | null = null;
  #failed = false;
  #onError: (error: Error) => void;
  #join: (parts: readonly Uint8Array[]) => Uint8Array;
  /** Whether queued bytes wait for {@linkcode Outbox.release} (one write per publisher read). */
  #held = false;
  #writes = 0;

  /** Creates an outbox writing to `conn`. */
  constructor(conn: Writable, options: OutboxOptions) {
    this.#conn = conn;
    this.#maxQueued = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.#onError = options.onError;
    const joins = options.joins;
    this.#join = joins === undefined ? concatBytes : (parts) => joins.join(parts);
  }

  /** Writes started so far (each one queued batch, or the rest of a partial write). */
  get writes(): number {
    return this.#writes;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** The outgoing chunk size now. */
  get chunkSize(): number {
    return this.#writer.chunkSize;
  }

  /** Most bytes waiting before the peer counts as not reading. */
  get maxQueuedBytes(): number {
    return this.#maxQueued;
  }

  /** Changes the queue limit (a player gets room above its skip threshold). */
  set maxQueuedBytes(bytes: number) {
    this.#maxQueued = bytes;
  }

  /** Encodes `msg` at the current outgoing chunk size and queues it. */
  send(msg: OutgoingMessage): void {
    this.sendRaw(this.#writer.encode(msg));
  }

  /**
   * Queues bytes as they are (the handshake, or media chunks shared by players). Chunks
   * sent raw must use chunk streams that `send()` does not, with a type-0 first header.
   *
   * With `hold` and nothing being written, the write waits for {@linkcode Outbox.release},
   * so whatever is queued meanwhile goes out in the same write (a player takes every message
   * of its publisher's read, then writes them at once: players of one stream write one joined
   * buffer). Bytes sent without a hold end the wait: they go out at once with what waits.
   */
  sendRaw(bytes: Uint8Array, hold = false): void {
    if (this.#failed) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued > this.#maxQueued) {
      this.#fail(
        new RtmpError(
          `Limit max-outgoing-bytes: ${this.#queued} bytes queued for a client that does not read, over ${this.#maxQueued}`,
        ),
      );
      return;
    }
    if (this.#writing !== null) return; // the write in progress takes these next
    this.#held = hold;
    if (!hold) this.#writing = this.#flush();
  }

  /** Writes what waits for it (see `hold` in {@linkcode Outbox.sendRaw}); else a no-op. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    if (!this.#failed) this.#writing ??= this.#flush();
  }

  /** Sends Set Chunk Size and switches to `size` for what follows. */
  setChunkSize(size: number): void {
    this.send({
      type: MessageType.SetChunkSize,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: encodeU32Message(size),
    });
    this.#writer.chunkSize = size;
  }

  /** Writes what waits now and resolves when everything queued so far is written (or failed). */
  async drained(): Promise<void> {
    this.release();
    while (this.#writing) await this.#writing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#failed) {
        const parts = this.#queue;
        this.#queue = [];
        const bytes = parts.length === 1 ? parts[0]! : this.#join(parts);
        this.#writes++;
        let o = await this.#conn.write(bytes);
        while (o < bytes.length) {
          this.#writes++;
          o += await this.#conn.write(bytes.subarray(o));
        }
        this.#queued -= bytes.length;
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.#writing = null;
    }
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#held = false;
    this.#queue = [];
    this.#onError(error);
  }
}
