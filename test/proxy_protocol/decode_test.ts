import assert from "node:assert/strict";
import { ProxyProtocolError } from "../../src/errors.ts";
import { decodeProxyHeader } from "../../src/proxy_protocol/decode.ts";
import { encodeProxyHeader } from "../../src/proxy_protocol/encode.ts";
import type { ProxyHeader } from "../../src/proxy_protocol/header.ts";

const text = (s: string) => new TextEncoder().encode(s);
const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/** Headers and their bytes, used in both directions. */
const VECTORS: readonly { name: string; decoded: ProxyHeader; encoded: Uint8Array }[] = [
  {
    name: "v1 TCP4",
    decoded: {
      version: 1,
      command: "proxy",
      family: "tcp4",
      source: { address: "192.168.0.1", port: 56324 },
      destination: { address: "192.168.0.11", port: 443 },
    },
    encoded: text("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"),
  },
  {
    name: "v1 TCP6",
    decoded: {
      version: 1,
      command: "proxy",
      family: "tcp6",
      source: { address: "2001:db8::1", port: 40000 },
      destination: { address: "::1", port: 1935 },
    },
    encoded: text("PROXY TCP6 2001:db8::1 ::1 40000 1935\r\n"),
  },
  {
    name: "v1 UNKNOWN",
    decoded: { version: 1, command: "proxy", family: "unknown" },
    encoded: text("PROXY UNKNOWN\r\n"),
  },
  {
    name: "v2 PROXY TCP4",
    decoded: {
      version: 2,
      command: "proxy",
      family: "tcp4",
      source: { address: "127.0.0.1", port: 50000 },
      destination: { address: "10.0.0.2", port: 1935 },
    },
    // deno-fmt-ignore
    encoded: new Uint8Array([
      ...SIG,
      0x21,                   // version 2, command PROXY
      0x11,                   // AF_INET, STREAM
      0x00, 0x0c,             // 12 bytes follow
      127, 0, 0, 1,           // source address
      10, 0, 0, 2,            // destination address
      0xc3, 0x50,             // source port 50000
      0x07, 0x8f,             // destination port 1935
    ]),
  },
  {
    name: "v2 PROXY TCP6",
    decoded: {
      version: 2,
      command: "proxy",
      family: "tcp6",
      source: { address: "2001:db8::7", port: 1 },
      destination: { address: "::1", port: 2 },
    },
    // deno-fmt-ignore
    encoded: new Uint8Array([
      ...SIG,
      0x21, 0x21, 0x00, 0x24, // PROXY, AF_INET6 STREAM, 36 bytes
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, // source
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,             // destination
      0x00, 0x01, 0x00, 0x02, // ports
    ]),
  },
  {
    name: "v2 LOCAL",
    decoded: { version: 2, command: "local", family: "unknown" },
    encoded: new Uint8Array([...SIG, 0x20, 0x00, 0x00, 0x00]),
  },
  {
    name: "v2 PROXY UNSPEC",
    decoded: { version: 2, command: "proxy", family: "unknown" },
    encoded: new Uint8Array([...SIG, 0x21, 0x00, 0x00, 0x00]),
  },
];

for (const v of VECTORS) {
  Deno.test(`decodeProxyHeader() decodes ${v.name}`, () => {
    const after = new Uint8Array([3, 9, 9]); // an RTMP C0 and more: not the header's
    const bytes = new Uint8Array([...v.encoded, ...after]);
    assert.deepEqual(decodeProxyHeader(bytes), { header: v.decoded, length: v.encoded.length });
  });
  Deno.test(`decodeProxyHeader() asks for more bytes of a partial ${v.name}`, () => {
    for (let n = 0; n < v.encoded.length; n++) {
      assert.equal(decodeProxyHeader(v.encoded.subarray(0, n)), null, `at ${n} bytes`);
    }
  });
  Deno.test(`encodeProxyHeader() encodes ${v.name}`, () => {
    assert.deepEqual(encodeProxyHeader(v.decoded), v.encoded);
  });
}

Deno.test("decodeProxyHeader() takes the longest v1 line, 107 bytes, and skips v2 TLVs", () => {
  const max = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const line = text(`PROXY TCP6 ${max} ${max} 65535 65535\r\n`);
  assert.equal(line.length, 104);
  assert.equal(decodeProxyHeader(line)?.length, 104);
  const unknown = text(`PROXY UNKNOWN ${max} ${max} 65535 65535\r\n`);
  assert.equal(unknown.length, 107);
  assert.deepEqual(decodeProxyHeader(unknown)?.header.family, "unknown");
  // deno-fmt-ignore
  const tlv = new Uint8Array([
    ...SIG, 0x21, 0x11, 0x00, 0x11,  // PROXY TCP4, 17 bytes: 12 + a 5-byte TLV
    1, 2, 3, 4, 5, 6, 7, 8, 0, 80, 0, 81,
    0x04, 0x00, 0x02, 0xab, 0xcd,    // PP2_TYPE_NOOP, 2 bytes
    0x03,                            // the next protocol's first byte
  ]);
  const got = decodeProxyHeader(tlv);
  assert.equal(got?.length, 33);
  assert.deepEqual(got?.header, {
    version: 2,
    command: "proxy",
    family: "tcp4",
    source: { address: "1.2.3.4", port: 80 },
    destination: { address: "5.6.7.8", port: 81 },
  });
});

/** Malformed headers and the reason each is refused with. */
const BAD: readonly { name: string; bytes: Uint8Array; reason: RegExp }[] = [
  { name: "no header (an RTMP C0)", bytes: new Uint8Array([3, 0, 0]), reason: /first byte 0x03/ },
  {
    name: "v1 without CRLF within 107 bytes",
    bytes: text(`PROXY TCP4 ${"1".repeat(120)}`),
    reason: /longer than 107/,
  },
  {
    name: "v1 misspelled",
    bytes: text("PROXX TCP4 1.2.3.4 1.2.3.4 1 2\r\n"),
    reason: /Not a PROXY protocol v1/,
  },
  {
    name: "v1 family UDP4",
    bytes: text("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n"),
    reason: /Unsupported PROXY v1 family "UDP4"/,
  },
  {
    name: "v1 bad address",
    bytes: text("PROXY TCP4 1.2.3.400 1.2.3.4 1 2\r\n"),
    reason: /address is malformed/,
  },
  {
    name: "v1 TCP4 with an IPv6 address",
    bytes: text("PROXY TCP4 ::1 ::1 1 2\r\n"),
    reason: /address is malformed/,
  },
  {
    name: "v1 port over 65535",
    bytes: text("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n"),
    reason: /port is malformed/,
  },
  {
    name: "v1 missing field",
    bytes: text("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n"),
    reason: /5 fields, want 6/,
  },
  {
    name: "v2 wrong signature",
    bytes: new Uint8Array([...SIG.slice(0, 10), 0x58, 0x0a]),
    reason: /Wrong PROXY v2 signature at byte 10/,
  },
  {
    name: "v2 version 1",
    bytes: new Uint8Array([...SIG, 0x11, 0x11, 0, 12]),
    reason: /Unsupported PROXY version 1/,
  },
  {
    name: "v2 command 2",
    bytes: new Uint8Array([...SIG, 0x22, 0x11, 0, 12]),
    reason: /Unknown PROXY v2 command 2/,
  },
  {
    name: "v2 family UNIX",
    bytes: new Uint8Array([...SIG, 0x21, 0x31, 0, 216]),
    reason: /family 0x31/,
  },
  {
    name: "v2 family UDP over IPv4",
    bytes: new Uint8Array([...SIG, 0x21, 0x12, 0, 12]),
    reason: /family 0x12/,
  },
  {
    name: "v2 unknown family",
    bytes: new Uint8Array([...SIG, 0x21, 0x41, 0, 12]),
    reason: /family 0x41/,
  },
  {
    name: "v2 block too short for TCP6",
    bytes: new Uint8Array([...SIG, 0x21, 0x21, 0, 12]),
    reason: /12 bytes is under 36/,
  },
  {
    name: "v2 block over 2048 bytes",
    bytes: new Uint8Array([...SIG, 0x21, 0x11, 0xff, 0xff]),
    reason: /65535 bytes is over 2048/,
  },
];

for (const b of BAD) {
  Deno.test(`decodeProxyHeader() refuses ${b.name}`, () => {
    assert.throws(() => decodeProxyHeader(b.bytes), (e: unknown) => {
      assert.ok(e instanceof ProxyProtocolError);
      assert.match(e.message, b.reason);
      return true;
    });
  });
}
