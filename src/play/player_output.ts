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
   * Queues bytes already chunked (shared media chunks); their write may wait up to `holdMs`
   * for more media to join it (merged writes; 0 or none: at once).
   */
  sendRaw(bytes: Uint8Array, holdMs?: number): void;
}
