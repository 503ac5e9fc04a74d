/**
 * An accepted TCP connection with a server-side `node:tls` socket over it, as the connection
 * loop wants it: `read` into the caller's buffer, `write` resolving once the bytes are handed on,
 * `close` (at once, mid-handshake too), and the TLS `handshake`. Decrypted bytes wait in a small
 * queue; past {@linkcode HIGH_WATER} the connection is not read until the session has taken some,
 * so a session that reads slower than its peer sends holds at most about that much (the TCP
 * window pushes back on the peer). Pausing the TLS socket alone is not enough: Deno's `node:tls`
 * keeps pulling from the stream under it.
 * @module
 */

import { Duplex } from "node:stream";
import { type SecureContext, TLSSocket } from "node:tls";

/** Decrypted bytes queued before the TLS socket is paused. */
export const HIGH_WATER = 256 * 1024;

/** Bytes one read of the TCP connection takes at most. */
const READ_SIZE = 64 * 1024;

/** What the TLS handshake told. */
export interface TlsInfo {
  /** The negotiated version, e.g. `TLSv1.3`; null when unknown. */
  readonly version: string | null;
}

/** One accepted RTMPS connection. */
export class TlsSocketConn {
  /** The peer. */
  readonly remoteAddr: Deno.Addr;
  readonly #conn: Deno.Conn;
  readonly #tls: TLSSocket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  /** Set while reading the connection waits for the queue to drain. */
  #unblock: (() => void) | null = null;
  readonly #secure: Promise<TlsInfo>;

  /** Starts the TLS server side over `conn` with `context`. */
  constructor(conn: Deno.Conn, context: SecureContext) {
    this.#conn = conn;
    this.remoteAddr = conn.remoteAddr;
    const gate = () => this.#roomToRead();
    const tls = new TLSSocket(duplexOf(conn, gate), { isServer: true, secureContext: context });
    this.#tls = tls;
    this.#secure = new Promise<TlsInfo>((resolve, reject) => {
      tls.once("secure", () => resolve({ version: tls.getProtocol() ?? null }));
      tls.once("error", reject);
      tls.once(
        "close",
        () => reject(new Deno.errors.UnexpectedEof("Closed during the TLS handshake")),
      );
    });
    this.#secure.catch(() => {}); // whoever awaits handshake() or read() sees the error
    tls.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered >= HIGH_WATER) tls.pause();
      this.#poke();
    });
    tls.on("error", (e: Error) => {
      this.#error ??= e;
      this.#poke();
    });
    const end = () => {
      this.#ended = true;
      this.#poke();
    };
    tls.on("end", end);
    tls.on("close", end);
  }

  /** Decrypted bytes received and not yet read. */
  get queuedBytes(): number {
    return this.#buffered;
  }

  /** Resolves once the TLS handshake is done; rejects with its error. */
  handshake(): Promise<TlsInfo> {
    return this.#secure;
  }

  /** Copies queued bytes into `p`, waiting for some; null at the end of the stream. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#buffered === 0) {
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((r) => this.#wake = r);
    }
    let n = 0;
    while (n < p.length && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      const take = Math.min(head.length, p.length - n);
      p.set(head.subarray(0, take), n);
      n += take;
      if (take === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(take);
    }
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER) {
      if (this.#tls.isPaused()) this.#tls.resume();
      const unblock = this.#unblock;
      this.#unblock = null;
      unblock?.();
    }
    return n;
  }

  /** Writes all of `p`; resolves once the TLS socket took it, rejects when it failed. */
  write(p: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#tls.destroyed) return Promise.reject(new Deno.errors.BrokenPipe("Socket closed"));
    return new Promise((resolve, reject) => {
      this.#tls.write(p, (e) => e ? reject(e) : resolve(p.length));
    });
  }

  /** Closes the TLS socket and the connection under it at once. */
  close(): void {
    this.#ended = true;
    this.#tls.destroy();
    try {
      this.#conn.close();
    } catch { /* closed already */ }
    this.#poke();
    const unblock = this.#unblock;
    this.#unblock = null;
    unblock?.();
  }

  /** Resolves when the queue has room for more of the connection (at once when it has). */
  #roomToRead(): Promise<void> | null {
    if (this.#buffered < HIGH_WATER || this.#ended) return null;
    return new Promise((r) => this.#unblock = r);
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

/**
 * The TCP connection as the Duplex stream `node:tls` reads and writes ciphertext through; each
 * read of the connection first waits for `room` (the decrypted queue below its bound).
 */
function duplexOf(conn: Deno.Conn, room: () => Promise<void> | null): Duplex {
  // The stream asks for more only after the last push, so one buffer serves every read.
  const buf = new Uint8Array(READ_SIZE);
  return new Duplex({
    read() {
      const fill = () =>
        conn.read(buf).then(
          (n) => this.push(n === null ? null : buf.slice(0, n)),
          (e) => this.destroy(e instanceof Error ? e : new Error(String(e))),
        );
      const wait = room();
      if (wait === null) void fill();
      else void wait.then(fill);
    },
    write(chunk: Uint8Array, _encoding, done) {
      writeAll(conn, chunk).then(() => done(), done);
    },
    final(done) {
      conn.closeWrite().then(() => done(), () => done());
    },
    destroy(error, done) {
      try {
        conn.close();
      } catch { /* closed already */ }
      done(error);
    },
  });
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let o = 0;
  while (o < bytes.length) o += await conn.write(bytes.subarray(o));
}
