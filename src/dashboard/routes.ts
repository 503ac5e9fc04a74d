/**
 * The dashboard's two routes on the admin listener: `GET /` (the page) and `GET /dashboard.js`
 * (its bundled script). Both are static and open; every figure the page shows comes from the
 * API, which keeps its bearer token.
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { dashboardPage, type PageConfig } from "./page.ts";

/** What the dashboard needs from the server. */
export interface DashboardOptions extends PageConfig {
  /** The bundled browser script (`build/dashboard.js`), or null when it was not built. */
  readonly script: Uint8Array | null;
}

/** Where `deno task build:dashboard` writes the script, relative to this module. */
export const DASHBOARD_SCRIPT_URL: URL = new URL("../../build/dashboard.js", import.meta.url);

/** Reads the bundled script, or null when it was not built. */
export function loadDashboardScript(url: URL = DASHBOARD_SCRIPT_URL): Uint8Array | null {
  try {
    return Deno.readFileSync(url);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** The page may load its own script and styles, talk to the API and the HTTP-FLV port. */
const CSP = [
  "default-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self' http: https:",
  "frame-ancestors 'none'",
].join("; ");

/** Adds `GET /` and `GET /dashboard.js` to `app`; call before the auth middleware. */
export function mountDashboard(app: OpenAPIHono, options: DashboardOptions): void {
  const page = dashboardPage({ flvPort: options.flvPort });
  app.get("/", (c) => {
    c.header("Content-Security-Policy", CSP);
    c.header("Cache-Control", "no-cache");
    return c.html(page);
  });
  app.get("/dashboard.js", (c) => {
    if (options.script === null) {
      return c.json({ error: "Dashboard not built: run deno task build:dashboard" }, 404);
    }
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "no-cache");
    return c.body(options.script.slice().buffer);
  });
}
