import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import { BitReader, skipModEx, u16At, u24At, u32At } from "../../src/media/bit_reader.ts";

/** Exp-Golomb codes: ue(v) and se(v) both read the same code word (H.264 Table 9-3). */
const EXP_GOLOMB: readonly {
  name: string;
  encoded: string;
  decoded: { ue: number; se: number };
}[] = [
  { name: "1", encoded: "1", decoded: { ue: 0, se: 0 } },
  { name: "010", encoded: "010", decoded: { ue: 1, se: 1 } },
  { name: "011", encoded: "011", decoded: { ue: 2, se: -1 } },
  { name: "00100", encoded: "00100", decoded: { ue: 3, se: 2 } },
  { name: "00111", encoded: "00111", decoded: { ue: 6, se: -3 } },
  { name: "0001000", encoded: "0001000", decoded: { ue: 7, se: 4 } },
  // 31 zeros, 1, 31 ones: the largest code the reader takes
  {
    name: "31 leading zeros",
    encoded: `${"0".repeat(31)}1${"1".repeat(31)}`,
    decoded: { ue: 2 ** 32 - 2, se: -(2 ** 31 - 1) },
  },
];

function bitsToBytes(bits: string): Uint8Array {
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, "0");
  return Uint8Array.from(padded.match(/.{8}/g) ?? [], (b) => parseInt(b, 2));
}

Deno.test("BitReader.readUe() and readSe() decode exp-Golomb code words", () => {
  for (const { name, encoded, decoded } of EXP_GOLOMB) {
    assert.equal(new BitReader(bitsToBytes(encoded)).readUe(), decoded.ue, name);
    assert.equal(new BitReader(bitsToBytes(encoded)).readSe(), decoded.se, name);
  }
});

Deno.test("BitReader.readUe() refuses a code with 32 leading zeros", () => {
  const r = new BitReader(new Uint8Array(8), { label: "Test SPS" });
  assert.throws(
    () => r.readUe(),
    (e: unknown) => e instanceof MediaError && /32 leading zeros/.test(e.message),
  );
});

Deno.test("BitReader.readBits() reads across bytes, up to 32 bits unsigned", () => {
  const r = new BitReader(new Uint8Array([0xab, 0xcd, 0xff, 0xff, 0xff, 0xff]));
  assert.equal(r.readBits(4), 0xa);
  assert.equal(r.readBits(8), 0xbc);
  assert.equal(r.readBits(4), 0xd);
  assert.equal(r.readBits(32), 0xffffffff);
  assert.ok(r.atEnd);
});

Deno.test("BitReader throws MediaError naming its label when it runs out", () => {
  const r = new BitReader(new Uint8Array([0xff]), { label: "H.264 SPS" });
  r.skipBits(8);
  assert.throws(
    () => r.readBit(),
    (e: unknown) =>
      e instanceof MediaError && e.message === "H.264 SPS ended early: read past byte 1",
  );
});

/** Emulation prevention: what the reader sees of each NAL byte string. */
const EPB: readonly { name: string; encoded: number[]; decoded: number[] }[] = [
  {
    name: "drops 03 after two zeros",
    encoded: [0x00, 0x00, 0x03, 0x01],
    decoded: [0x00, 0x00, 0x01],
  },
  {
    name: "keeps 03 after one zero",
    encoded: [0x11, 0x00, 0x03, 0x01],
    decoded: [0x11, 0x00, 0x03, 0x01],
  },
  {
    name: "restarts the zero count after a dropped 03",
    encoded: [0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00],
    decoded: [0x00, 0x00, 0x00, 0x00, 0x00],
  },
  {
    name: "keeps a 03 that follows 00 03",
    encoded: [0x00, 0x00, 0x03, 0x03],
    decoded: [0x00, 0x00, 0x03],
  },
];

Deno.test("BitReader with emulationPrevention skips emulation prevention bytes", () => {
  for (const { name, encoded, decoded } of EPB) {
    const r = new BitReader(new Uint8Array(encoded), { emulationPrevention: true });
    const seen: number[] = [];
    while (!r.atEnd) seen.push(r.readBits(8));
    assert.deepEqual(seen, decoded, name);
  }
});

Deno.test("BitReader without emulationPrevention keeps every byte", () => {
  const r = new BitReader(new Uint8Array([0x00, 0x00, 0x03, 0x01]));
  assert.equal(r.readBits(32), 0x00000301);
});

Deno.test("u16At(), u24At() and u32At() read big-endian", () => {
  const b = new Uint8Array([0x12, 0x34, 0x56, 0x78, 0x9a]);
  assert.equal(u16At(b, 0), 0x1234);
  assert.equal(u24At(b, 1), 0x345678);
  assert.equal(u32At(b, 1), 0x3456789a);
  assert.equal(u32At(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0), 0xffffffff);
});

/** ModEx blocks: where the next field starts. */
const MOD_EX: readonly { name: string; encoded: number[]; decoded: number }[] = [
  {
    name: "one data byte",
    encoded: [
      0x97, // ExHeader audio, packet type 7 ModEx
      0x00, // modExDataSize - 1 = 0
      0xaa, // data
      0x01, // ModEx type 0, packet type 1
    ],
    decoded: 4,
  },
  {
    name: "the u16 size escape",
    encoded: [0x97, 0xff, 0x01, 0x00, ...new Array<number>(257).fill(0), 0x01], // UI16 + 1 = 257 bytes
    decoded: 4 + 257 + 1,
  },
];

Deno.test("skipModEx() returns the index past the ModEx type byte", () => {
  for (const { name, encoded, decoded } of MOD_EX) {
    assert.equal(skipModEx(new Uint8Array(encoded), 1, "Audio"), decoded, name);
  }
});

Deno.test("skipModEx() throws MediaError when the block overruns the tag", () => {
  for (const bytes of [[0x97], [0x97, 0x05, 0x00], [0x97, 0xff, 0x00]]) {
    assert.throws(() => skipModEx(new Uint8Array(bytes), 1, "Audio"), MediaError);
  }
});
