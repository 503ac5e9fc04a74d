import assert from "node:assert/strict";
import { TimestampRebase } from "../../src/record/timestamp_rebase.ts";

Deno.test("TimestampRebase starts its timeline at the first timestamp", () => {
  const t = new TimestampRebase();
  assert.equal(t.started, false);
  assert.equal(t.rebase(5_000), 0);
  assert.equal(t.started, true);
  assert.equal(t.rebase(5_040), 40);
});

Deno.test("TimestampRebase keeps counting up across a wrap past 2^32", () => {
  const t = new TimestampRebase();
  t.rebase(0xffff_fff0);
  assert.equal(t.rebase(0x10), 0x20);
  assert.equal(t.rebase(0x1010), 0x1020);
  assert.equal(t.maxTime, 0x1020);
});

Deno.test("TimestampRebase steps back a little for an older timestamp, never below 0", () => {
  const t = new TimestampRebase();
  t.rebase(1_000);
  assert.equal(t.rebase(1_100), 100);
  assert.equal(t.rebase(1_080), 80);
  assert.equal(t.rebase(900), 0);
  assert.equal(t.maxTime, 100);
});
