/**
 * The PROXY protocol header (HAProxy's `send-proxy` v1 text and `send-proxy-v2` binary) as
 * plain data: who the client really is when a load balancer stands between it and us.
 * @module
 */

/** The longest v1 line, `PROXY TCP6 <39> <39> <5> <5>\r\n`, per the spec. */
export const V1_MAX_BYTES = 107;
/** The v2 signature: `\r\n\r\n\0\r\nQUIT\n`. */
export const V2_SIGNATURE: Uint8Array = new Uint8Array([
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
]);
/** The fixed part of a v2 header: signature, version/command, family, length. */
export const V2_FIXED_BYTES = 16;
/** The longest v2 address block (with TLVs) we read; the spec allows 65535, HAProxy sends far less. */
export const V2_MAX_BODY_BYTES = 2048;

/** v2 version/command byte: version 2, LOCAL (a health check from the proxy itself). */
export const V2_LOCAL = 0x20;
/** v2 version/command byte: version 2, PROXY (a relayed connection). */
export const V2_PROXY = 0x21;
/** v2 family/protocol byte: UNSPEC. */
export const V2_UNSPEC = 0x00;
/** v2 family/protocol byte: TCP over IPv4. */
export const V2_TCP4 = 0x11;
/** v2 family/protocol byte: TCP over IPv6. */
export const V2_TCP6 = 0x21;

/** One end of the relayed connection. */
export interface ProxyEndpoint {
  /** IPv4 dotted quad or IPv6 text (as `Deno.NetAddr.hostname` would give it). */
  readonly address: string;
  readonly port: number;
}

/**
 * A decoded header. `family: "unknown"` (v1 `UNKNOWN`, v2 UNSPEC) and `command: "local"`
 * carry no addresses: the connection's own addresses stand.
 */
export type ProxyHeader =
  | {
    readonly version: 1 | 2;
    readonly command: "proxy";
    readonly family: "tcp4" | "tcp6";
    readonly source: ProxyEndpoint;
    readonly destination: ProxyEndpoint;
  }
  | {
    readonly version: 1 | 2;
    readonly command: "proxy" | "local";
    readonly family: "unknown";
  };
