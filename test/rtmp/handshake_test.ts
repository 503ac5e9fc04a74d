import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { HandshakeError } from "../../src/errors.ts";
import {
  C0C1_SIZE,
  C2_SIZE,
  checkC2,
  checkVersion,
  createC0C1,
  createC2,
  createS0S1S2,
  handshakeForm,
  parseS0S1S2,
  S0S1S2_SIZE,
} from "../../src/rtmp/handshake.ts";

// ---- helpers, written apart from src/ so the digest checks are independent ----

/** Fills with seed, seed+1, … modulo 256, so offsets show in the bytes. */
function counter(seed: number): (buf: Uint8Array) => void {
  return (buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = (seed + i) & 0xff;
  };
}

/** A seeded LCG random source, for realistic digest offsets. */
function lcg(seed: number): (buf: Uint8Array) => void {
  let state = seed >>> 0;
  return (buf) => {
    for (let i = 0; i < buf.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      buf[i] = state >>> 24;
    }
  };
}

function counted(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  counter(seed)(out);
  return out;
}

function bytes(...parts: (readonly number[] | Uint8Array)[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const TAIL = "f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae";
const text = (s: string) => new TextEncoder().encode(s);
const hex = (s: string) => new Uint8Array(s.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
const FP_KEY = bytes(text("Genuine Adobe Flash Player 001"), hex(TAIL)); // 30 + 32
const FMS_KEY = bytes(text("Genuine Adobe Flash Media Server 001"), hex(TAIL)); // 36 + 32

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const part of parts) h.update(part);
  return new Uint8Array(h.digest());
}

/** Digest offset in a 1536-byte C1/S1: block 8 (scheme 0) or 772 (scheme 1). */
function offsetOf(packet: Uint8Array, scheme: 0 | 1): number {
  const block = scheme === 0 ? 8 : 772;
  const sum = [...packet.subarray(block, block + 4)].reduce((a, b) => a + b, 0);
  return block + 4 + sum % 728;
}

function digestOf(packet: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmac(key, packet.subarray(0, offset), packet.subarray(offset + 32));
}

/** A C0C1 the way FFmpeg and Flash build it: version 9.0.124.2 and a Player digest. */
function flashC0C1(scheme: 0 | 1, seed: number): { c0c1: Uint8Array; offset: number } {
  const c0c1 = new Uint8Array(C0C1_SIZE);
  lcg(seed)(c0c1);
  c0c1.set([0x03, 0, 0, 0, 0, 9, 0, 124, 2]); // C0, time 0, version 9.0.124.2
  const c1 = c0c1.subarray(1);
  const offset = offsetOf(c1, scheme);
  c1.set(digestOf(c1, offset, FP_KEY.subarray(0, 30)), offset);
  return { c0c1, offset };
}

// ---- simple form: one golden table for C0C1 (client) and S0S1 (server) ----

const VECTORS = [
  {
    name: "epoch 0",
    decoded: { epochMs: 0, seed: 0x00 },
    encoded: bytes(
      [0x03], // C0/S0: version 3
      [0x00, 0x00, 0x00, 0x00], // time: 0
      [0x00, 0x00, 0x00, 0x00], // zero (simple form)
      counted(1528, 0x00), // random: 00 01 02 … ff 00 …
    ),
  },
  {
    name: "epoch 0x01020304",
    decoded: { epochMs: 0x01020304, seed: 0x80 },
    encoded: bytes(
      [0x03], // C0/S0: version 3
      [0x01, 0x02, 0x03, 0x04], // time: u32 BE
      [0x00, 0x00, 0x00, 0x00], // zero
      counted(1528, 0x80), // random: 80 81 … ff 00 …
    ),
  },
  {
    name: "epoch past 2^32",
    decoded: { epochMs: 2 ** 32 + 0x2a, seed: 0xff },
    encoded: bytes(
      [0x03], // C0/S0: version 3
      [0x00, 0x00, 0x00, 0x2a], // time: modulo 2^32
      [0x00, 0x00, 0x00, 0x00], // zero
      counted(1528, 0xff), // random: ff 00 01 …
    ),
  },
];

Deno.test("createC0C1() writes version, time, zero and random", () => {
  for (const { name, decoded, encoded } of VECTORS) {
    const c0c1 = createC0C1({ epochMs: decoded.epochMs, random: counter(decoded.seed) });
    assert.deepEqual(c0c1, encoded, name);
  }
});

Deno.test("createS0S1S2() answers a simple C1 with S1 random and S2 echoing C1", () => {
  const c0c1 = createC0C1({ epochMs: 77, random: lcg(1) });
  for (const { name, decoded, encoded } of VECTORS) {
    const reply = createS0S1S2(c0c1, { epochMs: decoded.epochMs, random: counter(decoded.seed) });
    assert.equal(reply.length, S0S1S2_SIZE, name);
    assert.deepEqual(reply.subarray(0, C0C1_SIZE), encoded, name);
    assert.deepEqual(reply.subarray(C0C1_SIZE), c0c1.subarray(1), name);
    assert.deepEqual(handshakeForm(c0c1), { kind: "simple" });
  }
});

Deno.test("parseS0S1S2() reads S1's time and splits S1 from S2", () => {
  for (const { name, decoded, encoded } of VECTORS) {
    const s2 = counted(C2_SIZE, 0x33);
    const parsed = parseS0S1S2(bytes(encoded, s2));
    assert.equal(parsed.time, decoded.epochMs % 2 ** 32, name);
    assert.deepEqual(parsed.s1, encoded.subarray(1), name);
    assert.deepEqual(parsed.s2, s2, name);
  }
});

Deno.test("createC2() copies S1", () => {
  for (const { name, encoded } of VECTORS) {
    const c2 = createC2(bytes(encoded, new Uint8Array(C2_SIZE)));
    assert.deepEqual(c2, encoded.subarray(1), name);
  }
});

Deno.test("a client built from createC0C1() and createC2() completes a simple handshake", () => {
  const c0c1 = createC0C1({ epochMs: 1000, random: lcg(2) });
  const reply = createS0S1S2(c0c1, { epochMs: 2000, random: lcg(3) });
  const { s1, s2 } = parseS0S1S2(reply);
  assert.deepEqual(s2, c0c1.subarray(1));
  assert.ok(checkC2(createC2(reply), s1));
});

// ---- digest form ----

for (const scheme of [0, 1] as const) {
  Deno.test(`createS0S1S2() answers a scheme-${scheme} Flash digest with FMS digest and signature`, () => {
    const { c0c1, offset } = flashC0C1(scheme, 10 + scheme);
    assert.deepEqual(handshakeForm(c0c1), { kind: "digest", scheme });
    const reply = createS0S1S2(c0c1, { epochMs: 0x0a0b0c0d, random: lcg(20 + scheme) });
    assert.equal(reply[0], 3);
    const s1 = reply.subarray(1, 1537);
    const s2 = reply.subarray(1537);
    assert.deepEqual([...s1.subarray(0, 4)], [0x0a, 0x0b, 0x0c, 0x0d]);
    assert.ok(s1.subarray(4, 8).some((b) => b !== 0), "S1 version bytes are non-zero");
    // S1 digest under the 36-byte FMS key, in the client's scheme
    const s1Offset = offsetOf(s1, scheme);
    assert.deepEqual(
      s1.subarray(s1Offset, s1Offset + 32),
      digestOf(s1, s1Offset, FMS_KEY.subarray(0, 36)),
    );
    // S2 signature under HMAC(68-byte FMS key, C1 digest)
    const c1Digest = c0c1.subarray(1 + offset, 1 + offset + 32);
    const signingKey = hmac(FMS_KEY, c1Digest);
    assert.deepEqual(s2.subarray(1504), hmac(signingKey, s2.subarray(0, 1504)));
  });
}

Deno.test("createS0S1S2() answers a versioned C1 with a wrong digest in the simple form", () => {
  const { c0c1, offset } = flashC0C1(0, 30);
  c0c1[1 + offset] = (c0c1[1 + offset] ?? 0) ^ 0xff;
  assert.deepEqual(handshakeForm(c0c1), { kind: "simple" });
  const reply = createS0S1S2(c0c1, { epochMs: 0, random: lcg(31) });
  assert.deepEqual([...reply.subarray(5, 9)], [0, 0, 0, 0]);
  assert.deepEqual(reply.subarray(C0C1_SIZE), c0c1.subarray(1));
});

Deno.test("checkC2() accepts an echo of S1 whose times differ", () => {
  const reply = createS0S1S2(createC0C1({ epochMs: 5, random: lcg(40) }), {
    epochMs: 6,
    random: lcg(41),
  });
  const s1 = reply.subarray(1, 1537);
  const c2 = s1.slice();
  c2.set([0xff, 0xff, 0xff, 0xff, 0x12, 0x34, 0x56, 0x78]); // time, time2
  assert.ok(checkC2(c2, s1));
});

Deno.test("checkC2() accepts a C2 signed like FFmpeg's for a digest S1", () => {
  const reply = createS0S1S2(flashC0C1(0, 50).c0c1, { epochMs: 0, random: lcg(51) });
  const s1 = reply.subarray(1, 1537);
  const s1Offset = offsetOf(s1, 0);
  const c2 = new Uint8Array(C2_SIZE);
  lcg(52)(c2);
  const signingKey = hmac(FP_KEY, s1.subarray(s1Offset, s1Offset + 32));
  c2.set(hmac(signingKey, c2.subarray(0, 1504)), 1504);
  assert.ok(checkC2(c2, s1));
  c2[0] = (c2[0] ?? 0) ^ 1;
  assert.equal(checkC2(c2, s1), false);
});

Deno.test("checkC2() rejects random bytes and wrong sizes without throwing", () => {
  const s1 = counted(1536, 0);
  assert.equal(checkC2(counted(1536, 1), s1), false);
  assert.equal(checkC2(s1.subarray(0, 1535), s1), false);
  assert.equal(checkC2(s1, s1.subarray(1)), false);
});

// ---- errors ----

const BAD_VERSIONS = [
  { version: 71, message: 'Handshake version 71 is not 3: "G" looks like HTTP' },
  { version: 0x16, message: "Handshake version 22 is not 3: 0x16 looks like a TLS ClientHello" },
  { version: 6, message: "Handshake version 6 is not 3: RTMPE is not supported" },
  { version: 0, message: "Handshake version 0 is not 3" },
];

/** Matches a HandshakeError with exactly this message. */
function handshakeError(message: string): (e: unknown) => boolean {
  return (e) => e instanceof HandshakeError && e.message === message;
}

Deno.test("createS0S1S2() throws HandshakeError naming a C0 that is not 3", () => {
  for (const { version, message } of BAD_VERSIONS) {
    const c0c1 = createC0C1({ epochMs: 0, random: counter(0) });
    c0c1[0] = version;
    const opts = { epochMs: 0, random: counter(0) };
    assert.throws(() => createS0S1S2(c0c1, opts), handshakeError(message));
    assert.throws(() => checkVersion(version), handshakeError(message));
  }
});

Deno.test("createS0S1S2() names an HTTP request before checking the size", () => {
  const get = text("GET / HTTP/1.1\r\n");
  assert.throws(
    () => createS0S1S2(get, { epochMs: 0, random: counter(0) }),
    handshakeError('Handshake version 71 is not 3: "G" looks like HTTP'),
  );
});

Deno.test("handshake functions throw HandshakeError on a wrong size", () => {
  const opts = { epochMs: 0, random: counter(0) };
  const c0c1 = createC0C1(opts);
  assert.throws(
    () => createS0S1S2(c0c1.subarray(0, 1536), opts),
    handshakeError("C0C1 must be 1537 bytes: got 1536"),
  );
  assert.throws(() => createS0S1S2(new Uint8Array(0), opts), /C0C1 must be 1537 bytes: got 0/);
  assert.throws(() => handshakeForm(bytes(c0c1, [0])), /C0C1 must be 1537 bytes: got 1538/);
  const reply = createS0S1S2(c0c1, opts);
  assert.throws(() => parseS0S1S2(reply.subarray(0, 3072)), /S0S1S2 must be 3073 bytes: got 3072/);
  assert.throws(() => createC2(reply.subarray(0, 1537)), HandshakeError);
});

Deno.test("parseS0S1S2() throws HandshakeError when S0 is not 3", () => {
  const reply = new Uint8Array(S0S1S2_SIZE);
  reply[0] = 6;
  assert.throws(
    () => parseS0S1S2(reply),
    handshakeError("Handshake version 6 is not 3: RTMPE is not supported"),
  );
});
