/**
 * Encodes PROXY protocol headers, v1 text and v2 binary: what HAProxy's `send-proxy` and
 * `send-proxy-v2` put before a relayed connection (tests and our own client use it).
 * @module
 */

import { addressBytes } from "./address.ts";
import {
  type ProxyHeader,
  V2_FIXED_BYTES,
  V2_LOCAL,
  V2_PROXY,
  V2_SIGNATURE,
  V2_TCP4,
  V2_TCP6,
  V2_UNSPEC,
} from "./header.ts";

/**
 * The bytes of `header` in its version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeProxyHeader } from "./encode.ts";
 *
 * const h = encodeProxyHeader({ version: 1, command: "proxy", family: "unknown" });
 * assert.equal(new TextDecoder().decode(h), "PROXY UNKNOWN\r\n");
 * ```
 */
export function encodeProxyHeader(header: ProxyHeader): Uint8Array {
  return header.version === 1 ? encodeV1(header) : encodeV2(header);
}

function encodeV1(h: ProxyHeader): Uint8Array {
  if (h.family === "unknown") return new TextEncoder().encode("PROXY UNKNOWN\r\n");
  const fam = h.family === "tcp4" ? "TCP4" : "TCP6";
  const { source: s, destination: d } = h;
  return new TextEncoder().encode(
    `PROXY ${fam} ${s.address} ${d.address} ${s.port} ${d.port}\r\n`,
  );
}

function encodeV2(h: ProxyHeader): Uint8Array {
  const size = h.family === "tcp4" ? 4 : h.family === "tcp6" ? 16 : 0;
  const len = size === 0 ? 0 : 2 * size + 4;
  const out = new Uint8Array(V2_FIXED_BYTES + len);
  out.set(V2_SIGNATURE);
  out[12] = h.command === "local" ? V2_LOCAL : V2_PROXY;
  out[13] = h.family === "tcp4" ? V2_TCP4 : h.family === "tcp6" ? V2_TCP6 : V2_UNSPEC;
  const view = new DataView(out.buffer);
  view.setUint16(14, len);
  if (h.family === "unknown") return out;
  out.set(addressBytes(h.source.address, h.family), V2_FIXED_BYTES);
  out.set(addressBytes(h.destination.address, h.family), V2_FIXED_BYTES + size);
  view.setUint16(V2_FIXED_BYTES + 2 * size, h.source.port);
  view.setUint16(V2_FIXED_BYTES + 2 * size + 2, h.destination.port);
  return out;
}
