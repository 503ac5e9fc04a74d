import assert from "node:assert/strict";
import { missing } from "../interop/harness.ts";
import { ServerTls } from "../../src/tls/server_tls.ts";
import { readPemPair } from "../../src/tls/tls_files.ts";
import { HIGH_WATER, type TlsInfo, type TlsSocketConn } from "../../src/tls/tls_socket_conn.ts";
import { haveOpenssl, makeTestPki, type TestPki } from "./test_ca.ts";

const noOpenssl = missing("openssl", haveOpenssl());

/** A listener whose first connection is wrapped by `ServerTls`, and a TLS client to it. */
async function pair(pki: TestPki) {
  const tls = new ServerTls(readPemPair(pki.cert, pki.key));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    caCerts: [await Deno.readTextFile(pki.caCert)],
  });
  const server: TlsSocketConn = tls.wrap(await accepted);
  listener.close();
  return { client, server };
}

/**
 * Runs `fn` on a client and a `TlsSocketConn` that finished their handshake (the server's
 * TLS info passed along), then closes both ends (closing twice is fine).
 */
async function withPair(
  fn: (client: Deno.TlsConn, server: TlsSocketConn, info: TlsInfo) => Promise<void>,
) {
  await using pki = await makeTestPki();
  const { client, server } = await pair(pki);
  try {
    const [info] = await Promise.all([server.handshake(), client.handshake()]);
    await fn(client, server, info);
  } finally {
    try {
      client.close();
    } catch { /* closed */ }
    server.close();
  }
}

async function readAtLeast(conn: { read(p: Uint8Array): Promise<number | null> }, n: number) {
  const chunks: Uint8Array[] = [];
  let have = 0;
  const buf = new Uint8Array(16 * 1024);
  while (have < n) {
    const got = await conn.read(buf);
    if (got === null) break;
    chunks.push(buf.slice(0, got));
    have += got;
  }
  const out = new Uint8Array(have);
  let o = 0;
  for (const c of chunks) out.set(c, (o += c.length) - c.length);
  return out;
}

/**
 * Writes 64 KiB blocks with `write` until the writer stalls (nothing more goes out for
 * 300 ms). The loop ends when the connection closes: await `done` after closing it.
 */
async function floodUntilStalled(write: (block: Uint8Array) => Promise<number>) {
  const block = new Uint8Array(64 * 1024);
  let sent = 0;
  const done = (async () => {
    try {
      for (;;) sent += await write(block);
    } catch { /* closed at the end of the test */ }
  })();
  let last = -1;
  while (sent !== last) {
    last = sent;
    await new Promise((r) => setTimeout(r, 300));
  }
  return { sent: () => sent, done };
}

Deno.test({
  name: "TlsSocketConn carries bytes both ways and tells the TLS version",
  ignore: noOpenssl,
  async fn() {
    await withPair(async (client, server, info) => {
      assert.equal(info.version, "TLSv1.3");
      const up = crypto.getRandomValues(new Uint8Array(60_000));
      const writing = (async () => {
        let o = 0;
        while (o < up.length) o += await client.write(up.subarray(o));
      })();
      assert.deepEqual(await readAtLeast(server, up.length), up);
      await writing;
      const down = new TextEncoder().encode("S0S1S2 would go here");
      assert.equal(await server.write(down), down.length);
      assert.deepEqual(await readAtLeast(client, down.length), down);
    });
  },
});

Deno.test({
  name: "TlsSocketConn stops reading the socket past its high-water mark when nobody reads",
  ignore: noOpenssl,
  async fn() {
    await withPair(async (client, server) => {
      // The sender stalls once the server's queue and the socket buffers are full.
      const flood = await floodUntilStalled((b) => client.write(b));
      const stalled = flood.sent();
      assert.ok(stalled > HIGH_WATER, `only ${stalled} bytes went out`);
      assert.ok(
        server.queuedBytes < HIGH_WATER + 64 * 1024,
        `${server.queuedBytes} bytes queued, bound ${HIGH_WATER}`,
      );
      // Reading lets the sender go on: more than the queue and the socket buffers held arrives.
      const more = 4 * stalled;
      assert.equal((await readAtLeast(server, more)).length >= more, true);
      assert.ok(
        flood.sent() >= more,
        `the sender went on once the server read (${flood.sent()} bytes)`,
      );
      client.close();
      server.close();
      await flood.done;
    });
  },
});

Deno.test({
  name: "TlsSocketConn.close() mid-handshake closes the TCP connection at once",
  ignore: noOpenssl,
  async fn() {
    await using pki = await makeTestPki();
    const tls = new ServerTls(readPemPair(pki.cert, pki.key));
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const raw = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const server = tls.wrap(await accepted);
    listener.close();
    const handshake = server.handshake().then(() => "done", (e: Error) => e.name);
    await raw.write(new Uint8Array([0x16, 0x03, 0x01, 0x01, 0x00, 0x01])); // a ClientHello cut short
    server.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"open">((r) => timer = setTimeout(() => r("open"), 2_000));
    const eof = raw.read(new Uint8Array(64)).then((n) => n === null ? "eof" : `${n} bytes`);
    const seen = await Promise.race([eof, late]);
    clearTimeout(timer);
    raw.close();
    await eof.catch(() => {});
    assert.equal(seen, "eof");
    assert.notEqual(await handshake, "done");
  },
});

Deno.test({
  name: "ServerTls refuses a key of another certificate, naming the problem",
  ignore: noOpenssl,
  async fn() {
    await using pki = await makeTestPki();
    const good = readPemPair(pki.cert, pki.key);
    const tls = new ServerTls(good);
    assert.throws(
      () => tls.reload(readPemPair(pki.cert, pki.key2)),
      /^Error: TLS certificate and key refused: .*KeyMismatch/,
    );
    assert.throws(() => new ServerTls({ cert: good.cert, key: "not a key" }), /refused/);
  },
});

Deno.test({
  name: "TlsSocketConn.write() waits for a peer that does not read instead of buffering",
  ignore: noOpenssl,
  async fn() {
    await withPair(async (client, server) => {
      const flood = await floodUntilStalled((b) => server.write(b));
      // What the socket buffers hold, a few MiB: not everything the loop would have written.
      const written = flood.sent();
      assert.ok(written < 64 * 1024 * 1024, `${written} bytes taken without a reader`);
      client.close();
      server.close();
      await flood.done;
    });
  },
});
