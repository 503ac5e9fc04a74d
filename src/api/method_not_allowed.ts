/**
 * The 405 answer for a known path asked with a method it does not take.
 * @module
 */

import type { Handler } from "hono";

/**
 * A handler answering 405 JSON with an `Allow` header listing `allowed` (plus `HEAD` when
 * `GET` is there, since Hono answers HEAD from the GET route). Register it with `app.all(path, …)`
 * after the path's real routes, so it only catches the other methods.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { methodNotAllowed } from "./method_not_allowed.ts";
 *
 * const app = new Hono();
 * app.get("/x", (c) => c.text("x"));
 * app.all("/x", methodNotAllowed(["GET"]));
 * const res = await app.request("/x", { method: "POST" });
 * assert.equal(res.status, 405);
 * assert.equal(res.headers.get("Allow"), "GET, HEAD");
 * assert.deepEqual(await res.json(), { error: "Method POST not allowed on /x; allowed: GET, HEAD" });
 * ```
 */
export function methodNotAllowed(allowed: readonly string[]): Handler {
  const methods = allowed.includes("GET") && !allowed.includes("HEAD")
    ? [...allowed, "HEAD"]
    : [...allowed];
  const allow = methods.join(", ");
  return (c) => {
    c.header("Allow", allow);
    const error = `Method ${c.req.method} not allowed on ${c.req.path}; allowed: ${allow}`;
    return c.json({ error }, 405);
  };
}
