/**
 * Attaches a relay per `--push` target to each publish whose app is the target's app, and
 * keeps track of them until they stop.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import type { RelayInfo } from "../session/session_info.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import type { BackoffPolicy } from "./backoff.ts";
import { Relay } from "./relay.ts";
import { type Dial, dialRtmp } from "./relay_link.ts";
import { parsePushTarget, type PushTarget, pushUrl } from "./target.ts";
import { systemTimers, type Timers } from "./timers.ts";

/** What a {@linkcode RelayManager} needs. */
export interface RelayManagerOptions {
  /** `--push` targets, `rtmp[s]://host[:port]/app`. */
  readonly targets: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Queue bytes at which a relay starts skipping to the next key frame. */
  readonly maxQueueBytes: number;
  /** How relays connect (default: our RTMP client, 10 s timeout). */
  readonly dial?: Dial;
  /** PEM CA certificates trusted besides the system's for `rtmps://` origins (`--tls-ca`). */
  readonly caCerts?: readonly string[];
  readonly timers?: Timers;
  /** In `[0, 1)` (default `Math.random`). */
  readonly random?: () => number;
  readonly backoff?: BackoffPolicy;
}

/** The relays of every live publish. */
export class RelayManager {
  #o: RelayManagerOptions;
  #targets: PushTarget[];
  #running = new Set<Promise<void>>();

  /** Parses the targets; throws on one that is not `rtmp[s]://host[:port]/app`. */
  constructor(options: RelayManagerOptions) {
    this.#o = options;
    // The same origin given twice (or as `host` and `host:1935`) is pushed to once.
    const seen = new Set<string>();
    this.#targets = options.targets.map(parsePushTarget).filter((t) => {
      const key = pushUrl(t, "");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** Relays running now. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Starts a relay of `stream` to each target of its app (or of `targets`, the app's rules,
   * pushed whatever their app), and to each of `extra` (this publish's own targets, pushed
   * whatever their app), adding each relay's live figures to `infos` (the publisher session's
   * `relays`). An extra target that does not parse is logged and skipped; one that is already a
   * target is pushed to once.
   */
  attach(
    stream: LiveStream,
    infos: RelayInfo[],
    extra: readonly string[] = [],
    targets?: readonly PushTarget[],
  ): void {
    const base = targets ?? this.#targets.filter((t) => t.app === stream.app);
    const seen = new Set(base.map((t) => pushUrl(t, "")));
    const all = [...base];
    for (const url of extra) {
      let target: PushTarget;
      try {
        target = parsePushTarget(url);
      } catch (e) {
        this.#o.log.warning("Stream {key}: push target skipped: {error}", {
          key: stream.key,
          error: e instanceof Error ? e.message : String(e),
        });
        continue;
      }
      if (seen.has(pushUrl(target, ""))) continue;
      seen.add(pushUrl(target, ""));
      all.push(target);
    }
    for (const target of all) {
      const relay = new Relay({
        url: pushUrl(target, stream.name),
        startMessages: () => stream.startMessages(),
        dial: this.#o.dial ?? ((url) =>
          dialRtmp(url, {
            timeoutMs: 10_000,
            ...(this.#o.caCerts === undefined ? {} : { caCerts: this.#o.caCerts }),
          })),
        clock: this.#o.clock,
        timers: this.#o.timers ?? systemTimers,
        random: this.#o.random ?? Math.random,
        log: this.#o.log,
        maxQueueBytes: this.#o.maxQueueBytes,
        ...(this.#o.backoff === undefined ? {} : { backoff: this.#o.backoff }),
      });
      infos.push(relay.info);
      stream.attach(relay);
      relay.start();
      const done = relay.done.finally(() => this.#running.delete(done));
      this.#running.add(done);
    }
  }

  /** Resolves once every relay started so far has stopped (after their streams ended). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}
