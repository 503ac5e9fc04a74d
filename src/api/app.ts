/**
 * The HTTP API: health and sessions, as JSON, over a read-only registry view.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import type { RegistryView } from "../session/registry.ts";
import type { StreamView } from "../stream/live_stream.ts";
import { mountDocs } from "./docs_page.ts";
import { methodNotAllowed } from "./method_not_allowed.ts";
import { type DashboardOptions, mountDashboard } from "../dashboard/routes.ts";
import {
  dropSessionRoute,
  getSessionRoute,
  healthzRoute,
  listSessionsRoute,
  listStreamsRoute,
  metricsRoute,
} from "./routes.ts";

/** What `GET /metrics` reads: the server's metrics in the Prometheus text format. */
export interface MetricsSource {
  /** The `Content-Type` of the text. */
  readonly contentType: string;
  /** The metrics, read now. */
  scrape(): Promise<string>;
}
import { type ClusterView, mountClusterRoutes } from "./cluster_routes.ts";

/** Options for {@linkcode createApp}. */
export interface ApiOptions {
  /** When set, every route but `/healthz` needs `Authorization: Bearer <token>`. */
  readonly token?: string | null;
  /** The server's version; `/healthz` shows it when set. */
  readonly version?: string;
  /** The live streams, for `GET /api/streams`. */
  readonly streams?: () => StreamView[];
  /** The live dashboard at `/` (open: it only loads the page; its data needs the token). */
  readonly dashboard?: DashboardOptions;
  /** The metrics for `GET /metrics` (404 without). */
  readonly metrics?: MetricsSource;
  /**
   * Loads the API reference page's script for `/docs`, on its first request (404 for the script
   * when absent or when it gives null).
   */
  readonly docsScript?: () => Uint8Array | null;
  /** This edge's cluster (`--cluster-redis`): `/api/cluster/*`, and its state in `/healthz`. */
  readonly cluster?: ClusterView;
}

/**
 * Middleware answering 401 JSON unless the request carries `Authorization: Bearer <token>`;
 * the token is compared in constant time.
 */
export function requireBearer(token: string): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null || !(await timingSafeEqual(m[1]!, token))) {
      c.header("WWW-Authenticate", 'Bearer realm="rtmp-edge"');
      return c.json({ error: "Unauthorized: send Authorization: Bearer <token>" }, 401);
    }
    await next();
  };
}

/**
 * Builds the API app. Every answer is JSON; errors are `{"error": "..."}` and a 500 never
 * carries a stack trace (it is logged instead).
 *
 * - `GET /healthz` → `{"ok": true, "version": "0.1.0"}` (no `version` when none was given)
 * - `GET /` and `GET /dashboard.js` → the live dashboard, when `dashboard` is given
 * - `GET /api/sessions` → `{"sessions": [...]}`
 * - `GET /api/streams` → `{"streams": [...]}`: live streams with codecs and consumers by kind
 * - `GET /api/sessions/:id` → the session, or 404
 * - `DELETE /api/sessions/:id` → `{"dropped": id}` once the session was asked to disconnect,
 *   or 404 when it is unknown or already closed
 * - `GET /metrics` → Prometheus text format
 * - `GET /api/cluster/streams`, `DELETE /api/cluster/streams/:app/:name` → the cluster's
 *   streams, when `cluster` is given (see {@linkcode mountClusterRoutes})
 * - `GET /openapi.json` → the OpenAPI 3.1 document of these routes; `GET /docs` → its reference
 *   page (both open, like `/healthz`: they hold no data)
 * - a known path with another method → 405 with an `Allow` header; an unknown path → 404
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 *
 * const view = { list: () => [], get: () => undefined, drop: () => false };
 * const app = createApp(view, { version: "0.1.0" });
 * const res = await app.request("/healthz");
 * assert.deepEqual(await res.json(), { ok: true, version: "0.1.0" });
 * ```
 */
export function createApp(view: RegistryView, options: ApiOptions = {}): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: `Bad request: ${result.error.message}` }, 400);
    },
  });
  const logger = getLogger(["rtmp-edge", "api"]);

  const health = options.version === undefined
    ? { ok: true as const }
    : { ok: true as const, version: options.version };
  const cluster = options.cluster;
  app.openapi(
    healthzRoute,
    (c) => c.json(cluster ? { ...health, cluster: cluster.health() } : health, 200),
  );
  app.all("/healthz", methodNotAllowed(["GET"]));
  if (options.dashboard !== undefined) mountDashboard(app, options.dashboard);
  mountOpenApi(app, options.version ?? "0.0.0", options.docsScript ?? (() => null));
  if (options.token != null) app.use("*", requireBearer(options.token));

  app.openapi(listSessionsRoute, (c) => c.json({ sessions: view.list() }, 200));
  app.openapi(listStreamsRoute, (c) => c.json({ streams: options.streams?.() ?? [] }, 200));
  app.all("/api/streams", methodNotAllowed(["GET"]));
  app.all("/api/sessions", methodNotAllowed(["GET"]));
  if (cluster !== undefined) mountClusterRoutes(app, cluster);

  app.openapi(getSessionRoute, (c) => {
    const { id } = c.req.valid("param");
    const session = view.get(id);
    if (session === undefined) return c.json({ error: `Session ${id} not found` }, 404);
    return c.json(session, 200);
  });

  app.openapi(dropSessionRoute, (c) => {
    const { id } = c.req.valid("param");
    if (view.drop(id)) return c.json({ dropped: id }, 200);
    const error = view.get(id) === undefined
      ? `Session ${id} not found`
      : `Session ${id} is already closed`;
    return c.json({ error }, 404);
  });
  app.all("/api/sessions/:id", methodNotAllowed(["GET", "DELETE"]));

  app.openapi(metricsRoute, async (c) => {
    const metrics = options.metrics;
    if (metrics === undefined) return c.json({ error: "This server keeps no metrics" }, 404);
    const text = await metrics.scrape();
    return c.text(text, 200, { "Content-Type": metrics.contentType });
  });
  app.all("/metrics", methodNotAllowed(["GET"]));

  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));

  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      return c.json({ error: err.message || `HTTP ${err.status}` }, err.status);
    }
    logger.error("{method} {path} failed: {error}", {
      method: c.req.method,
      path: c.req.path,
      error: err,
    });
    return c.json({ error: "Internal error" }, 500);
  });

  return app;
}

/** Adds `/openapi.json` (generated from the routes) and the `/docs` reference page. */
function mountOpenApi(
  app: OpenAPIHono,
  version: string,
  docsScript: () => Uint8Array | null,
): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "The --api-token, when the server has one",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "rtmp-edge admin API",
      version,
      description: "Sessions, live streams and metrics of an rtmp-edge server.",
    },
  });
  app.all("/openapi.json", methodNotAllowed(["GET"]));
  mountDocs(app, docsScript);
}
