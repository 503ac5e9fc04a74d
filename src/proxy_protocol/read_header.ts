/**
 * Reads a PROXY protocol header off a fresh connection, within a time limit, and hands back
 * the connection with the bytes read past the header put back in front (they are the next
 * protocol's: an RTMP C0C1 often arrives in the same packet).
 * @module
 */

import { ProxyProtocolError } from "../errors.ts";
import { decodeProxyHeader } from "./decode.ts";
import type { ProxyHeader } from "./header.ts";
import { V2_FIXED_BYTES, V2_MAX_BODY_BYTES } from "./header.ts";

/** The part of a socket the reader uses (`Deno.Conn` fits). */
export interface ByteConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** A header and the connection to go on with. */
export interface ProxiedConn {
  readonly header: ProxyHeader;
  /** Reads the bytes that followed the header first, then the socket. */
  readonly conn: ByteConn;
}

/** Room for the longest header we accept. */
const MAX_HEADER_BYTES = V2_FIXED_BYTES + V2_MAX_BODY_BYTES;

/**
 * Reads the header of `conn`; throws {@linkcode ProxyProtocolError} when it is malformed,
 * cut short or not whole within `timeoutMs` (the caller closes the connection).
 */
export async function readProxyHeader(
  conn: ByteConn,
  timeoutMs: number,
): Promise<ProxiedConn> {
  const buf = new Uint8Array(MAX_HEADER_BYTES);
  let have = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProxyProtocolError(`No whole PROXY header within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      const n = await Promise.race([conn.read(buf.subarray(have)), late]);
      if (n === null) {
        throw new ProxyProtocolError(
          `PROXY header truncated: connection closed after ${have} bytes`,
        );
      }
      have += n;
      const got = decodeProxyHeader(buf.subarray(0, have));
      if (got !== null) {
        return { header: got.header, conn: prefixed(conn, buf.slice(got.length, have)) };
      }
      if (have === buf.length) throw new ProxyProtocolError(`PROXY header over ${have} bytes`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `conn` with `first` read before anything else.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefixed } from "./read_header.ts";
 *
 * const inner = { read: () => Promise.resolve(null), write: () => Promise.resolve(0), close() {} };
 * const c = prefixed(inner, new Uint8Array([1, 2, 3]));
 * const p = new Uint8Array(2);
 * assert.equal(await c.read(p), 2);
 * assert.equal(await c.read(p), 1);
 * assert.equal(await c.read(p), null);
 * ```
 */
export function prefixed(conn: ByteConn, first: Uint8Array): ByteConn {
  let rest = first;
  return {
    read(p) {
      if (rest.length === 0) return conn.read(p);
      const n = Math.min(p.length, rest.length);
      p.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return Promise.resolve(n);
    },
    write: (p) => conn.write(p),
    close: () => conn.close(),
  };
}

/** The client's address: the header's source, or the socket's own for LOCAL and UNKNOWN. */
export function clientAddress(
  header: ProxyHeader,
  socket: { readonly hostname: string; readonly port: number },
): { readonly hostname: string; readonly port: number } {
  if (header.family === "unknown") return socket;
  return { hostname: header.source.address, port: header.source.port };
}
