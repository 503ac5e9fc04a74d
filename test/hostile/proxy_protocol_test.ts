/**
 * Malformed PROXY protocol headers on a `--proxy-protocol` listener: each is turned away
 * before any session with one log line naming the reason, while a good publisher (with a
 * header) streams. The per-address limit counts the header's address, not the proxy's.
 * @module
 */

import { encodeProxyHeader } from "../../src/proxy_protocol/encode.ts";
import { V2_SIGNATURE } from "../../src/proxy_protocol/header.ts";
import { createC0C1 } from "../../src/rtmp/handshake.ts";
import { type HostileCase, noFfmpeg, runGroup } from "./harness.ts";

const TIMEOUT_MS = 1_000;
const PER_IP = 2;
const text = (s: string) => new TextEncoder().encode(s);

/** A v2 PROXY header from `address:port`, followed by C0C1. */
function fromAddress(address: string, port: number): Uint8Array {
  const header = encodeProxyHeader({
    version: 2,
    command: "proxy",
    family: "tcp4",
    source: { address, port },
    destination: { address: "127.0.0.1", port: 1935 },
  });
  return new Uint8Array([...header, ...createC0C1({ epochMs: 0, random: (b) => b.fill(5) })]);
}

const CASES: readonly HostileCase[] = [
  {
    name: "a v1 header without CRLF within 107 bytes is turned away",
    expect: { kind: "turned-away", reason: /PROXY v1 header longer than 107 bytes/ },
    async run(ctx) {
      await (await ctx.open()).write(text(`PROXY TCP4 ${"9".repeat(150)}\r\n`));
    },
  },
  {
    name: "a v2 header with a wrong signature is turned away",
    expect: { kind: "turned-away", reason: /Wrong PROXY v2 signature at byte 7/ },
    async run(ctx) {
      const bad = new Uint8Array([...V2_SIGNATURE, 0x21, 0x11, 0, 12, ...new Uint8Array(12)]);
      bad[7] = 0x52; // "R" for the "Q" of QUIT
      await (await ctx.open()).write(bad);
    },
  },
  {
    name: "a v2 header of family AF_UNIX is turned away",
    expect: { kind: "turned-away", reason: /Unsupported PROXY v2 address family 0x31/ },
    async run(ctx) {
      await (await ctx.open()).write(new Uint8Array([...V2_SIGNATURE, 0x21, 0x31, 0, 216]));
    },
  },
  {
    name: "a v1 header of family UDP4 is turned away",
    expect: { kind: "turned-away", reason: /Unsupported PROXY v1 family "UDP4"/ },
    async run(ctx) {
      await (await ctx.open()).write(text("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"));
    },
  },
  {
    name: "a v2 header cut short by the client's close is turned away as truncated",
    expect: {
      kind: "turned-away",
      reason: /PROXY header truncated: connection closed after 20 bytes/,
    },
    async run(ctx) {
      const c = await ctx.open();
      await c.write(fromAddress("192.0.2.1", 1).subarray(0, 20));
      await c.closeWrite();
    },
  },
  {
    name: "a v2 header that stops halfway is turned away after the handshake time",
    expect: { kind: "turned-away", reason: /No whole PROXY header within 1000 ms/ },
    async run(ctx) {
      await (await ctx.open()).write(fromAddress("192.0.2.1", 1).subarray(0, 20));
    },
  },
  {
    name: "an RTMP client without a header is turned away",
    expect: { kind: "turned-away", reason: /Not a PROXY protocol header: first byte 0x03/ },
    async run(ctx) {
      await (await ctx.open({ read: "handshake" })).write(createC0C1({
        epochMs: 0,
        random: (b) => b.fill(1),
      }));
    },
  },
  {
    name: `a connection past ${PER_IP} from one real address is turned away by that address`,
    expect: {
      kind: "turned-away",
      reason: new RegExp(
        `^Refused 198\\.51\\.100\\.7:9003 via .*max-connections-per-ip: ${PER_IP}`,
      ),
    },
    async run(ctx) {
      for (let i = 1; i <= PER_IP; i++) {
        const c = await ctx.open({ read: "handshake" });
        await c.write(fromAddress("198.51.100.7", 9000 + i));
        await c.until(() => false, 200);
      }
      await (await ctx.open()).write(fromAddress("198.51.100.7", 9003));
    },
  },
];

Deno.test({
  name: "malformed PROXY headers are turned away while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: {
        proxyProtocol: true,
        handshakeTimeoutMs: TIMEOUT_MS,
        publishTimeoutMs: 5_000,
        idleTimeoutMs: 5_000,
        maxConnectionsPerIp: PER_IP,
      },
      concurrency: 1,
      goodPreamble: fromAddress("192.0.2.50", 50).subarray(0, 28),
    });
  },
});
