/**
 * Starts this edge's cluster part on Redis: the store's connection and the heartbeat,
 * wired to each other.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { Cluster, type LocalStream, TTL_HEARTBEATS } from "./cluster.ts";
import { connectRedisStore } from "./store.ts";

/** Options for {@linkcode startCluster}. */
export interface StartClusterOptions {
  /** `redis://…` (never logged: it may hold a password). */
  readonly url: string;
  readonly edgeId: string;
  readonly local: () => LocalStream[];
  readonly dropLocal: (key: string, sessionId: string | null, reason: string) => boolean;
  readonly takeoverAfterMs: number;
  readonly log: Logger;
  /** Heartbeat period in ms (default 1 000); entries live {@linkcode TTL_HEARTBEATS} of these. */
  readonly heartbeatMs?: number;
}

/** Connects to Redis in the background and starts the heartbeat. */
export function startCluster(o: StartClusterOptions): Cluster {
  const heartbeatMs = o.heartbeatMs ?? 1_000;
  let cluster: Cluster | null = null;
  const store = connectRedisStore({
    url: o.url,
    ttlMs: heartbeatMs * TTL_HEARTBEATS,
    onDrop: (n) => cluster?.onDrop(n),
    onConnection: (e) => cluster?.connection(e),
  });
  cluster = new Cluster({
    store,
    edgeId: o.edgeId,
    local: o.local,
    dropLocal: o.dropLocal,
    takeoverAfterMs: o.takeoverAfterMs,
    log: o.log,
    heartbeatMs,
  });
  cluster.start();
  o.log.info("Cluster: edge {edge}, entries live {ttl} ms without a heartbeat", {
    edge: o.edgeId,
    ttl: heartbeatMs * TTL_HEARTBEATS,
  });
  return cluster;
}
