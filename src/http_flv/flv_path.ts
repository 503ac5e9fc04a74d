/**
 * The HTTP-FLV request path: `/<app>/<name>.flv`, with app and name checked like a publish's.
 * @module
 */

import { validateName } from "../record/recording_path.ts";

/** What {@linkcode parseFlvPath} makes of a path. */
export type FlvPath =
  | { readonly ok: true; readonly app: string; readonly name: string; readonly key: string }
  | { readonly ok: false; readonly status: 400 | 404; readonly error: string };

/**
 * Reads `/<app>/<name>.flv` from a URL path as it came (still percent-encoded). A path of
 * another shape is 404; an app or name a publish would refuse (`..`, `%2f`, …) is 400.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlvPath } from "./flv_path.ts";
 *
 * assert.deepEqual(parseFlvPath("/live/cam.flv"), { ok: true, app: "live", name: "cam", key: "live/cam" });
 * assert.equal(parseFlvPath("/live/a%2fb.flv").ok, false);
 * ```
 */
export function parseFlvPath(path: string): FlvPath {
  const parts = path.split("/");
  const file = parts[2];
  if (parts.length !== 3 || parts[0] !== "" || file === undefined || !file.endsWith(".flv")) {
    return { ok: false, status: 404, error: `No stream at ${path}: play /<app>/<name>.flv` };
  }
  const app = validateName(parts[1]);
  const name = validateName(file.slice(0, -".flv".length));
  if (app === null || name === null) {
    return { ok: false, status: 400, error: `Invalid app or stream name in ${path}` };
  }
  return { ok: true, app, name, key: `${app}/${name}` };
}
