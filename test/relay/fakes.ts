/**
 * Fakes for relay unit tests: timers run by hand, links that record what they were sent.
 * @module
 */

import type { MediaMessage } from "../../src/stream/media_message.ts";
import type { RelayLink } from "../../src/relay/relay_link.ts";
import type { CancelTimer, Timers } from "../../src/relay/timers.ts";

/** Timers that fire only when {@linkcode FakeTimers.fire} is called. */
export class FakeTimers implements Timers {
  #pending = new Map<number, { fn: () => void; ms: number }>();
  #next = 0;

  /** Delays asked for, in order. */
  readonly asked: number[] = [];

  /** Records the timer. */
  set(fn: () => void, ms: number): CancelTimer {
    const id = this.#next++;
    this.#pending.set(id, { fn, ms });
    this.asked.push(ms);
    return () => this.#pending.delete(id);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Fires every pending timer of `ms` (all of them when not given). */
  fire(ms?: number): void {
    for (const [id, t] of [...this.#pending]) {
      if (ms !== undefined && t.ms !== ms) continue;
      this.#pending.delete(id);
      t.fn();
    }
  }
}

/** A link that keeps what it was sent; the test ends it or makes it fail. */
export class FakeLink implements RelayLink {
  readonly sent: MediaMessage[] = [];
  readonly ended: Promise<void>;
  unpublished = false;
  closed = false;
  /** While set, sends wait for it (an origin that does not read). */
  stall: PromiseWithResolvers<void> | null = null;
  #end = Promise.withResolvers<void>();

  constructor() {
    this.ended = this.#end.promise;
  }

  async send(msg: MediaMessage): Promise<number> {
    if (this.closed) throw new Error("Link closed");
    if (this.stall !== null) await this.stall.promise;
    if (this.closed) throw new Error("Link closed");
    this.sent.push(msg);
    return msg.body.length + 12;
  }

  /** The origin went away. */
  drop(): void {
    this.#end.resolve();
  }

  unpublish(): Promise<void> {
    this.unpublished = true;
    this.closed = true;
    this.#end.resolve();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.stall?.resolve();
    this.#end.resolve();
    return Promise.resolve();
  }
}

/** A message of `kind` at `timestamp` with a body of `size` bytes. */
export function msg(
  kind: "audio" | "video" | "data",
  timestamp: number,
  opts: { keyframe?: boolean; config?: boolean; size?: number } = {},
): MediaMessage {
  return {
    kind,
    timestamp,
    body: new Uint8Array(opts.size ?? 10),
    keyframe: opts.keyframe ?? false,
    config: opts.config ?? false,
  };
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}
