/**
 * A `--push` target (`rtmp://host[:port]/app`) and the URL a stream is pushed to there.
 * @module
 */

/** One origin to push to. */
export interface PushTarget {
  /** Over TLS (`rtmps://`). */
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  /** Publishes of this app are pushed, to the same app at the origin. */
  readonly app: string;
}

/**
 * Parses `rtmp[s]://[user@]host[:port]/app` (port 1935, or 443 for rtmps, by default). Any
 * user part is dropped: our client has no use for it and it must not reach the logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePushTarget } from "./target.ts";
 *
 * assert.deepEqual(parsePushTarget("rtmp://origin.example/live"), {
 *   tls: false,
 *   host: "origin.example",
 *   port: 1935,
 *   app: "live",
 * });
 * ```
 */
export function parsePushTarget(url: string): PushTarget {
  const m = /^(rtmps?):\/\/(?:[^@/]*@)?([^/:@]+)(?::(\d+))?\/([^/?#]+)\/?$/.exec(url);
  if (m === null) throw new TypeError(`Push target is not rtmp://host[:port]/app: ${url}`);
  const tls = m[1] === "rtmps";
  const port = m[3] === undefined ? (tls ? 443 : 1935) : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Push target port must be 1 to 65535: got ${m[3]}`);
  }
  return { tls, host: m[2]!, port, app: m[4]! };
}

/**
 * Where stream `name` goes at `target`: `rtmp[s]://host:port/app/name`, with no query
 * string (the publisher's, which may hold its key at this edge, stays here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePushTarget, pushUrl } from "./target.ts";
 *
 * const t = parsePushTarget("rtmp://10.0.0.2/live");
 * assert.equal(pushUrl(t, "cam1"), "rtmp://10.0.0.2:1935/live/cam1");
 * ```
 */
export function pushUrl(target: PushTarget, name: string): string {
  const at = name.indexOf("?");
  const bare = at < 0 ? name : name.slice(0, at);
  return `${target.tls ? "rtmps" : "rtmp"}://${target.host}:${target.port}/${target.app}/${bare}`;
}
