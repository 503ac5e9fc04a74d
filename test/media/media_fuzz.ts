/**
 * Test helpers shared by the tag tests: a seeded PRNG for garbage bodies, and a probe
 * that reports the highest byte index a parser read.
 * @module
 */

import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import { prng } from "../parser/stream_gen.ts";

/** Bodies for fuzzing: random bytes, seeds with random tails, and bit-flipped seeds. */
export function garbage(seed: number, seeds: readonly Uint8Array[], count: number): Uint8Array[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const base = seeds[int(seeds.length)] ?? new Uint8Array();
    let body: Uint8Array;
    switch (i % 3) {
      case 0:
        body = Uint8Array.from({ length: int(48) }, () => int(256));
        break;
      case 1:
        body = base.slice(0, int(base.length + 1));
        body = Uint8Array.from([...body, ...Array.from({ length: int(24) }, () => int(256))]);
        break;
      default:
        body = base.slice();
        for (let f = 0; f < 1 + int(4); f++) {
          const at = int(body.length);
          body[at] = (body[at] ?? 0) ^ (1 << int(8));
        }
    }
    out.push(body);
  }
  return out;
}

/** Runs `parse` on a view of `bytes` that records indexed reads; returns the highest index read. */
export function highestIndexRead(bytes: Uint8Array, parse: (body: Uint8Array) => unknown): number {
  let max = -1;
  const probe = new Proxy(bytes, {
    get(target, key) {
      if (typeof key === "string" && /^\d+$/.test(key)) max = Math.max(max, Number(key));
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  parse(probe);
  return max;
}

/** Asserts `parse` throws a MediaError with exactly each row's message. */
export function assertErrors(
  parse: (body: Uint8Array) => unknown,
  table: readonly { name: string; encoded: readonly number[]; message: string }[],
): void {
  for (const { name, encoded, message } of table) {
    assert.throws(
      () => parse(new Uint8Array(encoded)),
      (e: unknown) => e instanceof MediaError && e.message === message,
      name,
    );
  }
}

/** Asserts that every prefix of every body parses or throws MediaError, nothing else. */
export function assertPrefixesSafe(
  parse: (body: Uint8Array) => unknown,
  bodies: readonly Uint8Array[],
): void {
  for (const body of bodies) {
    for (let n = 0; n <= body.length; n++) {
      try {
        parse(body.subarray(0, n));
      } catch (e) {
        assert.ok(e instanceof MediaError, `cut at ${n}: ${e}`);
      }
    }
  }
}

/**
 * Asserts that 20 000 garbage bodies made from `seeds` (seeded by the clock) each parse, with
 * the result passing `check`, or throw MediaError.
 */
export function assertGarbageSafe<T>(
  parse: (body: Uint8Array) => T,
  seeds: readonly Uint8Array[],
  check: (result: T) => void,
): void {
  const seed = Date.now() % 100_000;
  for (const body of garbage(seed, seeds, 20_000)) {
    let result: T;
    try {
      result = parse(body);
    } catch (e) {
      assert.ok(e instanceof MediaError, `seed ${seed}, body ${body}: ${e}`);
      continue;
    }
    check(result);
  }
}
