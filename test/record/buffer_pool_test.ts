import assert from "node:assert/strict";
import { BufferPool } from "../../src/record/buffer_pool.ts";

Deno.test("BufferPool hands back what it was given, newest first, and makes more when empty", () => {
  const pool = new BufferPool({ size: 16, maxIdle: 2 });
  const a = pool.take();
  const b = pool.take();
  assert.notEqual(a, b);
  assert.equal(a.length, 16);
  pool.give(a);
  pool.give(b);
  assert.equal(pool.idle, 2);
  assert.equal(pool.take(), b);
  assert.equal(pool.take(), a);
  assert.equal(pool.idle, 0);
});

Deno.test("BufferPool keeps at most maxIdle buffers and drops foreign ones", () => {
  const pool = new BufferPool({ size: 16, maxIdle: 1 });
  const a = pool.take();
  const b = pool.take();
  pool.give(a);
  pool.give(b);
  assert.equal(pool.idle, 1);
  pool.take();
  pool.give(new Uint8Array(32));
  pool.give(new Uint8Array(32).subarray(0, 16));
  pool.give(new Uint8Array(32).subarray(16));
  assert.equal(pool.idle, 0);
});

Deno.test("BufferPool refuses a size that is not a positive integer", () => {
  assert.throws(() => new BufferPool({ size: 0, maxIdle: 1 }), RangeError);
  assert.throws(() => new BufferPool({ size: 1.5, maxIdle: 1 }), RangeError);
});
