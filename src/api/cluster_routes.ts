/**
 * The cluster routes of the API (`--cluster-redis`): every live stream of every edge, and
 * dropping a publisher on whichever edge holds it.
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ClusterHealth, ClusterStreamView } from "../cluster/cluster.ts";
import { methodNotAllowed } from "./method_not_allowed.ts";
import { dropClusterStreamRoute, listClusterStreamsRoute } from "./routes.ts";

/** What the routes read and ask of the cluster (the `Cluster` fits). */
export interface ClusterView {
  health(): ClusterHealth;
  /** Every live stream of every edge; throws while Redis is away. */
  list(): Promise<ClusterStreamView[]>;
  /** Drops the publisher of `key` wherever it is; null when no edge holds it. */
  drop(key: string, reason: string): Promise<ClusterStreamView | null>;
}

/**
 * Adds the routes under `/api/cluster` to `app` (and to its OpenAPI document):
 *
 * - `GET /api/cluster/streams` → `{"edgeId": "<this edge>", "streams": [{key, edgeId,
 *   sessionId, app, name, remoteAddr, videoCodec, audioCodec, bitrateKbps, since}, ...]}`
 * - `DELETE /api/cluster/streams/{app}/{name}` → `{"dropped": "app/name", "edgeId":
 *   "<holder>"}`, or 404 when no edge holds it
 * - 503 with the reason while Redis cannot be reached; 405 for other methods
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OpenAPIHono } from "@hono/zod-openapi";
 * import { mountClusterRoutes } from "./cluster_routes.ts";
 *
 * const app = new OpenAPIHono();
 * mountClusterRoutes(app, {
 *   health: () => ({ edgeId: "e1", state: "ok", reason: null }),
 *   list: () => Promise.resolve([]),
 *   drop: () => Promise.resolve(null),
 * });
 * const res = await app.request("/api/cluster/streams");
 * assert.deepEqual(await res.json(), { edgeId: "e1", streams: [] });
 * assert.equal((await app.request("/api/cluster/streams/live/x", { method: "DELETE" })).status, 404);
 * ```
 */
export function mountClusterRoutes(app: OpenAPIHono, cluster: ClusterView): void {
  const unavailable = (e: unknown) => ({
    error: `Cluster unavailable: ${e instanceof Error ? e.message : String(e)}`,
  });
  app.openapi(listClusterStreamsRoute, async (c) => {
    try {
      return c.json({ edgeId: cluster.health().edgeId, streams: await cluster.list() }, 200);
    } catch (e) {
      return c.json(unavailable(e), 503);
    }
  });
  app.all("/api/cluster/streams", methodNotAllowed(["GET"]));
  app.openapi(dropClusterStreamRoute, async (c) => {
    const { app, name } = c.req.valid("param");
    const key = `${app}/${name}`;
    const reason = `Dropped through the cluster API of edge ${cluster.health().edgeId}`;
    try {
      const held = await cluster.drop(key, reason);
      if (held === null) return c.json({ error: `No edge publishes ${key}` }, 404);
      return c.json({ dropped: key, edgeId: held.edgeId }, 200);
    } catch (e) {
      return c.json(unavailable(e), 503);
    }
  });
  app.all("/api/cluster/streams/:app/:name", methodNotAllowed(["DELETE"]));
}
