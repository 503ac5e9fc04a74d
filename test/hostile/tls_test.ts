/**
 * Hostile clients on the RTMPS port: plain RTMP, HTTP, garbage and refused ClientHellos, and
 * TLS handshakes that never finish. Each closes only that client, with one log line.
 * @module
 */

import { createC0C1 } from "../../src/rtmp/handshake.ts";
import { haveOpenssl, makeTestPki } from "../tls/test_ca.ts";
import { missing } from "../interop/harness.ts";
import { type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import type { RawClient } from "./raw_client.ts";

const TIMEOUT_MS = 1_000;
/** A timeout must fire within its time plus this slack. */
const SLACK_MS = 2_500;
const NOT_TLS = /^TlsError: Not TLS \(plain RTMP or HTTP sent to the RTMPS port\?\): /;
const TLS_FAILED = /^TlsError: TLS handshake failed: /;
const HANDSHAKE_TIMEOUT = /^Limit handshake-timeout: /;
const noOpenssl = missing("openssl", haveOpenssl());

// deno-fmt-ignore
const REFUSED_CLIENT_HELLO = new Uint8Array([
  0x16, 0x03, 0x01, 0x00, 0x2f,         // record: handshake, TLS 1.0, 47 bytes
  0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,   // ClientHello, 43 bytes, TLS 1.2
  ...new Uint8Array(32).fill(0x42),     // random
  0x00,                                 // session id: none
  0x00, 0x02, 0x00, 0x05,               // one cipher suite: RC4-SHA, which nobody offers now
  0x01, 0x00,                           // compression: null
  0x00, 0x00,                           // no extensions
]);

/** A well-formed start of a TLS 1.3 ClientHello record: header and the first bytes of its body. */
// deno-fmt-ignore
const CLIENT_HELLO_START = new Uint8Array([
  0x16, 0x03, 0x01, 0x01, 0x00,         // record: handshake, 256 bytes
  0x01, 0x00, 0x00, 0xfc, 0x03, 0x03,   // ClientHello, 252 bytes, legacy version TLS 1.2
  ...new Uint8Array(32).fill(0x17),     // random
]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Writes `bytes` one at a time every `everyMs` until the server closes or they run out. */
async function trickle(c: RawClient, bytes: Uint8Array, everyMs: number) {
  for (let i = 0; i < bytes.length && !c.closed; i++) {
    if (!(await c.write(bytes.subarray(i, i + 1)))) return;
    await sleep(everyMs);
  }
}

const CASES: readonly HostileCase[] = [
  {
    name: "plain RTMP (C0C1) sent to the RTMPS port is closed as not TLS",
    expect: { kind: "closed", reason: NOT_TLS },
    async run(ctx) {
      const c0c1 = createC0C1({ epochMs: 0, random: (b) => b.fill(7) });
      await (await ctx.open({ rtmps: true })).write(c0c1);
    },
  },
  {
    name: "an HTTP request sent to the RTMPS port is closed as not TLS",
    expect: { kind: "closed", reason: NOT_TLS },
    async run(ctx) {
      const req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      await (await ctx.open({ rtmps: true })).write(new TextEncoder().encode(req));
    },
  },
  {
    name: "a ClientHello record full of garbage is closed as a failed TLS handshake",
    expect: { kind: "closed", reason: TLS_FAILED },
    async run(ctx) {
      const garbage = new Uint8Array(300).map((_, i) => (i * 151 + 7) & 0xff);
      const record = new Uint8Array([0x16, 0x03, 0x01, 0x01, 0x2c, ...garbage]);
      await (await ctx.open({ rtmps: true })).write(record);
    },
  },
  {
    name: "a ClientHello with no cipher suite in common is closed as a failed TLS handshake",
    expect: { kind: "closed", reason: TLS_FAILED },
    async run(ctx) {
      await (await ctx.open({ rtmps: true })).write(REFUSED_CLIENT_HELLO);
    },
  },
  {
    name: "a connection to the RTMPS port that sends nothing is closed at the handshake timeout",
    expect: { kind: "closed", reason: HANDSHAKE_TIMEOUT, withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await ctx.open({ rtmps: true });
    },
  },
  {
    name: "a ClientHello cut short and then silence is closed at the handshake timeout",
    expect: { kind: "closed", reason: HANDSHAKE_TIMEOUT, withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await (await ctx.open({ rtmps: true })).write(CLIENT_HELLO_START);
    },
  },
  {
    name: "slowloris: a ClientHello byte every 300 ms is cut at the handshake timeout",
    expect: { kind: "closed", reason: HANDSHAKE_TIMEOUT, withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await trickle(await ctx.open({ rtmps: true }), CLIENT_HELLO_START.subarray(0, 12), 300);
    },
  },
];

Deno.test({
  name:
    "hostile TLS clients on the RTMPS port close only themselves while a good publisher streams",
  ignore: noFfmpeg || noOpenssl,
  async fn(t) {
    await using pki = await makeTestPki();
    await runGroup(t, CASES, {
      limits: {
        handshakeTimeoutMs: TIMEOUT_MS,
        publishTimeoutMs: TIMEOUT_MS,
        idleTimeoutMs: TIMEOUT_MS,
      },
      config: { rtmpsPort: 0, tlsCert: pki.cert, tlsKey: pki.key },
      concurrency: 4,
    });
  },
});
