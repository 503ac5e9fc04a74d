import assert from "node:assert/strict";
import { ProxyProtocolError } from "../../src/errors.ts";
import { encodeProxyHeader } from "../../src/proxy_protocol/encode.ts";
import {
  type ByteConn,
  clientAddress,
  readProxyHeader,
} from "../../src/proxy_protocol/read_header.ts";

/** A connection that hands out `chunks` one read each, then end of stream (or nothing). */
function scripted(chunks: Uint8Array[], hangAtEnd = false): ByteConn & { closed: boolean } {
  const queue = [...chunks];
  let wake: (() => void) | null = null;
  const conn = {
    closed: false,
    read(p: Uint8Array): Promise<number | null> {
      const next = queue.shift();
      if (next === undefined) {
        if (!hangAtEnd) return Promise.resolve(null);
        return new Promise((resolve) => wake = () => resolve(null));
      }
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
    write: (p: Uint8Array) => Promise.resolve(p.length),
    close() {
      conn.closed = true;
      wake?.();
    },
  };
  return conn;
}

async function readAll(conn: ByteConn): Promise<number[]> {
  const out: number[] = [];
  const buf = new Uint8Array(7);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return out;
    out.push(...buf.subarray(0, n));
  }
}

const HEADER = encodeProxyHeader({
  version: 2,
  command: "proxy",
  family: "tcp6",
  source: { address: "2001:db8::9", port: 7000 },
  destination: { address: "::1", port: 1935 },
});
const AFTER = [3, ...new Array<number>(20).fill(0x41)];

Deno.test("readProxyHeader() reads a header sent a byte at a time", async () => {
  const bytes = new Uint8Array([...HEADER, ...AFTER]);
  const conn = scripted([...bytes].map((b) => new Uint8Array([b])));
  const got = await readProxyHeader(conn, 1_000);
  assert.deepEqual(clientAddress(got.header, { hostname: "127.0.0.1", port: 1 }), {
    hostname: "2001:db8::9",
    port: 7000,
  });
  assert.deepEqual(await readAll(got.conn), AFTER);
});

Deno.test("readProxyHeader() keeps the bytes read past the header for the next protocol", async () => {
  const conn = scripted([
    new Uint8Array([...HEADER, ...AFTER.slice(0, 9)]),
    new Uint8Array(AFTER.slice(9)),
  ]);
  const got = await readProxyHeader(conn, 1_000);
  assert.deepEqual(await readAll(got.conn), AFTER);
});

Deno.test("readProxyHeader() says truncated when the peer closes inside the header", async () => {
  const conn = scripted([HEADER.subarray(0, 30)]);
  await assert.rejects(
    readProxyHeader(conn, 1_000),
    (e) =>
      e instanceof ProxyProtocolError &&
      /truncated: connection closed after 30 bytes/.test(e.message),
  );
});

Deno.test("readProxyHeader() gives up after its time when the header stops coming", async () => {
  const conn = scripted([HEADER.subarray(0, 10)], true);
  await assert.rejects(
    readProxyHeader(conn, 50),
    (e) => e instanceof ProxyProtocolError && /No whole PROXY header within 50 ms/.test(e.message),
  );
  conn.close(); // what the server does; it ends the pending read
});

Deno.test("clientAddress() keeps the socket's address for LOCAL", () => {
  const socket = { hostname: "127.0.0.1", port: 5 };
  assert.equal(clientAddress({ version: 2, command: "local", family: "unknown" }, socket), socket);
});
