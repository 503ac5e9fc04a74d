/**
 * The messages since the last video key frame, so that a new player starts on a key frame
 * at once. Bounded in bytes: a GOP that outgrows the bound is dropped until the next key frame.
 * @module
 */

import type { MediaMessage } from "./media_message.ts";

/** Holds the current group of pictures (audio interleaved), from its key frame on. */
export class GopCache {
  #max: number;
  #messages: MediaMessage[] = [];
  #bytes = 0;
  #open = false;

  /** Creates a cache of at most `maxBytes` of bodies (0 turns it off). */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Bytes of the bodies held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The messages held, key frame first; empty when there is none. */
  get messages(): readonly MediaMessage[] {
    return this.#messages;
  }

  /** Whether {@linkcode push} would keep `msg` (so its body must be owned). */
  keeps(msg: MediaMessage): boolean {
    if (this.#max === 0 || msg.config || msg.kind === "data") return false;
    if (msg.kind === "video" && msg.keyframe) return msg.body.length <= this.#max;
    return this.#open && this.#bytes + msg.body.length <= this.#max;
  }

  /** Takes one audio or video message (not sequence headers or data). */
  push(msg: MediaMessage): void {
    if (this.#max === 0 || msg.config || msg.kind === "data") return;
    if (msg.kind === "video" && msg.keyframe) {
      this.#messages = [];
      this.#bytes = 0;
      this.#open = true;
    }
    if (!this.#open) return;
    if (this.#bytes + msg.body.length > this.#max) {
      this.#messages = [];
      this.#bytes = 0;
      this.#open = false; // wait for the next key frame
      return;
    }
    this.#messages.push(msg);
    this.#bytes += msg.body.length;
  }
}
