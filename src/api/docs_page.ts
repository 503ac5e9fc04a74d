/**
 * The interactive API reference at `/docs`: Scalar's page, with its script served by this server
 * from `build/` (copied out of the npm package at build time by `deno task build:docs`), so the
 * page loads nothing from a CDN.
 * @module
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { methodNotAllowed } from "./method_not_allowed.ts";

/** Where `/docs` loads its script from. */
export const DOCS_SCRIPT_ROUTE = "/docs/scalar.js";

/** The bundle `deno task build:docs` writes, relative to the repository root. */
export const DOCS_SCRIPT_URL = new URL("../../build/scalar-api-reference.js", import.meta.url);

/**
 * The reference page's script from `url`, or null (with the reason) when it was not built.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDocsScript } from "./docs_page.ts";
 *
 * const missing = readDocsScript(new URL("file:///nonexistent/scalar.js"));
 * assert.equal(missing.script, null);
 * ```
 */
export function readDocsScript(url: URL = DOCS_SCRIPT_URL): {
  script: Uint8Array | null;
  error: string | null;
} {
  try {
    return { script: Deno.readFileSync(url), error: null };
  } catch (e) {
    return { script: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Adds `GET /docs` (the page, reading `/openapi.json`) and `GET /docs/scalar.js` (its script,
 * loaded by `load` on the first request and kept, or 404 JSON saying how to build it).
 */
export function mountDocs(app: OpenAPIHono, load: () => Uint8Array | null): void {
  let script: Uint8Array | null | undefined;
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      cdn: DOCS_SCRIPT_ROUTE,
      pageTitle: "rtmp-edge admin API",
      withDefaultFonts: false,
    }),
  );
  app.all("/docs", methodNotAllowed(["GET"]));
  app.get(DOCS_SCRIPT_ROUTE, (c) => {
    if (script === undefined) script = load();
    if (script === null) {
      return c.json({ error: "API reference script not built: run deno task build:docs" }, 404);
    }
    c.header("Content-Type", "text/javascript; charset=utf-8");
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(script as Uint8Array<ArrayBuffer>);
  });
  app.all(DOCS_SCRIPT_ROUTE, methodNotAllowed(["GET"]));
}
