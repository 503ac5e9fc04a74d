import assert from "node:assert/strict";
import { NumberRing } from "../../src/health/number_ring.ts";

Deno.test("NumberRing gives oldest and newest before and after it wraps", () => {
  const ring = new NumberRing(3);
  assert.ok(Number.isNaN(ring.oldest()));
  assert.ok(Number.isNaN(ring.newest()));
  const seen: [number, number][] = [];
  for (let i = 1; i <= 7; i++) {
    ring.push(i);
    seen.push([ring.oldest(), ring.newest()]);
  }
  assert.deepEqual(seen, [[1, 1], [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]);
  assert.deepEqual(ring.stats(), { mean: 6, stddev: Math.sqrt(2 / 3) });
});

Deno.test("NumberRing starts over after clear()", () => {
  const ring = new NumberRing(2);
  ring.push(1);
  ring.push(2);
  ring.push(3);
  ring.clear();
  assert.equal(ring.size, 0);
  ring.push(9);
  assert.equal(ring.oldest(), 9);
  assert.equal(ring.newest(), 9);
});

Deno.test("NumberRing in a shared store keeps to its own slots", () => {
  const store = new Float64Array(8).fill(-7);
  const own = new NumberRing(3);
  const shared = new NumberRing(3, store, 2);
  for (let i = 1; i <= 7; i++) {
    own.push(i * 1.5);
    shared.push(i * 1.5);
    assert.equal(shared.oldest(), own.oldest());
    assert.equal(shared.newest(), own.newest());
    assert.deepEqual(shared.stats(), own.stats());
  }
  assert.deepEqual([...store.subarray(0, 2), ...store.subarray(5)], [-7, -7, -7, -7, -7]);
  assert.throws(() => new NumberRing(3, store, 6), RangeError);
  assert.throws(() => new NumberRing(3, store, -1), RangeError);
});
