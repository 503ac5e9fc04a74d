import assert from "node:assert/strict";
import { type HttpListenerOptions, listenHttp } from "../../src/api/http_listener.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A body that sends one chunk and then stays open until cancelled, like a live stream. */
function live(cancelled: PromiseWithResolvers<void>): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start: (c) => c.enqueue(enc.encode("first")),
    cancel: () => cancelled.resolve(),
  });
}

function start(over: Partial<HttpListenerOptions> = {}) {
  const limits: string[] = [];
  const cancelled = Promise.withResolvers<void>();
  const server = listenHttp({
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 5_000,
    maxPendingRequests: 64,
    handler: async (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/big") return new Response(new Uint8Array(3 << 20).fill(7));
      if (url.pathname === "/live") return new Response(live(cancelled));
      const body = req.body === null ? "" : await req.text();
      return Response.json({ method: req.method, path: url.pathname, body });
    },
    onLimit: (_remote, reason) => limits.push(reason),
    ...over,
  });
  return { server, limits, port: server.addr.port, cancelled: cancelled.promise };
}

async function connect(port: number, text = ""): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (text !== "") await conn.write(enc.encode(text));
  return conn;
}

/** Reads until the peer closes; returns what came and how long it took. */
async function readToEnd(conn: Deno.Conn): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) break;
    parts.push(buf.slice(0, n));
  }
  return { text: dec.decode(concat(parts)), ms: performance.now() - t0 };
}

/** Reads one response with a Content-Length body. */
async function readResponse(conn: Deno.Conn): Promise<{ head: string; body: Uint8Array }> {
  let got: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(65536);
  for (;;) {
    const end = dec.decode(got).indexOf("\r\n\r\n");
    if (end >= 0) {
      const head = dec.decode(got.subarray(0, end));
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
      const start = end + 4;
      if (got.length - start >= length) return { head, body: got.slice(start, start + length) };
    }
    const n = await conn.read(buf);
    assert.ok(n !== null, `connection closed mid-response: ${dec.decode(got)}`);
    got = concat([got, buf.subarray(0, n)]);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("listenHttp() answers a normal request", async () => {
  const { server, port } = start();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/x?y=1`, { method: "POST", body: "hi" });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { method: "POST", path: "/x", body: "hi" });
  } finally {
    await server.shutdown();
  }
});

Deno.test("listenHttp() serves several requests on one keep-alive connection", async () => {
  const { server, port } = start();
  const conn = await connect(port);
  try {
    for (const path of ["/a", "/b", "/c"]) {
      await conn.write(enc.encode(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
      const { head, body } = await readResponse(conn);
      assert.match(head, /^HTTP\/1\.1 200/);
      assert.equal(JSON.parse(dec.decode(body)).path, path);
    }
    const chunked = "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n";
    await conn.write(enc.encode(chunked));
    assert.equal(JSON.parse(dec.decode((await readResponse(conn)).body)).body, "abcde");
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("listenHttp() relays a large response whole, with a slow reader", async () => {
  const { server, port } = start();
  const conn = await connect(port, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  try {
    await new Promise((r) => setTimeout(r, 200)); // let the copy meet a full socket buffer
    const { text } = await readToEnd(conn);
    const at = text.indexOf("\r\n\r\n") + 4;
    assert.equal(text.length - at, 3 << 20);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("listenHttp() relays a live response as it comes and ends it when the client leaves", async () => {
  const { server, port, cancelled } = start();
  const conn = await connect(port, "GET /live HTTP/1.1\r\nHost: x\r\n\r\n");
  try {
    let got = "";
    const buf = new Uint8Array(4096);
    while (!got.includes("first")) {
      const n = await conn.read(buf);
      assert.ok(n !== null);
      got += dec.decode(buf.subarray(0, n));
    }
    assert.match(got, /^HTTP\/1\.1 200 /);
  } finally {
    conn.close();
  }
  await cancelled;
  await server.shutdown();
});

Deno.test("listenHttp() closes a half-sent request after the header timeout with 408 JSON", async () => {
  const { server, port, limits } = start({ headerTimeoutMs: 300 });
  const conn = await connect(port, "GET / HTTP/1.1\r\nHost: x\r\n");
  try {
    const { text, ms } = await readToEnd(conn);
    assert.ok(ms >= 250 && ms < 2_000, `closed after ${ms} ms`);
    assert.match(text, /^HTTP\/1\.1 408 /);
    assert.ok(text.endsWith('{"error":"Request headers not complete within 300 ms"}'), text);
    assert.deepEqual(limits, ["Request headers not complete within 300 ms"]);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("listenHttp() times the headers of a later request on a keep-alive connection", async () => {
  const { server, port } = start({ headerTimeoutMs: 300 });
  const conn = await connect(port, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  try {
    await readResponse(conn);
    await new Promise((r) => setTimeout(r, 400)); // idle between requests is not timed
    await conn.write(enc.encode("GET /b HTTP/1.1\r\nHost"));
    const { ms } = await readToEnd(conn);
    assert.ok(ms >= 250 && ms < 2_000, `closed after ${ms} ms`);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("listenHttp() closes the oldest pending connection past the limit", async () => {
  const { server, port, limits } = start({ maxPendingRequests: 2 });
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      conns.push(await connect(port, "GET / HTTP/1.1\r\n"));
      await new Promise((r) => setTimeout(r, 50)); // accept in order
    }
    const { ms } = await readToEnd(conns[0]!);
    assert.ok(ms < 1_000, `oldest closed after ${ms} ms`);
    assert.deepEqual(limits, ["Over 2 requests with unfinished headers"]);
    await conns[1]!.write(enc.encode("Host: x\r\n\r\n"));
    assert.match((await readResponse(conns[1]!)).head, /^HTTP\/1\.1 200/);
  } finally {
    for (const c of conns) c.close();
    await server.shutdown();
  }
});

Deno.test("listenHttp() answers a malformed chunked body with 400 JSON", async () => {
  const { server, port } = start();
  const head = "HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const cases: [request: string, error: string][] = [
    [`DELETE /x ${head}zz\r\nabc\r\n0\r\n\r\n`, "bad chunk-size line 'zz'"],
    [`POST /x ${head}3\r\nabcdef\r\n0\r\n\r\n`, "chunk data longer than its size"],
  ];
  try {
    for (const [request, error] of cases) {
      const conn = await connect(port, request);
      try {
        const { text } = await readToEnd(conn);
        assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
        assert.match(text, /Content-Type: application\/json/);
        const body = JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
        assert.deepEqual(body, { error: `Malformed chunked body: ${error}` });
      } finally {
        conn.close();
      }
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("listenHttp() refuses Content-Length beside Transfer-Encoding with 400 JSON", async () => {
  const { server, port } = start();
  const conn = await connect(
    port,
    "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  try {
    const { text } = await readToEnd(conn);
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.ok(text.endsWith('{"error":"Both Transfer-Encoding and Content-Length"}'), text);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("a client that takes no bytes of an endless answer for writeStallMs is closed", async () => {
  const limits: string[] = [];
  const cancelled = Promise.withResolvers<void>();
  const chunk = new Uint8Array(64 * 1024).fill(1);
  await using server = listenHttp({
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 5_000,
    maxPendingRequests: 64,
    writeStallMs: 300,
    handler: () =>
      new Response(
        new ReadableStream({ pull: (c) => c.enqueue(chunk), cancel: () => cancelled.resolve() }),
      ),
    onLimit: (_remote, reason) => limits.push(reason),
  });
  const conn = await connect(server.addr.port, "GET /endless HTTP/1.1\r\nHost: x\r\n\r\n");
  try {
    await cancelled.promise; // never read: the front cuts it off and the answer is cancelled
    assert.deepEqual(limits, ["Client took no bytes for 300 ms"]);
    const { ms } = await readToEnd(conn);
    assert.ok(ms < 5_000, `ended after ${ms} ms`);
  } finally {
    conn.close();
  }
});

Deno.test("listenHttp() closes a connection past maxConnections at accept", async () => {
  const limits: string[] = [];
  await using http = listenHttp({
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 5_000,
    maxPendingRequests: 10,
    maxConnections: 2,
    handler: () => new Response("ok"),
    onLimit: (_remote, reason) => limits.push(reason),
  });
  const held = [
    await Deno.connect({ hostname: "127.0.0.1", port: http.addr.port }),
    await Deno.connect({ hostname: "127.0.0.1", port: http.addr.port }),
  ];
  const third = await Deno.connect({ hostname: "127.0.0.1", port: http.addr.port });
  const n = await third.read(new Uint8Array(16)).catch(() => null);
  assert.equal(n, null, "the third connection is closed at once");
  third.close();
  assert.match(limits[0] ?? "", /^Limit max-connections/);
  for (const c of held) c.close();
});

Deno.test("listenHttp() tells the handler the client's address in the peer header", async () => {
  await using http = listenHttp({
    hostname: "127.0.0.1",
    port: 0,
    headerTimeoutMs: 5_000,
    maxPendingRequests: 10,
    peerHeader: "x-peer-test",
    handler: (req) => new Response(req.headers.get("x-peer-test") ?? "none"),
  });
  for (let i = 0; i < 2; i++) { // the second request rides the same keep-alive connection
    const res = await fetch(`http://127.0.0.1:${http.addr.port}/`, {
      headers: { "X-Peer-Test": "6.6.6.6:1" }, // a client cannot pose as another
    });
    assert.match(await res.text(), /^127\.0\.0\.1:\d+$/);
  }
});
