/**
 * Decodes a PROXY protocol header, v1 or v2, from the first bytes of a connection. It asks
 * for more bytes until the header is whole and fails as soon as the bytes cannot be one.
 * TLVs after a v2 address block are skipped.
 * @module
 */

import { ProxyProtocolError } from "../errors.ts";
import { ipv4Text, ipv6Text, isIpv4, isIpv6 } from "./address.ts";
import {
  type ProxyEndpoint,
  type ProxyHeader,
  V1_MAX_BYTES,
  V2_FIXED_BYTES,
  V2_LOCAL,
  V2_MAX_BODY_BYTES,
  V2_PROXY,
  V2_SIGNATURE,
  V2_TCP4,
  V2_TCP6,
  V2_UNSPEC,
} from "./header.ts";

/** A whole header and how many bytes it took; the bytes after it are the next protocol's. */
export interface DecodedProxyHeader {
  readonly header: ProxyHeader;
  readonly length: number;
}

const V1_PREFIX = new TextEncoder().encode("PROXY ");

/**
 * Decodes the header at the start of `bytes`: null when more bytes are needed; throws
 * {@linkcode ProxyProtocolError} naming the reason when they cannot be a header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeProxyHeader } from "./decode.ts";
 *
 * const line = new TextEncoder().encode("PROXY TCP4 192.0.2.1 192.0.2.2 5000 1935\r\nrest");
 * const got = decodeProxyHeader(line);
 * assert.equal(got?.length, 42);
 * assert.deepEqual(got?.header.family, "tcp4");
 * assert.equal(decodeProxyHeader(line.subarray(0, 20)), null);
 * ```
 */
export function decodeProxyHeader(bytes: Uint8Array): DecodedProxyHeader | null {
  if (bytes.length === 0) return null;
  if (bytes[0] === V1_PREFIX[0]) return decodeV1(bytes);
  if (bytes[0] === V2_SIGNATURE[0]) return decodeV2(bytes);
  throw new ProxyProtocolError(
    `Not a PROXY protocol header: first byte 0x${hex(bytes[0]!)}`,
  );
}

function decodeV1(bytes: Uint8Array): DecodedProxyHeader | null {
  const have = Math.min(bytes.length, V1_MAX_BYTES);
  for (let i = 0; i < Math.min(have, V1_PREFIX.length); i++) {
    if (bytes[i] !== V1_PREFIX[i]) throw new ProxyProtocolError("Not a PROXY protocol v1 header");
  }
  let end = -1;
  for (let i = 1; i < have; i++) {
    if (bytes[i - 1] === 0x0d && bytes[i] === 0x0a) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (bytes.length >= V1_MAX_BYTES) {
      throw new ProxyProtocolError(`PROXY v1 header longer than ${V1_MAX_BYTES} bytes`);
    }
    return null;
  }
  const line = new TextDecoder("latin1").decode(bytes.subarray(0, end - 2));
  return { header: parseV1Line(line), length: end };
}

function parseV1Line(line: string): ProxyHeader {
  const parts = line.split(" ");
  const family = parts[1];
  if (family === "UNKNOWN") return { version: 1, command: "proxy", family: "unknown" };
  if (family !== "TCP4" && family !== "TCP6") {
    throw new ProxyProtocolError(
      `Unsupported PROXY v1 family ${JSON.stringify(family?.slice(0, 16) ?? "")}`,
    );
  }
  if (parts.length !== 6) {
    throw new ProxyProtocolError(`PROXY v1 ${family} line has ${parts.length} fields, want 6`);
  }
  const [, , src = "", dst = "", sport = "", dport = ""] = parts;
  const ok = family === "TCP4" ? isIpv4 : isIpv6;
  if (!ok(src) || !ok(dst)) throw new ProxyProtocolError(`PROXY v1 ${family} address is malformed`);
  return {
    version: 1,
    command: "proxy",
    family: family === "TCP4" ? "tcp4" : "tcp6",
    source: { address: src.toLowerCase(), port: port(sport) },
    destination: { address: dst.toLowerCase(), port: port(dport) },
  };
}

function port(s: string): number {
  const n = /^(0|[1-9]\d{0,4})$/.test(s) ? Number(s) : NaN;
  if (!(n <= 65535)) throw new ProxyProtocolError("PROXY v1 port is malformed");
  return n;
}

function decodeV2(bytes: Uint8Array): DecodedProxyHeader | null {
  for (let i = 0; i < Math.min(bytes.length, V2_SIGNATURE.length); i++) {
    if (bytes[i] !== V2_SIGNATURE[i]) {
      throw new ProxyProtocolError(`Wrong PROXY v2 signature at byte ${i}`);
    }
  }
  if (bytes.length < V2_FIXED_BYTES) return null;
  const verCmd = bytes[12]!;
  const fam = bytes[13]!;
  const len = (bytes[14]! << 8) | bytes[15]!;
  if (verCmd >> 4 !== 2) throw new ProxyProtocolError(`Unsupported PROXY version ${verCmd >> 4}`);
  if (verCmd !== V2_LOCAL && verCmd !== V2_PROXY) {
    throw new ProxyProtocolError(`Unknown PROXY v2 command ${verCmd & 0xf}`);
  }
  if (len > V2_MAX_BODY_BYTES) {
    throw new ProxyProtocolError(
      `PROXY v2 address block of ${len} bytes is over ${V2_MAX_BODY_BYTES}`,
    );
  }
  const need = family(verCmd, fam);
  if (len < need) {
    throw new ProxyProtocolError(`PROXY v2 address block of ${len} bytes is under ${need}`);
  }
  const length = V2_FIXED_BYTES + len;
  if (bytes.length < length) return null;
  if (verCmd === V2_LOCAL) {
    return { header: { version: 2, command: "local", family: "unknown" }, length };
  }
  if (fam === V2_UNSPEC) {
    return { header: { version: 2, command: "proxy", family: "unknown" }, length };
  }
  const body = bytes.subarray(V2_FIXED_BYTES, length);
  const size = fam === V2_TCP4 ? 4 : 16;
  const text = fam === V2_TCP4 ? ipv4Text : ipv6Text;
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const end = (addrAt: number, portAt: number): ProxyEndpoint => ({
    address: text(body.subarray(addrAt, addrAt + size)),
    port: view.getUint16(portAt),
  });
  return {
    header: {
      version: 2,
      command: "proxy",
      family: fam === V2_TCP4 ? "tcp4" : "tcp6",
      source: end(0, 2 * size),
      destination: end(size, 2 * size + 2),
    },
    length,
  };
}

/** Bytes the address block of `fam` needs; throws for a family an RTMP listener cannot take. */
function family(verCmd: number, fam: number): number {
  if (verCmd === V2_LOCAL || fam === V2_UNSPEC) return 0;
  if (fam === V2_TCP4) return 12;
  if (fam === V2_TCP6) return 36;
  throw new ProxyProtocolError(
    `Unsupported PROXY v2 address family 0x${hex(fam)} (TCP over IPv4 or IPv6 only)`,
  );
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
