/**
 * The RTMP listener with `--proxy-protocol`: the header's source becomes the session's
 * address, the bytes after the header reach the handshake, and real HAProxy (`send-proxy`
 * and `send-proxy-v2`) is understood.
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { encodeProxyHeader } from "../../src/proxy_protocol/encode.ts";
import type { ProxyHeader } from "../../src/proxy_protocol/header.ts";
import { createC0C1, S0S1S2_SIZE } from "../../src/rtmp/handshake.ts";
import { testServer, until } from "../interop/harness.ts";
import { noHaproxy, startHaproxy } from "./haproxy.ts";

const PROXIED: ProxyHeader = {
  version: 2,
  command: "proxy",
  family: "tcp4",
  source: { address: "203.0.113.9", port: 4444 },
  destination: { address: "127.0.0.1", port: 1935 },
};

/** Sends `first` in one write, reads S0S1S2; returns the connection. */
async function handshakeWith(port: number, first: Uint8Array): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(first);
  const buf = new Uint8Array(S0S1S2_SIZE);
  for (let have = 0; have < buf.length;) {
    const n = await conn.read(buf.subarray(have));
    if (n === null) throw new Error(`Closed after ${have} bytes of S0S1S2`);
    have += n;
  }
  return conn;
}

function c0c1(): Uint8Array {
  return createC0C1({ epochMs: 0, random: (b) => b.fill(1) });
}

Deno.test("a PROXY header and C0C1 in one write: the session has the header's address", async () => {
  await using s = await testServer({ config: { proxyProtocol: true } });
  for (const version of [1, 2] as const) {
    const header = encodeProxyHeader({ ...PROXIED, version });
    const conn = await handshakeWith(s.server.rtmpPort, new Uint8Array([...header, ...c0c1()]));
    try {
      const addrs = () => s.server.registry.view().list().map((x) => x.remoteAddr);
      await until(() => addrs().includes("203.0.113.9:4444"), 5_000);
    } finally {
      conn.close();
    }
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
  }
});

Deno.test("a publisher behind a PROXY header publishes, as LOCAL with its own address", async () => {
  await using s = await testServer({ config: { proxyProtocol: true, record: false } });
  const preamble = encodeProxyHeader({ version: 2, command: "local", family: "unknown" });
  const p = await RtmpPublisher.connect(`${s.rtmpUrl}/live/local`, { preamble });
  try {
    const info = s.server.registry.view().list().find((x) => x.streamName === "local");
    assert.equal(info?.state, "publishing");
    assert.match(info?.remoteAddr ?? "", /^127\.0\.0\.1:\d+$/);
  } finally {
    await p.close();
  }
});

for (const version of [1, 2] as const) {
  Deno.test({
    name: `behind HAProxy send-proxy${
      version === 2 ? "-v2" : ""
    } the session has the client's address`,
    ignore: noHaproxy,
    async fn() {
      await using s = await testServer({ config: { proxyProtocol: true, record: false } });
      await using h = await startHaproxy({ backends: [s.server.rtmpPort], proxyVersion: version });
      const conn = await handshakeWith(h.port, c0c1());
      try {
        const mine = `127.0.0.1:${conn.localAddr.port}`;
        await until(
          () => s.server.registry.view().list().some((x) => x.remoteAddr === mine),
          5_000,
        );
      } finally {
        conn.close();
      }
      await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    },
  });
}
