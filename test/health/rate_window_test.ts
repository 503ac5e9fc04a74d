import assert from "node:assert/strict";
import { RateWindow } from "../../src/health/rate_window.ts";

Deno.test("RateWindow in a shared store gives what one of its own gives", () => {
  const n = RateWindow.floats(1_000);
  const store = new Float64Array(n + 4).fill(-7);
  const own = new RateWindow(1_000, 50);
  const shared = new RateWindow(1_000, 50, store, 2);
  for (let t = 50; t < 3_000; t += 37) {
    own.add(t, t % 500);
    shared.add(t, t % 500);
    for (const w of [100, 500, 1_000]) {
      assert.equal(shared.bitsPerSecond(t, w), own.bitsPerSecond(t, w));
    }
  }
  assert.ok(own.bitsPerSecond(3_000, 1_000) > 0);
  assert.deepEqual([...store.subarray(0, 2), ...store.subarray(2 + n)], [-7, -7, -7, -7]);
  assert.throws(() => new RateWindow(1_000, 0, store, 5), RangeError);
});
