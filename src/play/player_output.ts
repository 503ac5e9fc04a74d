/**
 * What a player writes to: the connection's outbox, seen from the play module (an `Outbox`
 * fits). Its queue is the player's queue.
 * @module
 */

import type { OutgoingMessage } from "../rtmp/chunk_writer.ts";

/** The outgoing side of a player's connection. */
export interface PlayerOutput {
  /** Bytes queued and not yet written. */
  readonly queuedBytes: number;
  /** The chunk size the connection sends at now. */
  readonly chunkSize: number;
  /** Chunks and queues a message with the connection's header history (control, status). */
  send(msg: OutgoingMessage): void;
  /**
   * Queues bytes already chunked (shared media chunks); with `hold`, their write waits for
   * {@linkcode PlayerOutput.release} so the rest of the publisher's read joins it.
   */
  sendRaw(bytes: Uint8Array, hold?: boolean): void;
  /** Writes what waits for a release; a no-op when nothing does. */
  release(): void;
}
