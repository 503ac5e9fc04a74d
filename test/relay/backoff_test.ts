import assert from "node:assert/strict";
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/relay/backoff.ts";

Deno.test("backoffDelay() doubles from 1 s and stops at 30 s", () => {
  const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, DEFAULT_BACKOFF, () => 0));
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
});

Deno.test("backoffDelay() takes up to the jitter fraction off at random", () => {
  assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999999), 800);
  assert.equal(backoffDelay(4, DEFAULT_BACKOFF, () => 0.5), 7_200);
  for (let n = 1; n < 8; n++) {
    const low = backoffDelay(n, DEFAULT_BACKOFF, () => 0.999999);
    assert.ok(low >= 0.8 * backoffDelay(n, DEFAULT_BACKOFF, () => 0));
  }
});

Deno.test("backoffDelay() grows with every retry whatever the jitter", () => {
  let last = 0;
  for (let n = 1; n <= 5; n++) {
    const d = backoffDelay(n, DEFAULT_BACKOFF, () => 0.999999);
    assert.ok(d > last, `retry ${n}: ${d} after ${last}`);
    last = backoffDelay(n, DEFAULT_BACKOFF, () => 0);
  }
});

Deno.test("backoffDelay() refuses a retry number below 1", () => {
  assert.throws(() => backoffDelay(0, DEFAULT_BACKOFF, () => 0), RangeError);
});
