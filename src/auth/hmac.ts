/**
 * HMAC-signed publish URLs: the stream name carries `?exp=<unix seconds>&sig=<hex>`, where
 * `sig` is HMAC-SHA256(secret, `<app>/<name>:<exp>`) in lowercase hex.
 * @module
 */

import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { PublishAuthorizer, PublishRequest } from "./authorizer.ts";

/** What a signature covers. */
export interface SignedPublish {
  readonly app: string;
  readonly name: string;
  /** When the signature stops being accepted, in Unix seconds. */
  readonly exp: number;
}

/** The bytes of the signature length: SHA-256 gives 32. */
const SIG_BYTES = 32;
const EXP_PATTERN = /^\d{1,12}$/;
const SIG_PATTERN = /^[0-9a-fA-F]{64}$/;

/** The string that is signed for a publish: `<app>/<name>:<exp>`. */
export function signedString(p: SignedPublish): string {
  return `${p.app}/${p.name}:${p.exp}`;
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
 * quotes the query. The comparison takes the same time wherever the bytes differ.
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
export function verifyPublish(secret: string, req: PublishRequest, nowMs: number): string | null {
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
  const expected = mac(secret, { app: req.app, name: req.name, exp: Number(exp) });
  if (!timingSafeEqual(given, expected)) return "Bad signature";
  if (Number(exp) * 1000 < nowMs) return "Signature expired";
  return null;
}

/** Bytes of a hex string already checked to be of even length and hex digits only. */
function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A {@linkcode PublishAuthorizer} that lets in only publishes signed with `secret`, unexpired by `clock`. */
export function hmacAuthorizer(secret: string, clock: Clock): PublishAuthorizer {
  return (req) => verifyPublish(secret, req, clock.now());
}
