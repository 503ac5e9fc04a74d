/**
 * The server's version, from `deno.json`.
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/**
 * The `version` field of `deno.json`, e.g. `0.1.0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "./version.ts";
 *
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION: string = denoJson.version;
