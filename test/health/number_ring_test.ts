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
