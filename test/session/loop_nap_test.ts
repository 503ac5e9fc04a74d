import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../src/clock.ts";
import { LoopMonitor } from "../../src/session/loop_monitor.ts";
import { LoopNap } from "../../src/session/loop_nap.ts";
import { readSchedstat, ThreadLoad } from "../../src/session/thread_load.ts";

Deno.test("LoopNap naps only while on, and counts what it slept", () => {
  const clock = new FakeClock(0);
  const slept: number[] = [];
  using nap = new LoopNap({
    clock,
    napMs: 3,
    manual: true,
    sleep: (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  nap.tick();
  assert.deepEqual(nap.totals, { naps: 0, nappedMs: 0 }, "off: no nap");
  nap.set(true);
  assert.equal(nap.on, true);
  for (let i = 0; i < 5; i++) {
    nap.tick();
    clock.advance(2);
  }
  nap.set(false);
  nap.tick();
  assert.deepEqual(slept, [3, 3, 3, 3, 3]);
  assert.deepEqual(nap.totals, { naps: 5, nappedMs: 15 });
});

Deno.test("LoopNap's timer blocks the thread for its naps and stops when turned off", async () => {
  using nap = new LoopNap({ clock: systemClock, napMs: 5 });
  nap.set(true);
  const t0 = performance.now();
  let turns = 0;
  // A loop turn every ms: each nap holds the loop for its length, so turns are fewer.
  while (performance.now() - t0 < 200) {
    await new Promise((r) => setTimeout(r, 0));
    turns++;
  }
  nap.set(false);
  const { naps, nappedMs } = nap.totals;
  assert.ok(naps >= 10, `${naps} naps in 200 ms`);
  assert.ok(nappedMs >= naps * 4.5, `${nappedMs} ms napped in ${naps} naps`);
  assert.ok(turns < 200, `${turns} loop turns`);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(nap.totals.naps, naps, "no nap once off");
});

Deno.test("LoopNap refuses naps outside 1-100 ms", () => {
  for (const napMs of [0, -1, 101, Number.NaN]) {
    assert.throws(() => new LoopNap({ clock: systemClock, napMs }), RangeError);
  }
});

Deno.test("LoopMonitor does not count the loop's naps as stalls", () => {
  const clock = new FakeClock(0);
  using nap = new LoopNap({ clock, napMs: 4, manual: true, sleep: (ms) => clock.advance(ms) });
  using monitor = new LoopMonitor({
    clock,
    periodMs: 50,
    manual: true,
    nappedMs: () => nap.totals.nappedMs,
  });
  using _ = monitor.watch(() => {});
  nap.set(true);
  for (let i = 0; i < 3; i++) nap.tick(); // 12 ms of naps
  clock.advance(50);
  monitor.tick(); // 62 ms after the last tick, 12 of them napping: on time
  assert.deepEqual([monitor.stalledMs, monitor.lateMs], [0, 0]);
  nap.tick();
  clock.advance(56);
  monitor.tick(); // 60 ms, 4 napping: 6 ms late
  assert.deepEqual([monitor.stalledMs, monitor.lateMs], [6, 6]);
});

Deno.test("LoopNap takes no nap while any hold is open; a hold released twice counts once", () => {
  const clock = new FakeClock(0);
  using nap = new LoopNap({ clock, napMs: 4, manual: true, sleep: (ms) => clock.advance(ms) });
  nap.set(true);
  const a = nap.hold();
  const b = nap.hold();
  nap.tick();
  a[Symbol.dispose]();
  a[Symbol.dispose]();
  nap.tick();
  assert.equal(nap.totals.naps, 0, "b still holds");
  b[Symbol.dispose]();
  nap.tick();
  assert.equal(nap.totals.naps, 1);
});

Deno.test("LoopNap.steer: on with enough sessions unless the loop is near its limit, with a gap between on and off", () => {
  using nap = new LoopNap({ clock: new FakeClock(0), manual: true, sleep: () => {} });
  const steps: [boolean, number | null, boolean][] = [
    [false, 0.1, false], // too few sessions
    [true, 0.7, false], // busy, not napping: stays off
    [true, 0.5, true], // room: on
    [true, 0.85, true], // napping makes the awake time look busier: stays on
    [true, 0.95, false], // near the limit: off
    [true, 0.65, false],
    [true, null, true], // no figure (not Linux): by sessions alone
    [false, null, false],
  ];
  for (const [i, [wanted, busy, on]] of steps.entries()) {
    nap.steer(wanted, busy);
    assert.equal(nap.on, on, `step ${i}: steer(${wanted}, ${busy})`);
  }
});

Deno.test("ThreadLoad: the loop thread's run time over its awake time; null when unreadable", () => {
  let text: string | null = "5000000 123 9\n";
  const load = new ThreadLoad(() => text);
  assert.equal(load.sample(1000, 0), null);
  text = "25000000 456 10\n"; // ran 20 ms
  assert.equal(load.sample(1050, 10), 0.5); // 50 ms, 10 napping
  text = "95000000 456 10\n"; // 70 ms in 50: capped
  assert.equal(load.sample(1100, 10), 1);
  text = null;
  assert.equal(load.sample(1150, 10), null);
  text = "96000000 0 0\n";
  assert.equal(load.sample(1200, 10), null, "no figure right after an unreadable sample");
  text = "97000000 0 0\n";
  assert.equal(load.sample(1250, 60), null, "napped all the time: nothing awake");
  text = "98000000 0 0\n";
  assert.equal(load.sample(1300, 60), 0.02);
});

Deno.test("ThreadLoad reads this thread's run time on Linux", () => {
  if (readSchedstat() === null) return; // not Linux: nothing to read
  const load = new ThreadLoad();
  assert.equal(load.sample(performance.now(), 0), null);
  const t0 = performance.now();
  while (performance.now() - t0 < 60) { /* run */ }
  const busy = load.sample(performance.now(), 0);
  assert.ok(busy !== null && busy > 0.5, `busy ${busy} after a 60 ms spin`);
});
