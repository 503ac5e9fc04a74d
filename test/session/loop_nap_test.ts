import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../src/clock.ts";
import { LoopMonitor } from "../../src/session/loop_monitor.ts";
import { LOOP_NAP_HOLD_MS, LoopNap } from "../../src/session/loop_nap.ts";
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
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const asked: number[] = [];
  using nap = new LoopNap({
    clock: systemClock,
    napMs: 5,
    sleep: (ms) => {
      asked.push(ms);
      Atomics.wait(cell, 0, 0, ms);
    },
  });
  nap.set(true);
  await new Promise((r) => setTimeout(r, 200));
  nap.set(false);
  const { naps, nappedMs } = nap.totals;
  assert.equal(naps, asked.length);
  assert.ok(naps >= 5, `${naps} naps in 200 ms`);
  assert.ok(asked.every((ms) => ms >= 0.5 && ms <= 5), `nap lengths ${asked}`);
  const total = asked.reduce((a, b) => a + b, 0);
  assert.ok(nappedMs >= total * 0.5, `${nappedMs} ms napped of ${total} asked`);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(nap.totals.naps, naps, "no nap once off");
});

Deno.test("LoopNap refuses naps outside 1-100 ms", () => {
  for (const napMs of [0, -1, 101, Number.NaN]) {
    assert.throws(() => new LoopNap({ clock: systemClock, napMs }), RangeError);
  }
});

Deno.test("LoopMonitor takes at most one nap off a tick's lateness: a stall among naps still counts", () => {
  const clock = new FakeClock(0);
  using nap = new LoopNap({ clock, napMs: 4, manual: true, sleep: (ms) => clock.advance(ms) });
  using monitor = new LoopMonitor({
    clock,
    periodMs: 50,
    manual: true,
    naps: nap,
  });
  using _ = monitor.watch(() => {});
  nap.set(true);
  nap.tick(); // naps within the period
  clock.advance(20);
  nap.tick();
  clock.advance(22);
  monitor.tick(); // at 50: on time
  assert.deepEqual([monitor.stalledMs, monitor.lateMs], [0, 0]);
  clock.advance(48);
  nap.tick(); // a nap over the tick's due time (100) holds it back to 102
  monitor.tick();
  assert.deepEqual([monitor.stalledMs, monitor.lateMs, monitor.healthy], [0, 0, true]);
  nap.tick(); // 106
  clock.advance(100); // a real stall
  monitor.tick(); // at 206: 54 ms late, of which the nap (4 ms) is not a stall
  assert.deepEqual([monitor.stalledMs, monitor.lateMs, monitor.healthy], [50, 50, false]);
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
  using _never = nap.hold(); // a client that never publishes
  nap.tick();
  assert.equal(nap.totals.naps, 1);
  clock.advance(LOOP_NAP_HOLD_MS - 1);
  nap.tick(); // still held (a tick this late naps nothing anyway: it starts a new cycle)
  clock.advance(2);
  nap.tick();
  assert.equal(nap.totals.naps, 2, "a hold lasts a second at most");
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
