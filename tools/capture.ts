/**
 * A TCP relay in front of an RTMP server that records what each client sends: the raw
 * client-to-server bytes, handshake included. Used to make the parser fixtures in
 * `test/fixtures/captures/`.
 *
 * ```sh
 * deno task capture --listen 127.0.0.1:0 --upstream 127.0.0.1:1935 --out ffmpeg.bin \
 *   [--max-bytes N] [--connections 1]
 * ```
 *
 * The first connection is written to FILE, the second to FILE.2, and so on; the relay stops
 * after `--connections` connections have ended.
 * @module
 */

import { parseArgs } from "node:util";

/** Where recorded client bytes go, one sink per connection. */
export interface CaptureSink {
  /** Appends bytes; `bytes` is only valid during the call. */
  write(bytes: Uint8Array): Promise<void>;
  /** Called once when the connection has ended. */
  close(): Promise<void>;
}

/** Options for {@linkcode startRelay}. */
export interface RelayOptions {
  /** Address to listen on (127.0.0.1, port 0 picks a free one). */
  readonly listen: Deno.NetAddr | { hostname: string; port: number };
  /** The server to forward to. */
  readonly upstream: { hostname: string; port: number };
  /** Connections to relay before the listener closes (default 1). */
  readonly connections?: number;
  /** Most client bytes recorded per connection; the rest is still forwarded (default no limit). */
  readonly maxBytes?: number;
  /** Opens the sink for connection `index` (0-based). */
  readonly open: (index: number) => Promise<CaptureSink>;
}

/** What was recorded from one connection. */
export interface CaptureResult {
  /** 0-based connection number. */
  readonly index: number;
  /** Client bytes forwarded upstream. */
  readonly clientBytes: number;
  /** Client bytes recorded (at most `maxBytes`). */
  readonly recordedBytes: number;
  /** Server bytes forwarded to the client. */
  readonly serverBytes: number;
}

/** A running relay. */
export interface Relay extends AsyncDisposable {
  /** The port actually bound. */
  readonly port: number;
  /** Settles when `connections` connections have ended, with one result each. */
  readonly done: Promise<CaptureResult[]>;
  /** Stops listening and drops the connections in flight; resolves when all have ended. */
  close(): Promise<CaptureResult[]>;
}

/** Starts a recording relay; see {@linkcode RelayOptions}. */
export function startRelay(options: RelayOptions): Relay {
  const want = options.connections ?? 1;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const listener = Deno.listen({
    hostname: options.listen.hostname,
    port: options.listen.port,
    transport: "tcp",
  });
  const live = new Set<Deno.Conn>();
  const relays: Promise<CaptureResult>[] = [];
  let closed = false;
  const accepting = (async () => {
    try {
      while (relays.length < want) {
        const client = await listener.accept();
        const relay = relayOne(relays.length, client, { ...options, maxBytes, live });
        relay.catch(() => {}); // Reported through `done` and close().
        relays.push(relay);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted)) throw e;
    } finally {
      if (!closed) {
        closed = true;
        listener.close();
      }
    }
  })();
  const done = accepting.then(() => Promise.all(relays));
  done.catch(() => {}); // The caller sees it by awaiting `done` or close().
  return {
    port: (listener.addr as Deno.NetAddr).port,
    done,
    async close() {
      if (!closed) {
        closed = true;
        listener.close();
      }
      await accepting;
      for (const c of live) closeQuietly(c);
      return await Promise.all(relays);
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

interface RelayContext {
  readonly upstream: { hostname: string; port: number };
  readonly maxBytes: number;
  readonly open: (index: number) => Promise<CaptureSink>;
  /** Connections in flight, so that close() can drop them. */
  readonly live: Set<Deno.Conn>;
}

/** Relays one client to the upstream until both directions have ended. */
async function relayOne(
  index: number,
  client: Deno.Conn,
  ctx: RelayContext,
): Promise<CaptureResult> {
  ctx.live.add(client);
  const sink = await ctx.open(index);
  let upstream: Deno.Conn;
  try {
    upstream = await Deno.connect({ ...ctx.upstream, transport: "tcp" });
  } catch (e) {
    ctx.live.delete(client);
    closeQuietly(client);
    await sink.close();
    throw e;
  }
  ctx.live.add(upstream);
  let recorded = 0;
  const record = async (bytes: Uint8Array) => {
    const n = Math.min(bytes.length, ctx.maxBytes - recorded);
    if (n <= 0) return;
    recorded += n;
    await sink.write(bytes.subarray(0, n));
  };
  try {
    const [clientBytes, serverBytes] = await Promise.all([
      pump(client, upstream, record),
      pump(upstream, client, null),
    ]);
    return { index, clientBytes, recordedBytes: recorded, serverBytes };
  } finally {
    for (const c of [client, upstream]) {
      ctx.live.delete(c);
      closeQuietly(c);
    }
    await sink.close();
  }
}

/** Copies `from` to `to` until EOF or an error; then half-closes `to`. Returns bytes copied. */
async function pump(
  from: Deno.Conn,
  to: Deno.Conn,
  record: ((bytes: Uint8Array) => Promise<void>) | null,
): Promise<number> {
  const buf = new Uint8Array(64 * 1024);
  let total = 0;
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      const piece = buf.subarray(0, n);
      if (record !== null) await record(piece);
      for (let o = 0; o < n;) o += await to.write(piece.subarray(o));
      total += n;
    }
    await to.closeWrite().catch(() => {});
  } catch {
    // A reset or a write to a closed peer ends both directions.
    closeQuietly(from);
    closeQuietly(to);
  }
  return total;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** A sink writing to `path` (created or truncated). */
export async function fileSink(path: string): Promise<CaptureSink> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  return {
    async write(bytes) {
      for (let o = 0; o < bytes.length;) o += await file.write(bytes.subarray(o));
    },
    close() {
      file.close();
      return Promise.resolve();
    },
  };
}

/** The file connection `index` is written to: FILE, FILE.2, FILE.3, ... */
export function capturePath(out: string, index: number): string {
  return index === 0 ? out : `${out}.${index + 1}`;
}

function parseAddr(s: string, flag: string): { hostname: string; port: number } {
  const i = s.lastIndexOf(":");
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`The --${flag} flag must be HOST:PORT with a port in 0..65535: got ${s}`);
  }
  return { hostname: s.slice(0, i), port };
}

function positive(s: string | undefined, flag: string, fallback: number): number {
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`The --${flag} flag must be an integer of at least 1: got ${s}`);
  }
  return n;
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: "string", default: "127.0.0.1:0" },
      upstream: { type: "string", default: "127.0.0.1:1935" },
      out: { type: "string" },
      "max-bytes": { type: "string" },
      connections: { type: "string" },
    },
  });
  if (values.out === undefined) throw new RangeError("The --out FILE flag is required");
  const out = values.out;
  const relay = startRelay({
    listen: parseAddr(values.listen, "listen"),
    upstream: parseAddr(values.upstream, "upstream"),
    connections: positive(values.connections, "connections", 1),
    maxBytes: positive(values["max-bytes"], "max-bytes", Number.POSITIVE_INFINITY),
    open: (index) => fileSink(capturePath(out, index)),
  });
  console.log(`Listening on ${parseAddr(values.listen, "listen").hostname}:${relay.port}`);
  for (const r of await relay.done) {
    console.log(
      `Wrote ${capturePath(out, r.index)}: ${r.recordedBytes} of ${r.clientBytes} client bytes ` +
        `(${r.serverBytes} server bytes relayed)`,
    );
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    Deno.exit(2);
  }
}
