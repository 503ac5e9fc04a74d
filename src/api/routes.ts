/**
 * The admin API's routes as OpenAPI route definitions: path, method, parameters and every
 * answer with its schema. `app.ts` binds handlers to them; the document at `/openapi.json` is
 * generated from them.
 * @module
 */

import { createRoute, z } from "@hono/zod-openapi";
import {
  ClusterDroppedSchema,
  ClusterStreamListSchema,
  ClusterStreamParams,
  DroppedSchema,
  ErrorSchema,
  HealthzSchema,
  SessionIdParams,
  SessionListSchema,
  SessionSchema,
  StreamListSchema,
} from "./schemas.ts";

function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

const unauthorized = {
  401: json(ErrorSchema, "The API token is set and the request has no valid bearer token"),
};

/** Bearer auth when `--api-token` is set, none otherwise. */
const security = [{ bearerAuth: [] }, {}];

/** `GET /healthz`: always open. */
export const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness and version",
  responses: { 200: json(HealthzSchema, "The server is up") },
});

/** `GET /api/sessions`. */
export const listSessionsRoute = createRoute({
  method: "get",
  path: "/api/sessions",
  summary: "Live sessions (oldest first), then recently closed ones (newest first)",
  security,
  responses: { 200: json(SessionListSchema, "The sessions"), ...unauthorized },
});

/** `GET /api/streams`. */
export const listStreamsRoute = createRoute({
  method: "get",
  path: "/api/streams",
  summary: "Live streams with codecs and consumers by kind",
  security,
  responses: { 200: json(StreamListSchema, "The live streams"), ...unauthorized },
});

/** `GET /api/sessions/{id}`. */
export const getSessionRoute = createRoute({
  method: "get",
  path: "/api/sessions/{id}",
  summary: "One live or recently closed session",
  security,
  request: { params: SessionIdParams },
  responses: {
    200: json(SessionSchema, "The session"),
    404: json(ErrorSchema, "No such session"),
    ...unauthorized,
  },
});

/** `DELETE /api/sessions/{id}`. */
export const dropSessionRoute = createRoute({
  method: "delete",
  path: "/api/sessions/{id}",
  summary: "Asks a live session to disconnect",
  security,
  request: { params: SessionIdParams },
  responses: {
    200: json(DroppedSchema, "The session was asked to disconnect"),
    404: json(ErrorSchema, "No such session, or it is already closed"),
    ...unauthorized,
  },
});

/** `GET /metrics`. */
export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  summary: "Prometheus metrics (text exposition format 0.0.4)",
  security,
  responses: {
    200: {
      description: "The metrics",
      content: { "text/plain": { schema: z.string() } },
    },
    404: json(ErrorSchema, "This server keeps no metrics"),
    ...unauthorized,
  },
});

const clusterUnavailable = {
  503: json(ErrorSchema, "The cluster's Redis cannot be reached"),
};

/** `GET /api/cluster/streams` (only with `--cluster-redis`). */
export const listClusterStreamsRoute = createRoute({
  method: "get",
  path: "/api/cluster/streams",
  summary: "Every live stream of every edge of the cluster (sorted by key)",
  security,
  responses: {
    200: json(ClusterStreamListSchema, "The cluster's live streams"),
    ...clusterUnavailable,
    ...unauthorized,
  },
});

/** `DELETE /api/cluster/streams/{app}/{name}` (only with `--cluster-redis`). */
export const dropClusterStreamRoute = createRoute({
  method: "delete",
  path: "/api/cluster/streams/{app}/{name}",
  summary: "Asks whichever edge holds the stream to drop its publisher",
  security,
  request: { params: ClusterStreamParams },
  responses: {
    200: json(ClusterDroppedSchema, "The holding edge was asked to drop the publisher"),
    404: json(ErrorSchema, "No edge publishes this stream"),
    ...clusterUnavailable,
    ...unauthorized,
  },
});
