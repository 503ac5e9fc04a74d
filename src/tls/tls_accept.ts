/**
 * The server side of an RTMPS connection's TLS handshake, with a one-line reason when it fails.
 * The session's handshake timeout bounds it (the watchdog closes the connection).
 * @module
 */

import { TlsError } from "../errors.ts";
import type { TlsInfo } from "./tls_socket_conn.ts";

/**
 * Why a TLS handshake failed, worded for one log line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tlsFailure } from "./tls_accept.ts";
 *
 * const e = new Error("received corrupt message of type InvalidContentType");
 * assert.match(tlsFailure(e), /^Not TLS/);
 * ```
 */
export function tlsFailure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // The first byte is read as a record type: RTMP's 0x03 and HTTP's letters are not one.
  if (/InvalidContentType/.test(message)) {
    return `Not TLS (plain RTMP or HTTP sent to the RTMPS port?): ${message}`;
  }
  return `TLS handshake failed: ${message}`;
}

/** A connection that can run a TLS handshake (`TlsSocketConn`). */
export interface TlsHandshaker {
  handshake?(): Promise<TlsInfo>;
}

/**
 * Runs the TLS handshake; resolves to the TLS version (null when unknown), or throws
 * {@linkcode TlsError} with the reason.
 */
export async function startTls(conn: TlsHandshaker): Promise<string | null> {
  if (conn.handshake === undefined) throw new TlsError("Connection is not a TLS connection");
  try {
    return (await conn.handshake()).version;
  } catch (e) {
    // A socket closed under it (the handshake timeout, a shutdown) keeps the closer's reason.
    if (e instanceof Deno.errors.Interrupted || e instanceof Deno.errors.BadResource) throw e;
    throw new TlsError(tlsFailure(e), { cause: e });
  }
}
