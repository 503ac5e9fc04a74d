/**
 * Address text for the PROXY protocol: checking v1's dotted quads and IPv6 text, and
 * turning v2's raw bytes into the same text `Deno.NetAddr.hostname` shows.
 * @module
 */

/**
 * Whether `s` is an IPv4 dotted quad (no leading zeros).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIpv4 } from "./address.ts";
 *
 * assert.equal(isIpv4("192.0.2.1"), true);
 * assert.equal(isIpv4("192.0.2.256"), false);
 * ```
 */
export function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) < 256);
}

/**
 * Whether `s` is IPv6 text: hex groups with at most one `::`, optionally ending in a quad.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isIpv6 } from "./address.ts";
 *
 * assert.equal(isIpv6("2001:db8::1"), true);
 * assert.equal(isIpv6("2001:db8:::1"), false);
 * ```
 */
export function isIpv6(s: string): boolean {
  if (s.length > 45 || !s.includes(":")) return false;
  let groups = s.split(":");
  let need = 8;
  const last = groups.at(-1) ?? "";
  if (last.includes(".")) {
    if (!isIpv4(last)) return false;
    groups = groups.slice(0, -1);
    need = 6;
  }
  const gap = s.indexOf("::");
  if (gap !== s.lastIndexOf("::")) return false;
  const hex = groups.filter((g) => g !== "");
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  if (gap < 0) return groups.length === need;
  return hex.length < need;
}

/** Dotted quad of 4 bytes. */
export function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * RFC 5952 text of 16 bytes: lower-case hex, the longest run of two or more zero groups as `::`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ipv6Text } from "./address.ts";
 *
 * const b = new Uint8Array(16);
 * b[15] = 1;
 * assert.equal(ipv6Text(b), "::1");
 * ```
 */
export function ipv6Text(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** The 4 or 16 bytes of an address in text form (for encoding v2); IPv6 in hex groups only. */
export function addressBytes(address: string, family: "tcp4" | "tcp6"): Uint8Array {
  if (family === "tcp4") return new Uint8Array(address.split(".").map(Number));
  const parse = (s: string) => s === "" ? [] : s.split(":").map((h) => parseInt(h, 16));
  const [head = "", rest] = address.split("::");
  const left = parse(head);
  const right = parse(rest ?? "");
  const groups = rest === undefined
    ? left
    : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((v, i) => {
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}
