/**
 * The HTTP front: a TCP listener that times request headers and caps connections whose headers
 * are still arriving, then hands each connection to `Deno.serve` on a private loopback port and
 * copies bytes both ways. Deno 2.9's `Deno.serve` has neither a header timeout nor such a cap
 * (a half-sent request holds its socket for good) and closes a malformed chunked body without an
 * answer; `node:http` under Deno ignores `headersTimeout` and `requestTimeout`.
 * @module
 */

import { Admission } from "../session/admission.ts";
import { type FramingError, RequestFraming } from "./request_framing.ts";

/** Options for {@linkcode listenHttp}. */
export interface HttpListenerOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Each request's head must arrive within this many ms (the first from accept). */
  readonly headerTimeoutMs: number;
  /** Most connections at once whose request head is arriving; past it the oldest is closed. */
  readonly maxPendingRequests: number;
  /** Answers requests. */
  readonly handler: (req: Request) => Response | Promise<Response>;
  /**
   * The request header that carries the client's `host:port` to the handler (default
   * `x-rtmp-edge-peer`); a value the client sent itself is replaced.
   */
  readonly peerHeader?: string;
  /** Told when a limit closes a connection. */
  readonly onLimit?: (remote: string, reason: string) => void;
  /** Most connections open at once; past it a new one is closed at accept (default 1024). */
  readonly maxConnections?: number;
  /** Most connections open at once from one non-loopback address (default 16). */
  readonly maxConnectionsPerIp?: number;
  /**
   * Closes a connection whose client takes no bytes of an answer for this many ms (default:
   * never), so that a client that stopped reading a long streaming answer lets its socket go.
   */
  readonly writeStallMs?: number;
}

/** A listening HTTP front. */
export interface HttpListener extends AsyncDisposable {
  /** The address actually bound. */
  readonly addr: Deno.NetAddr;
  /** Stops accepting, lets answers in flight finish, closes every connection. */
  shutdown(): Promise<void>;
}

/** The default header that carries the client's address to the handler. */
export const PEER_HEADER = "x-rtmp-edge-peer";

/** Bytes read at once, each way, per connection. */
const COPY_BUFFER_BYTES = 16 * 1024;

/**
 * Listens for HTTP on `hostname:port` with a request-header timeout and a cap on pending
 * requests; malformed request framing (e.g. a bad chunk-size line) gets 400 JSON, a head past
 * 64 KiB 431 JSON, and a first request whose head times out 408 JSON.
 */
export function listenHttp(options: HttpListenerOptions): HttpListener {
  // The handler runs on a loopback port only the front connects to; the front's local port
  // of each backend connection names the client it carries.
  const peers = new Map<number, string>();
  const peerHeader = options.peerHeader ?? PEER_HEADER;
  const backend = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req, info) => {
      const peer = peers.get(info.remoteAddr.port);
      const headers = new Headers(req.headers);
      if (peer === undefined) headers.delete(peerHeader);
      else headers.set(peerHeader, peer);
      // A new request from parts: copying `req` itself would touch its signal, which makes
      // Deno print a warning about its legacy abort behaviour.
      const init: RequestInit & { duplex?: "half" } = { method: req.method, headers };
      if (req.body !== null) {
        init.body = req.body;
        init.duplex = "half";
      }
      return options.handler(new Request(req.url, init));
    },
  );
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const pending = new Set<FrontConnection>();
  const open = new Set<FrontConnection>();
  const ctx: FrontContext = { options, backendPort: backend.addr.port, pending, peers };
  const admission = new Admission({
    maxConnections: options.maxConnections ?? 1024,
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? 16,
  });
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (e instanceof Deno.errors.BadResource) return; // closed by shutdown
        continue; // a peer that reset before accept: that one only
      }
      const host = conn.remoteAddr.hostname;
      const refusal = admission.admit(host);
      if (refusal !== null) {
        options.onLimit?.(`${host}:${conn.remoteAddr.port}`, refusal);
        conn.close();
        continue;
      }
      const front = new FrontConnection(conn, ctx);
      open.add(front);
      front.run().finally(() => {
        open.delete(front);
        admission.release(host);
      });
    }
  })();
  let stopped: Promise<void> | undefined;
  const shutdown = () =>
    stopped ??= (async () => {
      listener.close();
      await accepting;
      for (const front of open) if (!front.handedOver) front.close();
      await backend.shutdown();
      await Promise.all([...open].map((f) => f.done));
    })();
  return {
    addr: listener.addr,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

interface FrontContext {
  readonly options: HttpListenerOptions;
  /** The handler's loopback port. */
  readonly backendPort: number;
  /** Backend connections' local ports → the clients they carry. */
  readonly peers: Map<number, string>;
  /** Connections whose request head is arriving, oldest first. */
  readonly pending: Set<FrontConnection>;
}

/** One client connection: frames its requests, then relays it to the backend. */
class FrontConnection {
  readonly #client: Deno.TcpConn;
  readonly #ctx: FrontContext;
  readonly #remote: string;
  readonly #framing = new RequestFraming();
  readonly #done = Promise.withResolvers<void>();
  #backend: Deno.TcpConn | null = null;
  /** Bytes of the first request, held until its head is complete. */
  #early: Uint8Array[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedRequest = 0;
  /** Whether the backend has sent anything since the current request began. */
  #answered = false;
  /** Set while a JSON error answer is being sent: the backend no longer speaks. */
  #answering = false;
  #closed = false;

  constructor(client: Deno.TcpConn, ctx: FrontContext) {
    this.#client = client;
    this.#ctx = ctx;
    this.#remote = `${client.remoteAddr.hostname}:${client.remoteAddr.port}`;
  }

  /** Settles once both directions have stopped and both sockets are closed. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Whether the backend has the connection (then its shutdown ends it). */
  get handedOver(): boolean {
    return this.#backend !== null;
  }

  async run(): Promise<void> {
    this.#track();
    try {
      await this.#clientToBackend();
    } finally {
      if (this.#backend === null) this.close();
      else this.#closeBackendWrite();
      this.#settleWhenClosed();
    }
  }

  /** Closes both sockets; safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#untrack();
    if (this.#backend !== null) {
      const port = this.#backend.localAddr.port;
      if (this.#ctx.peers.get(port) === this.#remote) this.#ctx.peers.delete(port);
    }
    for (const c of [this.#client, this.#backend]) {
      try {
        c?.close();
      } catch { /* already closed */ }
    }
    this.#settleWhenClosed();
  }

  async #clientToBackend(): Promise<void> {
    const buf = new Uint8Array(COPY_BUFFER_BYTES);
    for (;;) {
      const n = await this.#client.read(buf).catch(() => null);
      if (n === null || this.#closed) return;
      const bytes = buf.subarray(0, n);
      const started = this.#framing.started;
      const error = this.#framing.feed(bytes);
      if (this.#framing.started !== started) this.#answered = false;
      if (error !== null) return await this.#refuse(error);
      this.#track();
      if (this.#backend === null) {
        this.#early.push(bytes.slice());
        if (this.#framing.inHead) continue;
        if (!await this.#connectBackend()) return;
      } else if (!await writeAll(this.#backend, bytes)) {
        return;
      }
    }
  }

  async #connectBackend(): Promise<boolean> {
    try {
      this.#backend = await Deno.connect({ hostname: "127.0.0.1", port: this.#ctx.backendPort });
      this.#backend.setNoDelay(true);
      this.#ctx.peers.set(this.#backend.localAddr.port, this.#remote);
    } catch {
      this.close();
      return false;
    }
    if (this.#closed) {
      this.#backend.close();
      return false;
    }
    const early = this.#early;
    this.#early = [];
    for (const b of early) if (!await writeAll(this.#backend, b)) return false;
    this.#backendToClient(this.#backend);
    return true;
  }

  async #backendToClient(backend: Deno.TcpConn): Promise<void> {
    const buf = new Uint8Array(COPY_BUFFER_BYTES);
    for (;;) {
      const n = await backend.read(buf).catch(() => null);
      if (n === null || this.#answering) break;
      this.#answered = true;
      if (!await this.#writeToClient(buf.subarray(0, n))) break;
    }
    if (!this.#answering) this.close();
  }

  /** Writes an answer's bytes to the client, closing the connection if it stalls too long. */
  async #writeToClient(bytes: Uint8Array): Promise<boolean> {
    const ms = this.#ctx.options.writeStallMs;
    if (ms === undefined) return await writeAll(this.#client, bytes);
    const timer = setTimeout(() => this.#limit(`Client took no bytes for ${ms} ms`), ms);
    try {
      return await writeAll(this.#client, bytes);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the header timer and counts the connection as pending while a head arrives. */
  #track(): void {
    if (this.#closed) return;
    if (!this.#framing.inHead) return this.#untrack();
    if (this.#timedRequest === this.#framing.started) return;
    this.#untrack();
    this.#timedRequest = this.#framing.started;
    const { headerTimeoutMs, maxPendingRequests } = this.#ctx.options;
    this.#timer = setTimeout(() => this.#onHeaderTimeout(), headerTimeoutMs);
    const pending = this.#ctx.pending;
    pending.add(this);
    if (pending.size > maxPendingRequests) {
      const [oldest] = pending;
      if (oldest !== undefined) {
        oldest.#limit(`Over ${maxPendingRequests} requests with unfinished headers`);
      }
    }
  }

  #untrack(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timedRequest = 0;
    this.#ctx.pending.delete(this);
  }

  #onHeaderTimeout(): void {
    const ms = this.#ctx.options.headerTimeoutMs;
    const message = `Request headers not complete within ${ms} ms`;
    this.#ctx.options.onLimit?.(this.#remote, message);
    if (this.#backend !== null) return this.close();
    this.#untrack();
    void this.#answer({ status: 408, message });
  }

  #limit(reason: string): void {
    this.#ctx.options.onLimit?.(this.#remote, reason);
    this.close();
  }

  async #refuse(error: FramingError): Promise<void> {
    if (this.#answered) return this.close();
    await this.#answer(error);
  }

  /** Sends one JSON error answer with `Connection: close`, then closes. */
  async #answer(error: { status: number; message: string }): Promise<void> {
    this.#untrack();
    this.#answering = true;
    try {
      this.#backend?.close();
    } catch { /* already closed */ }
    this.#backend = null;
    await writeAll(this.#client, errorResponse(error.status, error.message));
    this.close();
  }

  #closeBackendWrite(): void {
    if (this.#closed || this.#backend === null) return;
    this.#backend.closeWrite().catch(() => {/* already closed */});
  }

  #settleWhenClosed(): void {
    if (this.#closed) this.#done.resolve();
  }
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  408: "Request Timeout",
  431: "Request Header Fields Too Large",
};

/** A complete HTTP/1.1 answer with a JSON `{"error": message}` body. */
function errorResponse(status: number, message: string): Uint8Array {
  const body = JSON.stringify({ error: message });
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}`,
    "Content-Type: application/json",
    `Content-Length: ${new TextEncoder().encode(body).length}`,
    "Connection: close",
  ];
  return new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n${body}`);
}

/** Writes all of `bytes`; false when the socket failed or was closed. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
    return true;
  } catch {
    return false;
  }
}
