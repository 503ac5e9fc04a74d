/**
 * Starts this edge's cluster part on Redis: the store's connection and the heartbeat,
 * wired to each other.
 * @module
 */

import { Cluster, type ClusterOptions, HEARTBEAT_MS, TTL_HEARTBEATS } from "./cluster.ts";
import { connectRedisStore } from "./store.ts";

/** Options for {@linkcode startCluster}: the cluster's, with Redis's address instead of a store. */
export type StartClusterOptions = Omit<ClusterOptions, "store"> & {
  /** `redis://…` (never logged: it may hold a password). */
  readonly url: string;
};

/** Connects to Redis in the background and starts the heartbeat. */
export function startCluster(o: StartClusterOptions): Cluster {
  const { url, ...options } = o;
  const heartbeatMs = o.heartbeatMs ?? HEARTBEAT_MS;
  let cluster: Cluster | null = null;
  const store = connectRedisStore({
    url,
    ttlMs: heartbeatMs * TTL_HEARTBEATS,
    onDrop: (n) => cluster?.onDrop(n),
    onConnection: (e) => cluster?.connection(e),
  });
  cluster = new Cluster({ ...options, store, heartbeatMs });
  cluster.start();
  o.log.info("Cluster: edge {edge}, entries live {ttl} ms without a heartbeat", {
    edge: o.edgeId,
    ttl: heartbeatMs * TTL_HEARTBEATS,
  });
  return cluster;
}
