/**
 * The messages since the last video key frame, so that a new player starts on a key frame
 * at once. Bounded in bytes: a GOP that outgrows the bound is dropped until the next key frame.
 * Bodies it copies itself ({@linkcode GopCache.take}) go into a {@linkcode GopStore}, reused
 * GOP after GOP while no consumer holds them.
 * @module
 */

import { GopStore } from "./gop_store.ts";
import type { MediaMessage } from "./media_message.ts";

/** Holds the current group of pictures (audio interleaved), from its key frame on. */
export class GopCache {
  #max: number;
  #messages: MediaMessage[] = [];
  #bytes = 0;
  #open = false;
  #store = new GopStore();

  /** Creates a cache of at most `maxBytes` of bodies (0 turns it off). */
  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Bytes of the bodies held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of the storage held for the bodies it copied (about one GOP). */
  get storeBytes(): number {
    return this.#store.capacity;
  }

  /**
   * The messages held, key frame first; empty when there is none. Whoever reads them may keep
   * them, so the storage of this GOP is not reused.
   */
  get messages(): readonly MediaMessage[] {
    this.#store.lend();
    return this.#messages;
  }

  /** Whether {@linkcode push} would keep `msg` (so its body must be owned). */
  keeps(msg: MediaMessage): boolean {
    if (this.#max === 0 || msg.config || msg.kind === "data") return false;
    if (msg.kind === "video" && msg.keyframe) return msg.body.length <= this.#max;
    return this.#open && this.#bytes + msg.body.length <= this.#max;
  }

  /** Takes one audio or video message (not sequence headers or data) whose body it may keep. */
  push(msg: MediaMessage): void {
    if (this.#max === 0 || msg.config || msg.kind === "data") return;
    if (msg.kind === "video" && msg.keyframe) this.#restart();
    this.#add(msg);
  }

  /**
   * Takes one message whose body is a view valid only during the call: when the cache keeps it,
   * the body is copied into the cache's store and the kept message returned (`lend`: it is also
   * handed to consumers, who may hold it past the GOP); else null.
   */
  take(view: MediaMessage, lend: boolean): MediaMessage | null {
    if (!this.keeps(view)) {
      this.push(view); // a key frame over the bound still closes the cache
      return null;
    }
    if (view.kind === "video" && view.keyframe) this.#restart();
    if (lend) this.#store.lend();
    const msg = { ...view, body: this.#store.copy(view.body) };
    this.#add(msg);
    return msg;
  }

  /** Adds a message of the open GOP, or closes the GOP when it would outgrow the bound. */
  #add(msg: MediaMessage): void {
    if (!this.#open) return;
    if (this.#bytes + msg.body.length > this.#max) {
      this.#messages = [];
      this.#bytes = 0;
      this.#open = false; // wait for the next key frame
      this.#store.clear();
      return;
    }
    this.#messages.push(msg);
    this.#bytes += msg.body.length;
  }

  /** A key frame: a new GOP starts. */
  #restart(): void {
    this.#messages = [];
    this.#bytes = 0;
    this.#open = true;
    this.#store.reset();
  }
}
