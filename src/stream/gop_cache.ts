/**
 * The messages since the last video key frame, so that a new player starts on a key frame
 * at once. Bounded in bytes: a GOP that outgrows the bound is dropped until the next key frame.
 * Bodies it copies itself ({@linkcode GopCache.take}) go into a {@linkcode GopStore}, reused
 * GOP after GOP while no consumer holds them. With a server-wide {@linkcode GopBudget}, the
 * store's memory is booked there too: a GOP the budget cannot hold is dropped the same way, and
 * the budget may evict the cache of a stream nobody watches.
 * @module
 */

import type { GopAccount, GopBudget } from "./gop_budget.ts";
import { GopStore } from "./gop_store.ts";
import type { MediaMessage } from "./media_message.ts";

/** Options for {@linkcode GopCache}. */
export interface GopCacheOptions {
  /** The server-wide bound this cache's memory is booked in; none by default. */
  readonly budget?: GopBudget;
  /** Whether the stream has players or relays (they keep their cache when the budget is full). */
  readonly watched?: () => boolean;
}

/**
 * What a stream's first GOP books in a server-wide budget before its size is known: one GOP
 * of about 1 Mbit/s over 2 s. A GOP after that books the size of the one before.
 */
export const FIRST_GOP_BYTES = 256 * 1024;

/** Holds the current group of pictures (audio interleaved), from its key frame on. */
export class GopCache implements Disposable {
  #max: number;
  #messages: MediaMessage[] = [];
  #bytes = 0;
  #open = false;
  #store: GopStore;
  #account: GopAccount | null;
  #watched: () => boolean;
  /** Bytes of audio and video seen since the last key frame, cached or not. */
  #seen = 0;
  /** {@linkcode #seen} of the GOP before (0 before the first key frame). */
  #lastGop = 0;
  /** Bytes booked for this GOP ahead of the storage (what a GOP like the last needs). */
  #reserved = 0;

  /** Creates a cache of at most `maxBytes` of bodies (0 turns it off). */
  constructor(maxBytes: number, options: GopCacheOptions = {}) {
    this.#max = maxBytes;
    this.#watched = options.watched ?? (() => false);
    const budget = maxBytes === 0 ? undefined : options.budget;
    this.#account = budget?.open({ watched: this.#watched, evict: () => this.#close() }) ?? null;
    this.#store = new GopStore(
      this.#account === null ? undefined : { resize: (bytes) => this.#book(bytes) },
    );
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
    this.#seen += msg.body.length;
    this.#add(msg);
  }

  /**
   * Counts an audio or non-key video message of `bytes` bytes that {@linkcode take} would not
   * keep while the cache is closed (or off), without the message; false when it is open or the
   * message is a key frame, which {@linkcode take} must see.
   */
  passBy(kind: "audio" | "video", keyframe: boolean, bytes: number): boolean {
    if (this.#open || (kind === "video" && keyframe)) return false;
    if (this.#max !== 0) this.#seen += bytes;
    return true;
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
    this.#seen += view.body.length;
    if (!this.#open) return null;
    const body = this.#store.copy(view.body);
    if (body === null) {
      this.#close(); // the budget is full: wait for the next key frame
      return null;
    }
    if (lend) this.#store.lend();
    const msg = { ...view, body };
    this.#add(msg);
    return msg;
  }

  /** Drops what it holds and leaves the budget (the stream ended). */
  [Symbol.dispose](): void {
    this.#close();
    this.#account?.close();
  }

  /** Adds a message of the open GOP, or closes the GOP when it would outgrow the bound. */
  #add(msg: MediaMessage): void {
    if (!this.#open) return;
    if (this.#bytes + msg.body.length > this.#max) {
      this.#close();
      return;
    }
    this.#messages.push(msg);
    this.#bytes += msg.body.length;
  }

  /** Drops the GOP and its store; nothing is cached until the next key frame. */
  #close(): void {
    this.#messages = [];
    this.#bytes = 0;
    this.#open = false;
    this.#reserved = 0;
    this.#store.clear();
  }

  /**
   * Books what the store holds, or the GOP's reservation when that is more: false when the
   * budget cannot give the room.
   */
  #book(bytes: number): boolean {
    const account = this.#account!;
    const want = Math.max(bytes, this.#reserved);
    return want === account.bytes || account.resize(want);
  }

  /**
   * A key frame: a new GOP starts. With a budget it first books a GOP like the last (the
   * first: {@linkcode FIRST_GOP_BYTES}); when the budget cannot give that (after evicting
   * unwatched caches, for a watched stream), nothing is cached until the next key frame. So a
   * thousand streams starting at once do not each grow storage until the budget is full and
   * then drop it, and streams past the budget allocate nothing GOP after GOP.
   */
  #restart(): void {
    this.#lastGop = this.#seen;
    this.#seen = 0;
    this.#messages = [];
    this.#bytes = 0;
    this.#store.reset();
    if (this.#account === null) {
      this.#open = true;
      return;
    }
    this.#reserved = Math.min(this.#max, this.#lastGop > 0 ? this.#lastGop : FIRST_GOP_BYTES);
    this.#open = this.#book(this.#store.bytes);
    if (!this.#open) this.#close();
  }
}
