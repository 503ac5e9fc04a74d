import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { BitrateMeter } from "../../src/session/bitrate.ts";

/** Sends `bytesPerSecond` in 10 even slices per second for `seconds`. */
function feed(meter: BitrateMeter, clock: FakeClock, bytesPerSecond: number, seconds: number) {
  for (let i = 0; i < seconds * 10; i++) {
    meter.add(bytesPerSecond / 10);
    clock.advance(100);
  }
}

Deno.test("BitrateMeter reports 0 before any time has passed", () => {
  const clock = new FakeClock(0);
  const meter = new BitrateMeter({ clock });
  assert.equal(meter.kbps(), 0);
  meter.add(1_000);
  assert.equal(meter.kbps(), 0);
});

Deno.test("BitrateMeter measures a steady stream over the last 5 s", () => {
  const clock = new FakeClock(0);
  const meter = new BitrateMeter({ clock });
  feed(meter, clock, 125_000, 20); // 1 000 kbit/s
  assert.equal(meter.kbps(), 1_000);
});

Deno.test("BitrateMeter is exact mid-second, where the oldest bucket counts in part", () => {
  const clock = new FakeClock(0);
  const meter = new BitrateMeter({ clock });
  feed(meter, clock, 125_000, 7); // t = 7.0 s
  assert.equal(meter.kbps(), 1_000);
  meter.add(12_500);
  clock.advance(100);
  meter.add(12_500);
  clock.advance(100);
  meter.add(12_500);
  clock.advance(100); // t = 7.3 s, window (2.3, 7.3]
  assert.equal(meter.kbps(), 1_000);
});

Deno.test("BitrateMeter divides by its age while younger than the window", () => {
  const clock = new FakeClock(10_000);
  const meter = new BitrateMeter({ clock });
  feed(meter, clock, 250_000, 2); // 2 000 kbit/s for 2 s
  assert.equal(meter.kbps(), 2_000);
});

Deno.test("BitrateMeter handles a start mid-second", () => {
  const clock = new FakeClock(10_900);
  const meter = new BitrateMeter({ clock });
  feed(meter, clock, 125_000, 6); // now 16.9 s; window (11.9, 16.9]
  assert.equal(meter.kbps(), 1_000);
});

Deno.test("BitrateMeter forgets bytes older than the window", () => {
  const clock = new FakeClock(0);
  const meter = new BitrateMeter({ clock });
  feed(meter, clock, 125_000, 10);
  clock.advance(2_500); // half the window is silent
  assert.equal(meter.kbps(), 500);
  clock.advance(2_500);
  assert.equal(meter.kbps(), 0);
  clock.advance(60_000);
  assert.equal(meter.kbps(), 0);
});

Deno.test("BitrateMeter does not count a stale bucket that shares a slot", () => {
  const clock = new FakeClock(0);
  const meter = new BitrateMeter({ clock });
  meter.add(1_000_000); // second 0, slot 0
  clock.advance(6_000); // second 6, slot 0 again
  meter.add(5_000);
  clock.advance(500);
  // Only the 5 000 bytes of second 6 are in (1.5, 6.5].
  assert.equal(meter.kbps(), 8);
});

Deno.test("BitrateMeter takes an explicit time and a custom window", () => {
  const clock = new FakeClock(0);
  const meter = new BitrateMeter({ clock, windowSeconds: 1 });
  meter.add(1_000);
  assert.equal(meter.kbps(1_000), 8);
  assert.equal(meter.kbps(2_000), 0);
});

Deno.test("BitrateMeter survives the clock going backwards", () => {
  const clock = new FakeClock(100_000);
  const meter = new BitrateMeter({ clock });
  meter.add(1_000);
  clock.set(50_000);
  meter.add(1_000);
  assert.equal(meter.kbps(), 0);
});

Deno.test("BitrateMeter rejects a window that is not a whole number of seconds", () => {
  const clock = new FakeClock(0);
  assert.throws(() => new BitrateMeter({ clock, windowSeconds: 0 }), RangeError);
  assert.throws(() => new BitrateMeter({ clock, windowSeconds: 2.5 }), RangeError);
});
