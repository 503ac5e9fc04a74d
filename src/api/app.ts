/**
 * The HTTP API: health and sessions, as JSON, over a read-only registry view.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import type { RegistryView } from "../session/registry.ts";
import type { StreamView } from "../stream/live_stream.ts";
import { methodNotAllowed } from "./method_not_allowed.ts";
import { type DashboardOptions, mountDashboard } from "../dashboard/routes.ts";

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
export function createApp(view: RegistryView, options: ApiOptions = {}): Hono {
  const app = new Hono();
  const logger = getLogger(["rtmp-edge", "api"]);

  const health = options.version === undefined
    ? { ok: true }
    : { ok: true, version: options.version };
  app.get("/healthz", (c) => c.json(health));
  app.all("/healthz", methodNotAllowed(["GET"]));
  if (options.dashboard !== undefined) mountDashboard(app, options.dashboard);
  if (options.token != null) app.use("*", requireBearer(options.token));

  app.get("/api/sessions", (c) => c.json({ sessions: view.list() }));
  app.get("/api/streams", (c) => c.json({ streams: options.streams?.() ?? [] }));
  app.all("/api/streams", methodNotAllowed(["GET"]));
  app.all("/api/sessions", methodNotAllowed(["GET"]));

  app.get("/api/sessions/:id", (c) => {
    const id = c.req.param("id");
    const session = view.get(id);
    if (session === undefined) return c.json({ error: `Session ${id} not found` }, 404);
    return c.json(session);
  });

  app.delete("/api/sessions/:id", (c) => {
    const id = c.req.param("id");
    if (view.drop(id)) return c.json({ dropped: id });
    const error = view.get(id) === undefined
      ? `Session ${id} not found`
      : `Session ${id} is already closed`;
    return c.json({ error }, 404);
  });
  app.all("/api/sessions/:id", methodNotAllowed(["GET", "DELETE"]));

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
