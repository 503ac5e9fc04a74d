import assert from "node:assert/strict";
import { capturePath, type CaptureSink, startRelay } from "../../tools/capture.ts";
import { body, concat } from "../parser/stream_gen.ts";

/** An upstream that reads each connection to EOF, answers with `reply`, and closes. */
function upstreamServer(connections: number, reply: Uint8Array) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received: Uint8Array[] = [];
  const done = (async () => {
    for (let i = 0; i < connections; i++) {
      const conn = await listener.accept();
      received.push(await readAll(conn));
      await conn.write(reply);
      conn.close();
    }
    listener.close();
  })();
  return { port: (listener.addr as Deno.NetAddr).port, received, done };
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(8192);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return concat(parts);
    parts.push(buf.slice(0, n));
  }
}

/** Sends `bytes` through the relay, half-closes, and returns what came back. */
async function client(port: number, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  for (let o = 0; o < bytes.length;) o += await conn.write(bytes.subarray(o, o + 3000));
  await conn.closeWrite();
  const back = await readAll(conn);
  conn.close();
  return back;
}

function memorySinks(): { sinks: Uint8Array[][]; open: (i: number) => Promise<CaptureSink> } {
  const sinks: Uint8Array[][] = [];
  return {
    sinks,
    open(i) {
      const parts: Uint8Array[] = [];
      sinks[i] = parts;
      return Promise.resolve({
        write(bytes) {
          parts.push(bytes.slice());
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      });
    },
  };
}

Deno.test("startRelay() forwards both directions and records exactly the client bytes", async () => {
  const reply = body(5000, 9);
  const up = upstreamServer(1, reply);
  const mem = memorySinks();
  await using relay = startRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    upstream: { hostname: "127.0.0.1", port: up.port },
    open: mem.open,
  });
  const sent = body(200_000, 3);
  const back = await client(relay.port, sent);
  const [result] = await relay.done;
  await up.done;
  assert.deepEqual(back, reply);
  assert.deepEqual(up.received[0], sent);
  assert.deepEqual(concat(mem.sinks[0]!), sent);
  assert.deepEqual(result, {
    index: 0,
    clientBytes: 200_000,
    recordedBytes: 200_000,
    serverBytes: 5000,
  });
});

Deno.test("startRelay() stops recording at maxBytes but forwards everything", async () => {
  const up = upstreamServer(1, new Uint8Array([1, 2, 3]));
  const mem = memorySinks();
  await using relay = startRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    upstream: { hostname: "127.0.0.1", port: up.port },
    maxBytes: 1537,
    open: mem.open,
  });
  const sent = body(10_000, 4);
  await client(relay.port, sent);
  const [result] = await relay.done;
  await up.done;
  assert.deepEqual(up.received[0], sent);
  assert.deepEqual(concat(mem.sinks[0]!), sent.subarray(0, 1537));
  assert.equal(result!.recordedBytes, 1537);
});

Deno.test("startRelay() records each connection to its own sink and stops after the count", async () => {
  const up = upstreamServer(2, new Uint8Array([7]));
  const mem = memorySinks();
  await using relay = startRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    upstream: { hostname: "127.0.0.1", port: up.port },
    connections: 2,
    open: mem.open,
  });
  await client(relay.port, body(100, 1));
  await client(relay.port, body(300, 2));
  const results = await relay.done;
  await up.done;
  assert.deepEqual(results.map((r) => r.clientBytes), [100, 300]);
  assert.deepEqual(concat(mem.sinks[1]!), body(300, 2));
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: relay.port }));
});

Deno.test("capturePath() names the first connection FILE and later ones FILE.2, FILE.3", () => {
  assert.deepEqual([0, 1, 2].map((i) => capturePath("a.bin", i)), ["a.bin", "a.bin.2", "a.bin.3"]);
});
