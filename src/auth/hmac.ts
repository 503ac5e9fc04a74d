/**
 * HMAC-signed publish URLs: the stream name carries `?exp=<unix seconds>&sig=<hex>`, where
 * `sig` is HMAC-SHA256(secret, `<app>/<name>:<exp>`) in lowercase hex. Play URLs sign
 * `play:<app>/<name>:<exp>`, so a viewer's URL cannot publish.
 * @module
 */

import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { PlayAuthorizer, PublishAuthorizer, PublishRequest } from "./authorizer.ts";

/** What a signature covers. */
export interface SignedPublish {
  readonly app: string;
  readonly name: string;
  /** When the signature stops being accepted, in Unix seconds. */
  readonly exp: number;
  /** What the signature lets its holder do (default `publish`). */
  readonly scope?: "publish" | "play";
}

/** How far in the future a signature's `exp` may lie by default: one day, in seconds. */
export const DEFAULT_MAX_TTL_S = 86_400;

/** The bytes of the signature length: SHA-256 gives 32. */
const SIG_BYTES = 32;
const EXP_PATTERN = /^\d{1,12}$/;
const SIG_PATTERN = /^[0-9a-fA-F]{64}$/;

/** The string that is signed: `<app>/<name>:<exp>` for a publish, `play:` before it for a play. */
export function signedString(p: SignedPublish): string {
  return `${p.scope === "play" ? "play:" : ""}${p.app}/${p.name}:${p.exp}`;
}

function mac(secret: string, p: SignedPublish): Uint8Array {
  return createHmac("sha256", secret).update(signedString(p)).digest();
}

/**
 * The hex HMAC-SHA256 of {@linkcode signedString} under `secret`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signature } from "./hmac.ts";
 *
 * assert.equal(signature("s", { app: "live", name: "cam", exp: 1 }).length, 64);
 * ```
 */
export function signature(secret: string, p: SignedPublish): string {
  return Array.from(mac(secret, p), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The stream name to publish with: `<name>?exp=<exp>&sig=<hex>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signName } from "./hmac.ts";
 *
 * assert.match(signName("s", { app: "live", name: "cam", exp: 1 }), /^cam\?exp=1&sig=[0-9a-f]{64}$/);
 * ```
 */
export function signName(secret: string, p: SignedPublish): string {
  return `${p.name}?exp=${p.exp}&sig=${signature(secret, p)}`;
}

/**
 * Checks a publish's signature at `nowMs`; null when it is good, else the reason, which never
 * quotes the query. The comparison takes the same time wherever the bytes differ. An `exp`
 * more than `maxTtlS` seconds ahead is refused: a leaked URL must not stay good for years.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signName, verifyPublish } from "./hmac.ts";
 *
 * const [name, query] = signName("s", { app: "live", name: "cam", exp: 100 }).split("?");
 * const req = { app: "live", name: name!, query: query! };
 * assert.equal(verifyPublish("s", req, 99_000), null);
 * assert.equal(verifyPublish("s", req, 101_000), "Signature expired");
 * ```
 */
export function verifyPublish(
  secret: string,
  req: Pick<PublishRequest, "app" | "name" | "query">,
  nowMs: number,
  opts: { readonly maxTtlS?: number; readonly scope?: "publish" | "play" } = {},
): string | null {
  if (req.query === null) return "Missing signature (exp and sig)";
  const params = new URLSearchParams(req.query);
  const exps = params.getAll("exp");
  const sigs = params.getAll("sig");
  if (exps.length === 0 || sigs.length === 0) return "Missing signature (exp and sig)";
  const [exp] = exps;
  const [sig] = sigs;
  if (exps.length !== 1 || exp === undefined || !EXP_PATTERN.test(exp)) {
    return "Malformed signature: exp must be one whole number of Unix seconds";
  }
  if (sigs.length !== 1 || sig === undefined || !SIG_PATTERN.test(sig)) {
    return `Malformed signature: sig must be ${SIG_BYTES * 2} hex digits`;
  }
  const given = hexBytes(sig);
  const scope = opts.scope ?? "publish";
  const expected = mac(secret, { app: req.app, name: req.name, exp: Number(exp), scope });
  if (!timingSafeEqual(given, expected)) return "Bad signature";
  if (Number(exp) * 1000 < nowMs) return "Signature expired";
  if (Number(exp) * 1000 > nowMs + (opts.maxTtlS ?? DEFAULT_MAX_TTL_S) * 1000) {
    return "Signature expiry too far in the future";
  }
  return null;
}

/** Bytes of a hex string already checked to be of even length and hex digits only. */
function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A {@linkcode PublishAuthorizer} that lets in only publishes signed with `secret`, unexpired
 * by `clock` and with an `exp` at most `maxTtlS` ahead.
 */
export function hmacAuthorizer(
  secret: string,
  clock: Clock,
  maxTtlS = DEFAULT_MAX_TTL_S,
): PublishAuthorizer {
  return (req) => {
    const reason = verifyPublish(secret, req, clock.now(), { maxTtlS });
    return reason === null ? { allow: true } : { allow: false, reason };
  };
}

/** A {@linkcode PlayAuthorizer} that lets in only plays signed (scope `play`) with `secret`. */
export function hmacPlayAuthorizer(
  secret: string,
  clock: Clock,
  maxTtlS = DEFAULT_MAX_TTL_S,
): PlayAuthorizer {
  return (req) => {
    const reason = verifyPublish(secret, req, clock.now(), { maxTtlS, scope: "play" });
    return reason === null ? { allow: true } : { allow: false, reason };
  };
}
