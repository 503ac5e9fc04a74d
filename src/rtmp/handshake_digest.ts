/**
 * The digest ("complex", Flash Player 9 and later) handshake: where the digest
 * sits in C1/S1 for each scheme, the two Adobe keys, and HMAC-SHA256 over
 * packets. The wire layout is drawn at the top of `handshake.ts`.
 * @module
 */

import { createHmac } from "node:crypto";
import { HandshakeError } from "../errors.ts";

/** Size of C1, C2, S1 and S2 in bytes. */
export const PACKET_SIZE = 1536;

/** Size of an HMAC-SHA256 digest in bytes. */
export const DIGEST_SIZE = 32;

/** Bytes of a C2/S2 before its signature. */
export const SIGNED_SIZE = PACKET_SIZE - DIGEST_SIZE;

/** Where the digest block sits: 0 = first 764-byte block (offset 8), 1 = second (offset 772). */
export type DigestScheme = 0 | 1;

/** A digest found in a C1/S1: its scheme and byte offset in the 1536-byte packet. */
export interface DigestPlace {
  readonly scheme: DigestScheme;
  readonly offset: number;
}

/** The 32 bytes both Adobe keys end with, after their text. */
const KEY_TAIL: readonly number[] = Object.freeze([
  0xf0,
  0xee,
  0xc2,
  0x4a,
  0x80,
  0x68,
  0xbe,
  0xe8,
  0x2e,
  0x00,
  0xd0,
  0xd1,
  0x02,
  0x9e,
  0x7e,
  0x57,
  0x6e,
  0xec,
  0x5d,
  0x2d,
  0x29,
  0x80,
  0x6f,
  0xab,
  0x93,
  0xb8,
  0xe6,
  0x36,
  0xcf,
  0xeb,
  0x31,
  0xae,
]);
const PLAYER_TEXT = "Genuine Adobe Flash Player 001";
const SERVER_TEXT = "Genuine Adobe Flash Media Server 001";
/** Offset of the first and second 764-byte blocks in C1/S1. */
const BLOCK_OFFSETS = [8, 772] as const;
/** Bytes a digest can start at within its block: 764 - 4 offset bytes - 32 digest bytes. */
const DIGEST_RANGE = 728;

function adobeKey(text: string, full: boolean): Uint8Array {
  const head = new TextEncoder().encode(text);
  if (!full) return head;
  const key = new Uint8Array(head.length + KEY_TAIL.length);
  key.set(head);
  key.set(KEY_TAIL, head.length);
  return key;
}

/**
 * The Flash Player key: its 30-byte text signs C1; all 62 bytes derive the C2 signature key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(playerKey(false).length, 30);
 * assert.equal(playerKey(true).length, 62);
 * ```
 */
export function playerKey(full: boolean): Uint8Array {
  return adobeKey(PLAYER_TEXT, full);
}

/**
 * The Flash Media Server key: its 36-byte text signs S1; all 68 bytes derive the S2 signature key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(serverKey(false).length, 36);
 * assert.equal(serverKey(true).length, 68);
 * ```
 */
export function serverKey(full: boolean): Uint8Array {
  return adobeKey(SERVER_TEXT, full);
}

/**
 * HMAC-SHA256 of the concatenated parts, computed synchronously.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(hmacSha256(new Uint8Array(4), [new Uint8Array(8)]).length, 32);
 * ```
 */
export function hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const hmac = createHmac("sha256", key);
  for (const part of parts) hmac.update(part);
  return new Uint8Array(hmac.digest());
}

function checkPacket(packet: Uint8Array): void {
  if (packet.length !== PACKET_SIZE) {
    throw new HandshakeError(
      `Handshake packet must be ${PACKET_SIZE} bytes: got ${packet.length}`,
    );
  }
}

/**
 * Offset of the digest in a 1536-byte C1/S1 for a scheme: the sum of the four
 * bytes opening the digest block, modulo 728, past those four bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c1 = new Uint8Array(1536);
 * c1.set([200, 200, 200, 200], 8); // 800 % 728 = 72
 * assert.equal(digestOffset(c1, 0), 8 + 4 + 72);
 * assert.equal(digestOffset(c1, 1), 772 + 4);
 * ```
 */
export function digestOffset(packet: Uint8Array, scheme: DigestScheme): number {
  checkPacket(packet);
  const block = BLOCK_OFFSETS[scheme];
  let sum = 0;
  for (let i = block; i < block + 4; i++) sum += packet[i] ?? 0;
  return block + 4 + (sum % DIGEST_RANGE);
}

/** HMAC of a C1/S1 without the 32 digest bytes at `offset`. */
function packetDigest(packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmacSha256(key, [
    packet.subarray(0, offset),
    packet.subarray(offset + DIGEST_SIZE),
  ]);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

/**
 * Finds a valid digest in a 1536-byte C1/S1, trying scheme 0 then scheme 1;
 * `undefined` when neither validates under `key` (a simple-form packet).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c1 = new Uint8Array(1536).fill(7);
 * assert.equal(findDigest(c1, playerKey(false)), undefined);
 * const offset = imprintDigest(c1, 1, playerKey(false));
 * assert.deepEqual(findDigest(c1, playerKey(false)), { scheme: 1, offset });
 * ```
 */
export function findDigest(packet: Uint8Array, key: Uint8Array): DigestPlace | undefined {
  for (const scheme of [0, 1] as const) {
    const offset = digestOffset(packet, scheme);
    const digest = packetDigest(packet, offset, key);
    if (bytesEqual(digest, packet.subarray(offset, offset + DIGEST_SIZE))) {
      return { scheme, offset };
    }
  }
  return undefined;
}

/**
 * Writes the digest of a 1536-byte C1/S1 into it at the scheme's offset; returns that offset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s1 = new Uint8Array(1536);
 * assert.equal(imprintDigest(s1, 0, serverKey(false)), 12);
 * ```
 */
export function imprintDigest(packet: Uint8Array, scheme: DigestScheme, key: Uint8Array): number {
  const offset = digestOffset(packet, scheme);
  packet.set(packetDigest(packet, offset, key), offset);
  return offset;
}

/** The C2/S2 signature of a packet's first 1504 bytes, keyed by HMAC(fullKey, peerDigest). */
function packetSignature(
  packet: Uint8Array,
  peerDigest: Uint8Array,
  fullKey: Uint8Array,
): Uint8Array {
  const signingKey = hmacSha256(fullKey, [peerDigest]);
  return hmacSha256(signingKey, [packet.subarray(0, SIGNED_SIZE)]);
}

/**
 * Signs a 1536-byte C2/S2 in place: its last 32 bytes become the HMAC of the
 * first 1504 under HMAC(`fullKey`, `peerDigest`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s2 = new Uint8Array(1536);
 * signPacket(s2, new Uint8Array(32), serverKey(true));
 * assert.ok(verifySignature(s2, new Uint8Array(32), serverKey(true)));
 * ```
 */
export function signPacket(packet: Uint8Array, peerDigest: Uint8Array, fullKey: Uint8Array): void {
  checkPacket(packet);
  packet.set(packetSignature(packet, peerDigest, fullKey), SIGNED_SIZE);
}

/**
 * Whether a 1536-byte C2/S2 carries the signature {@linkcode signPacket} would write.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c2 = new Uint8Array(1536);
 * assert.equal(verifySignature(c2, new Uint8Array(32), playerKey(true)), false);
 * ```
 */
export function verifySignature(
  packet: Uint8Array,
  peerDigest: Uint8Array,
  fullKey: Uint8Array,
): boolean {
  checkPacket(packet);
  const signature = packetSignature(packet, peerDigest, fullKey);
  return bytesEqual(signature, packet.subarray(SIGNED_SIZE));
}
