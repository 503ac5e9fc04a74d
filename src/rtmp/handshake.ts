/**
 * The RTMP handshake, C0-C2 and S0-S2, as functions over bytes (no sockets).
 *
 * ```
 * C0/S0: 1 byte          C1/S1: 1536 bytes, simple form
 * +---------+            0        4        8                                        1536
 * | version |            +--------+--------+-----------------------------------------+
 * |  = 3    |            | time   | zero   | random (1528)                           |
 * +---------+            +--------+--------+-----------------------------------------+
 *                        time: u32 BE ms, modulo 2^32; zero: 00 00 00 00
 *
 * C1/S1, digest form: the version field is non-zero (Flash Player / FMS version)
 * and the 1528 bytes are two 764-byte blocks, a digest block and a key block.
 *
 *   scheme 0:  0      4      8                  772                 1536
 *              +------+------+------------------+-------------------+
 *              | time | vers | digest block     | key block         |
 *              +------+------+------------------+-------------------+
 *   scheme 1:  +------+------+------------------+-------------------+
 *              | time | vers | key block        | digest block      |
 *              +------+------+------------------+-------------------+
 *
 *   digest block (764), at B = 8 (scheme 0) or 772 (scheme 1):
 *   B      B+4                                                      B+764
 *   +------+----------------+------------------+--------------------+
 *   | o0-3 | random         | digest (32)      | random             |
 *   +------+----------------+------------------+--------------------+
 *          digest at B + 4 + (o0 + o1 + o2 + o3) % 728
 *   key block (764): random with a 128-byte DH key for RTMPE; its offset
 *   bytes are its last 4. Unused here: we fill it with random bytes.
 *
 *   digest = HMAC-SHA256(key, packet without the 32 digest bytes)
 *            key: C1 "Genuine Adobe Flash Player 001" (30 bytes)
 *                 S1 "Genuine Adobe Flash Media Server 001" (36 bytes)
 *
 * C2/S2: 1536 bytes
 *   simple form: echo of the peer's C1/S1 (time, time2, random echo)
 *   digest form: 0                                          1504      1536
 *                +--------------------------------------------+---------+
 *                | random (1504)                              | sig (32)|
 *                +--------------------------------------------+---------+
 *                sig = HMAC(HMAC(full key, peer's C1/S1 digest), bytes 0..1503)
 *                full key: S2 the 68-byte FMS key, C2 the 62-byte Player key
 *                (the text followed by the same 32 bytes)
 * ```
 *
 * Order: client sends C0C1, server replies S0S1S2 in one write, client sends C2.
 * @module
 */

import { HandshakeError } from "../errors.ts";
import {
  DIGEST_SIZE,
  type DigestPlace,
  type DigestScheme,
  findDigest,
  imprintDigest,
  PACKET_SIZE,
  playerKey,
  serverKey,
  SIGNED_SIZE,
  signPacket,
  verifySignature,
} from "./handshake_digest.ts";

/** Version byte of C0/S0 for plain RTMP. */
export const RTMP_VERSION = 3;
/** Size of C0 plus C1. */
export const C0C1_SIZE = 1 + PACKET_SIZE;
/** Size of C2. */
export const C2_SIZE = PACKET_SIZE;
/** Size of S0, S1 and S2 sent together. */
export const S0S1S2_SIZE = 1 + 2 * PACKET_SIZE;

/** Version bytes of a digest-form S1 (FMS 3.5.1.1; FFmpeg validates S1 only if the first is >= 3). */
const SERVER_VERSION: readonly number[] = Object.freeze([3, 5, 1, 1]);
/** Offset of the 1528 random bytes in C1/S1. */
const RANDOM_OFFSET = 8;

/** Time and randomness for building C1/S1/S2; tests pass fixed ones. */
export interface HandshakeOptions {
  /** Milliseconds on the sender's clock; written as u32 BE modulo 2^32. */
  readonly epochMs: number;
  /** Fills `buf` with random bytes. */
  readonly random: (buf: Uint8Array) => void;
}

/** Which handshake a client's C1 asked for. */
export type HandshakeForm =
  | { readonly kind: "simple" }
  | { readonly kind: "digest"; readonly scheme: DigestScheme };

/** The parts of a server's S0S1S2, as views into it. */
export interface ServerHandshake {
  /** S1's time field. */
  readonly time: number;
  /** S1, 1536 bytes. */
  readonly s1: Uint8Array;
  /** S2, 1536 bytes: the echo of C1 in the simple form. */
  readonly s2: Uint8Array;
}

function versionHint(version: number): string {
  if (version >= 0x41 && version <= 0x5a) {
    return `: "${String.fromCharCode(version)}" looks like HTTP`;
  }
  if (version === 0x16) return ": 0x16 looks like a TLS ClientHello";
  if (version === 6 || version === 8 || version === 9) return ": RTMPE is not supported";
  return "";
}

/**
 * Throws {@linkcode HandshakeError} unless a C0/S0 version byte is 3. Check
 * the first byte as soon as it arrives: an HTTP or TLS client never sends 1537.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * checkVersion(3);
 * assert.throws(() => checkVersion(71), /Handshake version 71 is not 3/);
 * ```
 */
export function checkVersion(version: number): void {
  if (version !== RTMP_VERSION) {
    throw new HandshakeError(
      `Handshake version ${version} is not ${RTMP_VERSION}${versionHint(version)}`,
    );
  }
}

function checkSize(what: string, bytes: Uint8Array, size: number): void {
  if (bytes.length > 0) checkVersion(bytes[0] ?? 0);
  if (bytes.length !== size) {
    throw new HandshakeError(`${what} must be ${size} bytes: got ${bytes.length}`);
  }
}

function writeHeader(packet: Uint8Array, opts: HandshakeOptions): void {
  new DataView(packet.buffer, packet.byteOffset, 8).setUint32(0, opts.epochMs >>> 0);
  packet.fill(0, 4, RANDOM_OFFSET);
  opts.random(packet.subarray(RANDOM_OFFSET));
}

function clientDigest(c1: Uint8Array): DigestPlace | undefined {
  const versioned = c1.subarray(4, RANDOM_OFFSET).some((b) => b !== 0);
  return versioned ? findDigest(c1, playerKey(false)) : undefined;
}

/**
 * Which handshake a C0C1 asks for: digest when C1's version bytes are non-zero
 * and a Flash Player digest validates in either scheme, else simple.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c0c1 = createC0C1({ epochMs: 0, random: (b) => b.fill(1) });
 * assert.deepEqual(handshakeForm(c0c1), { kind: "simple" });
 * ```
 */
export function handshakeForm(c0c1: Uint8Array): HandshakeForm {
  checkSize("C0C1", c0c1, C0C1_SIZE);
  const place = clientDigest(c0c1.subarray(1));
  return place ? { kind: "digest", scheme: place.scheme } : { kind: "simple" };
}

/**
 * The server's reply to C0C1. A C1 with a valid Flash Player digest gets the
 * digest form (S1 digest under the FMS key in the same scheme, S2 signed with
 * the key derived from C1's digest); every other C1 gets the simple form (S1
 * random, S2 echo of C1). Throws {@linkcode HandshakeError} on a bad C0 or size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c0c1 = createC0C1({ epochMs: 0, random: (b) => b.fill(1) });
 * const reply = createS0S1S2(c0c1, { epochMs: 5, random: (b) => b.fill(2) });
 * assert.equal(reply.length, S0S1S2_SIZE);
 * assert.deepEqual(reply.subarray(1 + 1536), c0c1.subarray(1));
 * ```
 */
export function createS0S1S2(c0c1: Uint8Array, opts: HandshakeOptions): Uint8Array {
  checkSize("C0C1", c0c1, C0C1_SIZE);
  const c1 = c0c1.subarray(1);
  const out = new Uint8Array(S0S1S2_SIZE);
  out[0] = RTMP_VERSION;
  const s1 = out.subarray(1, 1 + PACKET_SIZE);
  const s2 = out.subarray(1 + PACKET_SIZE);
  writeHeader(s1, opts);
  const place = clientDigest(c1);
  if (place === undefined) {
    s2.set(c1);
    return out;
  }
  s1.set(SERVER_VERSION, 4);
  imprintDigest(s1, place.scheme, serverKey(false));
  opts.random(s2.subarray(0, SIGNED_SIZE));
  const c1Digest = c1.subarray(place.offset, place.offset + DIGEST_SIZE);
  signPacket(s2, c1Digest, serverKey(true));
  return out;
}

/**
 * Whether C2 answers S1: an echo of S1's random bytes (time2 may differ), or
 * for a digest S1 a signature under the key derived from S1's digest.
 * Informational only: real clients are inconsistent, so never reject on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s1 = new Uint8Array(1536).fill(9);
 * assert.ok(checkC2(s1.slice(), s1));
 * assert.equal(checkC2(new Uint8Array(1536), s1), false);
 * ```
 */
export function checkC2(c2: Uint8Array, s1: Uint8Array): boolean {
  if (c2.length !== PACKET_SIZE || s1.length !== PACKET_SIZE) return false;
  const random = s1.subarray(RANDOM_OFFSET);
  if (c2.subarray(RANDOM_OFFSET).every((b, i) => b === random[i])) return true;
  const place = findDigest(s1, serverKey(false));
  if (place === undefined) return false;
  const s1Digest = s1.subarray(place.offset, place.offset + DIGEST_SIZE);
  return verifySignature(c2, s1Digest, playerKey(true));
}

/**
 * A client's C0C1 in the simple form: version 3, time, zero, 1528 random bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c0c1 = createC0C1({ epochMs: 0x01020304, random: (b) => b.fill(0xaa) });
 * assert.deepEqual([...c0c1.subarray(0, 10)], [3, 1, 2, 3, 4, 0, 0, 0, 0, 0xaa]);
 * ```
 */
export function createC0C1(opts: HandshakeOptions): Uint8Array {
  const out = new Uint8Array(C0C1_SIZE);
  out[0] = RTMP_VERSION;
  writeHeader(out.subarray(1), opts);
  return out;
}

/**
 * Splits a server's S0S1S2, checking S0's version byte and the size; throws
 * {@linkcode HandshakeError} otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const reply = new Uint8Array(3073);
 * reply.set([3, 0, 0, 1, 0]);
 * assert.equal(parseS0S1S2(reply).time, 256);
 * ```
 */
export function parseS0S1S2(s0s1s2: Uint8Array): ServerHandshake {
  checkSize("S0S1S2", s0s1s2, S0S1S2_SIZE);
  const s1 = s0s1s2.subarray(1, 1 + PACKET_SIZE);
  const time = new DataView(s1.buffer, s1.byteOffset, 4).getUint32(0);
  return { time, s1, s2: s0s1s2.subarray(1 + PACKET_SIZE) };
}

/**
 * A client's C2 in the simple form (answering {@linkcode createC0C1}): a copy of S1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const reply = new Uint8Array(3073).fill(4);
 * reply[0] = 3;
 * assert.deepEqual(createC2(reply), new Uint8Array(1536).fill(4));
 * ```
 */
export function createC2(s0s1s2: Uint8Array): Uint8Array {
  return parseS0S1S2(s0s1s2).s1.slice();
}
