/**
 * `deno task sign`: a signed stream name for `--publish-auth hmac`.
 *
 * ```sh
 * RTMP_EDGE_HMAC_SECRET="$(cat /run/secrets/hmac)" deno task sign live/cam --ttl 3600
 * deno task sign live/cam --hmac-secret-file /run/secrets/hmac --url rtmp://example.com:1935
 * ```
 *
 * Prints `<name>?exp=<unix seconds>&sig=<hex>`, or with `--url` the whole publish URL. The
 * secret comes from `RTMP_EDGE_HMAC_SECRET` or `--hmac-secret-file`, never from a plain flag,
 * so it stays out of `ps` and shell history.
 * @module
 */

import { parseArgs } from "node:util";
import { signName } from "../src/auth/hmac.ts";
import { parseConfig } from "../src/config.ts";
import { rulesFor } from "../src/config/app_rules.ts";

const USAGE = `Usage: deno task sign <app>/<name> [--ttl S] [--url rtmp://host:port] [--play]

  --ttl S                    seconds the signature is good for (default 3600)
  --play                     sign for playing (--play-auth hmac), not publishing
  --url rtmp://host[:port]   print the whole publish URL, not just the stream name
  --hmac-secret-file FILE    read the secret from FILE (else RTMP_EDGE_HMAC_SECRET)
  --config FILE              use the secret the server's config file gives <app>
`;

/** What {@linkcode signCommand} reads besides its arguments. */
export interface SignIo {
  readonly env: (name: string) => string | undefined;
  readonly readTextFile: (path: string) => string;
  /** Milliseconds since the Unix epoch. */
  readonly now: () => number;
}

/**
 * Runs the command: the line to print, or the error (with usage) to show.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signCommand } from "./sign.ts";
 *
 * const io = { env: () => "s", readTextFile: () => "", now: () => 0 };
 * const r = signCommand(["live/cam", "--ttl", "60"], io);
 * assert.ok("line" in r);
 * assert.match(r.line, /^cam\?exp=60&sig=[0-9a-f]{64}$/);
 * ```
 */
export function signCommand(args: string[], io: SignIo): { line: string } | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        ttl: { type: "string" },
        url: { type: "string" },
        play: { type: "boolean" },
        "hmac-secret-file": { type: "string" },
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    return { error: `${e instanceof Error ? e.message.split("\n")[0] : e}\n\n${USAGE}` };
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { error: USAGE };
  const target = positionals.length === 1 ? positionals[0] : undefined;
  const m = target === undefined ? null : /^([^/?\s]+)\/([^/?\s]+)$/.exec(target);
  if (m === null || m[1] === undefined || m[2] === undefined) {
    return { error: `Give one <app>/<name>\n\n${USAGE}` };
  }
  const ttl = values.ttl === undefined ? 3600 : /^\d+$/.test(values.ttl) ? Number(values.ttl) : NaN;
  if (!Number.isSafeInteger(ttl) || ttl < 1) {
    return { error: `Invalid --ttl: expected a whole number of seconds >= 1, got "${values.ttl}"` };
  }
  const url = values.url?.replace(/\/$/, "");
  if (url !== undefined && !/^rtmps?:\/\/[^/\s?#]+$/.test(url)) {
    return { error: `Invalid --url: expected rtmp://host[:port], got "${values.url}"` };
  }
  const secret = values.config === undefined
    ? readSecret(values["hmac-secret-file"], io)
    : appSecret(values.config, m[1], io);
  if ("error" in secret) return secret;
  const exp = Math.floor(io.now() / 1000) + ttl;
  const scope = values.play === true ? "play" : "publish";
  const name = signName(secret.secret, { app: m[1], name: m[2], exp, scope });
  return { line: url === undefined ? name : `${url}/${m[1]}/${name}` };
}

/** The secret `app` signs with under the config file (its own, else the server-wide one). */
function appSecret(file: string, app: string, io: SignIo): { secret: string } | { error: string } {
  const env: Record<string, string | undefined> = {};
  for (const name of ["RTMP_EDGE_HMAC_SECRET", "RTMP_EDGE_HMAC_SECRET_FILE"]) {
    env[name] = io.env(name);
  }
  const parsed = parseConfig(["--config", file], env, { readTextFile: io.readTextFile });
  if (!("config" in parsed)) return { error: "error" in parsed ? parsed.error : USAGE };
  const secret = rulesFor(parsed.config, app).hmacSecret;
  if (secret === null) return { error: `No secret for app ${app} in ${file} or the environment` };
  return { secret };
}

function readSecret(file: string | undefined, io: SignIo): { secret: string } | { error: string } {
  let raw: string;
  if (file !== undefined) {
    try {
      raw = io.readTextFile(file).replace(/\r?\n$/, "");
    } catch (e) {
      return {
        error: `Cannot read --hmac-secret-file "${file}": ${e instanceof Error ? e.message : e}`,
      };
    }
  } else {
    raw = io.env("RTMP_EDGE_HMAC_SECRET") ?? "";
  }
  if (raw.trim() === "") {
    return { error: "No secret: set RTMP_EDGE_HMAC_SECRET or give --hmac-secret-file FILE" };
  }
  return { secret: raw };
}

if (import.meta.main) {
  const r = signCommand(Deno.args, {
    env: (name) => Deno.env.get(name),
    readTextFile: Deno.readTextFileSync,
    now: Date.now,
  });
  if ("line" in r) {
    console.log(r.line);
  } else {
    console.error(r.error);
    Deno.exit(2);
  }
}
