/**
 * The cluster routes of the API (`--cluster-redis`): every live stream of every edge, and
 * dropping a publisher on whichever edge holds it.
 * @module
 */

import { Hono } from "hono";
import type { ClusterHealth, ClusterStreamView } from "../cluster/cluster.ts";
import { methodNotAllowed } from "./method_not_allowed.ts";

/** What the routes read and ask of the cluster (the `Cluster` fits). */
export interface ClusterView {
  health(): ClusterHealth;
  /** Every live stream of every edge; throws while Redis is away. */
  list(): Promise<ClusterStreamView[]>;
  /** Drops the publisher of `key` wherever it is; null when no edge holds it. */
  drop(key: string, reason: string): Promise<ClusterStreamView | null>;
}

/**
 * Routes under `/api/cluster`:
 *
 * - `GET /streams` → `{"edgeId": "<this edge>", "streams": [{key, edgeId, sessionId, app, name,
 *   remoteAddr, videoCodec, audioCodec, bitrateKbps, since}, ...]}`
 * - `DELETE /streams/:app/:name` → `{"dropped": "app/name", "edgeId": "<holder>"}`, or 404 when
 *   no edge holds it
 * - 503 with the reason while Redis cannot be reached
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clusterRoutes } from "./cluster_routes.ts";
 *
 * const app = clusterRoutes({
 *   health: () => ({ edgeId: "e1", state: "ok", reason: null }),
 *   list: () => Promise.resolve([]),
 *   drop: () => Promise.resolve(null),
 * });
 * const res = await app.request("/streams");
 * assert.deepEqual(await res.json(), { edgeId: "e1", streams: [] });
 * assert.equal((await app.request("/streams/live/x", { method: "DELETE" })).status, 404);
 * ```
 */
export function clusterRoutes(cluster: ClusterView): Hono {
  const app = new Hono();
  const unavailable = (e: unknown) => ({
    error: `Cluster unavailable: ${e instanceof Error ? e.message : String(e)}`,
  });
  app.get("/streams", async (c) => {
    try {
      return c.json({ edgeId: cluster.health().edgeId, streams: await cluster.list() });
    } catch (e) {
      return c.json(unavailable(e), 503);
    }
  });
  app.all("/streams", methodNotAllowed(["GET"]));
  app.delete("/streams/:app/:name", async (c) => {
    const key = `${c.req.param("app")}/${c.req.param("name")}`;
    const reason = `Dropped through the cluster API of edge ${cluster.health().edgeId}`;
    try {
      const held = await cluster.drop(key, reason);
      if (held === null) return c.json({ error: `No edge publishes ${key}` }, 404);
      return c.json({ dropped: key, edgeId: held.edgeId });
    } catch (e) {
      return c.json(unavailable(e), 503);
    }
  });
  app.all("/streams/:app/:name", methodNotAllowed(["DELETE"]));
  return app;
}
