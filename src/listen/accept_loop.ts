/**
 * The accept loop every RTMP listener (plain and TLS) runs: accept, survive what one
 * connection or a short fd shortage does, hand each connection on.
 * @module
 */

import type { Logger } from "@logtape/logtape";

/** Pause after a failed accept (e.g. out of file descriptors) before the next. */
const ACCEPT_RETRY_MS = 100;

/** What {@linkcode acceptLoop} needs. */
export interface AcceptLoopOptions<C extends Deno.Conn> {
  readonly listener: Deno.Listener<C>;
  readonly log: Logger;
  /** Whether the listener was closed on purpose (then an accept error ends the loop quietly). */
  readonly closed: () => boolean;
  /** Takes each accepted connection; must not throw. */
  readonly onConn: (conn: C) => void;
}

/** Accepts until the listener is closed; resolves then. Never rejects. */
export async function acceptLoop<C extends Deno.Conn>(opts: AcceptLoopOptions<C>): Promise<void> {
  const { listener, log } = opts;
  for (;;) {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (e) {
      if (opts.closed() || e instanceof Deno.errors.BadResource) return; // the listener was closed
      if (
        e instanceof Deno.errors.NotConnected || e instanceof Deno.errors.ConnectionReset ||
        e instanceof Deno.errors.ConnectionAborted
      ) {
        // The peer gave up before we accepted (a reset): that one connection only.
        log.debug("Accept skipped a connection that was already gone: {error}", { error: e });
        continue;
      }
      // Out of file descriptors and the like: say so, wait a little, keep accepting.
      log.error("Accept failed: {error}", { error: e });
      await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
      continue;
    }
    opts.onConn(conn);
  }
}
