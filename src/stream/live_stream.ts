/**
 * One live publish in the hub: its metadata, sequence headers and GOP cache, and the
 * consumers it feeds. One-way: the publication pushes messages in, each consumer takes
 * them in order; a consumer that throws is cut off alone.
 * @module
 */

import type { ConsumerKind, StreamConsumer } from "./consumer.ts";
import type { GopBudget } from "./gop_budget.ts";
import { GopCache } from "./gop_cache.ts";
import { type MediaMessage, ownedMessage } from "./media_message.ts";

/** Most sequence headers kept per kind (one per Enhanced RTMP track and packet kind). */
const MAX_CONFIGS = 32;
/**
 * Most bytes of sequence headers kept per kind (real ones are a few KiB); the oldest go first,
 * the newest is always kept.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Codec facts the API shows (the publisher's session keeps them up to date). */
export interface StreamCodecs {
  readonly video: { readonly codec: string | null };
  readonly audio: { readonly codec: string | null };
}

/** What {@linkcode LiveStream} is made from. */
export interface LiveStreamInit {
  /** `app/name`. */
  readonly key: string;
  readonly app: string;
  readonly name: string;
  /** The publisher's session id. */
  readonly publisherId: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** GOP cache bound in bytes (0 turns it off). */
  readonly gopCacheBytes: number;
  /** The server-wide GOP cache bound this stream's cache is booked in; none by default. */
  readonly gopBudget?: GopBudget;
  /** Wall time in ms (`clock.now`), for how long the publisher has been silent. */
  readonly now?: () => number;
  /** Live codec facts. */
  readonly codecs: StreamCodecs;
  /** Told when a consumer threw and was cut off. */
  readonly onConsumerError?: (consumer: StreamConsumer, error: unknown) => void;
  /** Told after a consumer was attached or detached. */
  readonly onConsumersChanged?: (stream: LiveStream) => void;
}

/** A live stream as the API shows it. */
export interface StreamView {
  readonly key: string;
  readonly app: string;
  readonly name: string;
  readonly publisherId: string;
  readonly startedAt: string;
  readonly videoCodec: string | null;
  readonly audioCodec: string | null;
  readonly consumers: Record<ConsumerKind, number>;
  readonly gopCacheBytes: number;
}

/** A live stream: what a new consumer needs first, and the consumers. */
export class LiveStream {
  readonly key: string;
  readonly app: string;
  readonly name: string;
  readonly publisherId: string;
  readonly startedAt: string;
  #init: LiveStreamInit;
  #metadata: MediaMessage | null = null;
  /** Sequence headers (and colour metadata), one per config key, oldest first, per kind. */
  #configs: Record<"video" | "audio", MediaMessage[]> = { video: [], audio: [] };
  #gop: GopCache;
  /** Made at the first attach: most streams of a small-stream edge are never watched. */
  #consumers: Map<string, StreamConsumer> | null = null;
  #counts = noConsumers();
  /** Consumers that keep the messages they take (not {@linkcode StreamConsumer.copiesOnTake}). */
  #keepers = 0;
  #ended: string | null = null;
  #unflushed = false;
  #lastMessageAt: number;

  /** Opens a stream with no consumers. */
  constructor(init: LiveStreamInit) {
    this.#init = init;
    this.key = init.key;
    this.app = init.app;
    this.name = init.name;
    this.publisherId = init.publisherId;
    this.startedAt = init.startedAt;
    this.#gop = new GopCache(init.gopCacheBytes, {
      ...(init.gopBudget === undefined ? {} : { budget: init.gopBudget }),
      watched: () => this.watched,
    });
    this.#lastMessageAt = init.now?.() ?? 0;
  }

  /** Ms since the publisher last sent a message (or since the stream opened). */
  silentMs(): number {
    const now = this.#init.now;
    return now === undefined ? 0 : now() - this.#lastMessageAt;
  }

  /** Why the stream ended, or null while it is live. */
  get ended(): string | null {
    return this.#ended;
  }

  /** The consumers now attached. */
  consumers(): IterableIterator<StreamConsumer> {
    return this.#consumers?.values() ?? ([] as StreamConsumer[]).values();
  }

  /** Whether a player or a relay is attached (a recording alone does not need the GOP). */
  get watched(): boolean {
    return (this.#consumers?.size ?? 0) > this.#counts.recording;
  }

  /** How many consumers of `kind` are attached. */
  count(kind: ConsumerKind): number {
    return this.#counts[kind];
  }

  /** How many players (RTMP and HTTP-FLV) are attached. */
  get players(): number {
    return this.#counts["rtmp-player"] + this.#counts["http-flv-player"];
  }

  /**
   * Takes one message from the publisher and hands it to every consumer. Its body may be a
   * parser's view, valid only during the call: it is copied once, and only when something
   * keeps it (a consumer, the GOP cache, the stream's metadata or sequence headers); consumers
   * that copy on take (a recording) get the view itself. `now` is when it arrived (default:
   * the stream's clock).
   */
  publish(view: MediaMessage, now?: number): void {
    if (this.#ended !== null) return;
    this.#unflushed = true;
    if (now !== undefined) this.#lastMessageAt = now;
    else if (this.#init.now !== undefined) this.#lastMessageAt = this.#init.now();
    const consumers = this.#consumers;
    const consumed = consumers !== null && consumers.size > 0;
    let msg: MediaMessage | null;
    if (view.kind === "data" || view.config) {
      msg = ownedMessage(view);
      if (msg.kind === "data") this.#metadata = msg;
      else this.#keepConfig(msg, this.#configs[msg.kind]);
    } else {
      // The GOP cache copies into its own store; consumers share that copy.
      msg = this.#gop.take(view, consumed);
      if (msg === null && consumed) msg = this.#keepers > 0 ? ownedMessage(view) : view;
    }
    if (msg === null || !consumed) return;
    for (const c of consumers.values()) this.#give(c, msg);
  }

  /**
   * Takes an audio or video message that is not a config, arrived at `now`, when nothing would
   * keep or take it (no consumer, the GOP cache closed, not a key frame): counts it as
   * {@linkcode publish} would, without the message being made. False when it must be published.
   */
  passBy(kind: "audio" | "video", keyframe: boolean, bytes: number, now: number): boolean {
    if (this.#ended !== null) return true;
    if (this.#consumers !== null && this.#consumers.size > 0) return false;
    if (!this.#gop.passBy(kind, keyframe, bytes)) return false;
    this.#unflushed = true;
    this.#lastMessageAt = now;
    return true;
  }

  /** Whether messages were published since the last {@linkcode LiveStream.flush}. */
  get unflushed(): boolean {
    return this.#unflushed;
  }

  /**
   * The publisher's read (or several, merged) is done: every consumer that held back messages
   * since the last flush (an RTMP player writes them in one write) sends them now. The
   * publisher calls it after each read that published, or a few ms later (`FlushPacer`); a
   * no-op when nothing was published since the last one.
   */
  flush(): void {
    if (!this.#unflushed) return;
    this.#unflushed = false;
    if (this.#consumers === null) return;
    for (const c of this.#consumers.values()) {
      if (c.flush === undefined) continue;
      try {
        c.flush();
      } catch (e) {
        this.#cutOff(c, e);
      }
    }
  }

  /**
   * Attaches a consumer: it gets the metadata, the sequence headers and the cached GOP at
   * once, then every message as it comes. On an ended stream it is told the end at once.
   */
  attach(consumer: StreamConsumer): void {
    if (this.#ended !== null) {
      consumer.end(this.#ended);
      return;
    }
    for (const m of this.startMessages()) if (!this.#give(consumer, m)) return;
    this.#remove(consumer.id);
    (this.#consumers ??= new Map()).set(consumer.id, consumer);
    this.#counts[consumer.kind]++;
    if (consumer.copiesOnTake !== true) this.#keepers++;
    this.#init.onConsumersChanged?.(this);
  }

  /**
   * What a consumer starting now needs before live messages: the metadata, the sequence
   * headers, then the cached GOP from its key frame (a relay that reconnects replays these).
   */
  startMessages(): MediaMessage[] {
    const out: MediaMessage[] = [];
    if (this.#metadata !== null) out.push(this.#metadata);
    out.push(...this.#configs.video, ...this.#configs.audio);
    out.push(...this.#gop.messages);
    return out;
  }

  /**
   * Keeps a config message under its key (the newest replaces); at most 32 keys and
   * {@linkcode MAX_CONFIG_BYTES} per kind, the oldest dropped first.
   */
  #keepConfig(msg: MediaMessage, configs: MediaMessage[]): void {
    const key = msg.configKey ?? msg.kind;
    const at = configs.findIndex((m) => (m.configKey ?? m.kind) === key);
    if (at >= 0) configs.splice(at, 1);
    configs.push(msg);
    let bytes = 0;
    for (const m of configs) bytes += m.body.length;
    // The newest (last) always stays.
    while (configs.length > 1 && (configs.length > MAX_CONFIGS || bytes > MAX_CONFIG_BYTES)) {
      bytes -= configs.shift()!.body.length;
    }
  }

  /** Detaches a consumer (it is not told anything). */
  detach(id: string): void {
    if (this.#remove(id)) this.#init.onConsumersChanged?.(this);
  }

  /** Forgets the consumer `id`; whether it was attached. */
  #remove(id: string): boolean {
    const consumers = this.#consumers;
    const c = consumers?.get(id);
    if (consumers === null || c === undefined) return false;
    consumers.delete(id);
    this.#counts[c.kind]--;
    if (c.copiesOnTake !== true) this.#keepers--;
    return true;
  }

  /** Ends the stream: every consumer is told `reason` and detached. Idempotent. */
  end(reason: string): void {
    if (this.#ended !== null) return;
    this.#ended = reason;
    this.#gop[Symbol.dispose]();
    const all = [...this.consumers()];
    this.#consumers?.clear();
    this.#counts = noConsumers();
    this.#keepers = 0;
    if (all.length > 0) this.#init.onConsumersChanged?.(this);
    for (const c of all) {
      try {
        c.end(reason);
      } catch (e) {
        this.#init.onConsumerError?.(c, e);
      }
    }
  }

  /** The stream as the API shows it. */
  view(): StreamView {
    const consumers = { ...this.#counts };
    return {
      key: this.key,
      app: this.app,
      name: this.name,
      publisherId: this.publisherId,
      startedAt: this.startedAt,
      videoCodec: this.#init.codecs.video.codec,
      audioCodec: this.#init.codecs.audio.codec,
      consumers,
      gopCacheBytes: this.#gop.bytes,
    };
  }

  /** Gives one message to one consumer; a consumer that throws is cut off. */
  #give(c: StreamConsumer, msg: MediaMessage): boolean {
    try {
      c.take(msg);
      return true;
    } catch (e) {
      this.#cutOff(c, e);
      return false;
    }
  }

  /** Detaches a consumer that threw `e`, reports it and ends it. */
  #cutOff(c: StreamConsumer, e: unknown): void {
    if (this.#remove(c.id)) this.#init.onConsumersChanged?.(this);
    this.#init.onConsumerError?.(c, e);
    try {
      c.end(`Consumer failed: ${e instanceof Error ? e.message : String(e)}`);
    } catch { /* already reported */ }
  }
}

/** Zero consumers of every kind. */
function noConsumers(): Record<ConsumerKind, number> {
  return { "recording": 0, "relay": 0, "rtmp-player": 0, "http-flv-player": 0 };
}
