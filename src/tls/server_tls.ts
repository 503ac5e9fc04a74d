/**
 * The RTMPS side of TLS: the certificate pair in force, and the wrapping of an accepted TCP
 * connection in a server-side TLS socket. A reload swaps the pair for connections accepted
 * after it; sessions already open keep theirs.
 *
 * Why `node:tls` over a plain `Deno.listen` and not `Deno.listenTls`: closing a Deno 2.9
 * `TlsConn` whose handshake is pending does not close its TCP socket (it stays open until the
 * peer sends or leaves), so a client that never finishes TLS would keep a descriptor after its
 * handshake timeout; and a `Deno.listenTls` certificate cannot change without listening again.
 * `node:tls` over the accepted connection closes at once, tells the TLS version, and leaves
 * the plain TCP accept path (and what reads it first) the same for both ports.
 * @module
 */

import { createSecureContext, type SecureContext } from "node:tls";
import type { PemPair } from "./tls_files.ts";
import { TlsSocketConn } from "./tls_socket_conn.ts";

/**
 * Throws, naming the problem, when Deno's TLS stack refuses `pem` (unparsable, or a key that
 * is not the certificate's). `node:tls` would take such a pair and fail every handshake.
 */
export function checkPemPair(pem: PemPair): void {
  let probe: Deno.TlsListener;
  try {
    probe = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: pem.cert, key: pem.key });
  } catch (e) {
    throw new Error(`TLS certificate and key refused: ${e instanceof Error ? e.message : e}`);
  }
  probe.close();
}

/** The certificate pair new RTMPS connections get. */
export class ServerTls {
  #context: SecureContext;

  /** Checks `pem` (see {@linkcode checkPemPair}); throws when it is refused. */
  constructor(pem: PemPair) {
    this.#context = contextOf(pem);
  }

  /** Connections accepted from now on get `pem`; throws, keeping the old pair, when refused. */
  reload(pem: PemPair): void {
    this.#context = contextOf(pem);
  }

  /** Starts the server side of TLS over an accepted connection. */
  wrap(conn: Deno.Conn): TlsSocketConn {
    return new TlsSocketConn(conn, this.#context);
  }
}

function contextOf(pem: PemPair): SecureContext {
  checkPemPair(pem);
  return createSecureContext({ cert: pem.cert, key: pem.key });
}
