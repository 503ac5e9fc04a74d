import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { ReadClock } from "../../src/session/read_clock.ts";

Deno.test("ReadClock answers the held read's time while the clock moves on", () => {
  const clock = new FakeClock(10_000);
  const read = new ReadClock(clock);
  read.hold(10_000);
  clock.advance(40);
  assert.equal(read.now(), 10_000);
  read.hold(clock.now());
  assert.equal(read.now(), 10_040);
});

Deno.test("ReadClock follows its clock when no read is held", () => {
  const clock = new FakeClock(0);
  const read = new ReadClock(clock);
  assert.equal(read.now(), 0);
  read.hold(0);
  read.release();
  clock.advance(1_500);
  assert.equal(read.now(), 1_500);
});

Deno.test("ReadClock holds a read at time zero", () => {
  const clock = new FakeClock(0);
  const read = new ReadClock(clock);
  read.hold(0);
  clock.advance(5);
  assert.equal(read.now(), 0);
});
