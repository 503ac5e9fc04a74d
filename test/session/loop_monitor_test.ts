import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../src/clock.ts";
import { LoopMonitor } from "../../src/session/loop_monitor.ts";

Deno.test("LoopMonitor counts only lateness beyond its period as stalled time", () => {
  const clock = new FakeClock(0);
  using monitor = new LoopMonitor({ clock, periodMs: 50, manual: true });
  using _ = monitor.watch(() => {});
  for (const step of [50, 50, 40, 70, 50]) {
    clock.advance(step);
    monitor.tick();
    assert.equal(monitor.healthy, true, `a tick ${step} ms after the last is healthy`);
  }
  assert.equal(monitor.stalledMs, 20);
  clock.advance(2550);
  monitor.tick();
  assert.equal(monitor.stalledMs, 2520);
  assert.equal(monitor.healthy, false);
  clock.advance(50);
  monitor.tick();
  assert.equal(monitor.healthy, true);
});

Deno.test("LoopMonitor calls every watcher on each tick until its handle is disposed", () => {
  const clock = new FakeClock(0);
  using monitor = new LoopMonitor({ clock, manual: true });
  const calls: string[] = [];
  const a = monitor.watch(() => calls.push("a"));
  using _b = monitor.watch(() => calls.push("b"));
  monitor.tick();
  a[Symbol.dispose]();
  a[Symbol.dispose]();
  monitor.tick();
  assert.deepEqual(calls, ["a", "b", "b"]);
});

Deno.test("LoopMonitor does not count the time nobody watched as a stall", () => {
  const clock = new FakeClock(0);
  using monitor = new LoopMonitor({ clock, periodMs: 50, manual: true });
  monitor.watch(() => {})[Symbol.dispose]();
  clock.advance(10_000);
  using _ = monitor.watch(() => {});
  clock.advance(50);
  monitor.tick();
  assert.deepEqual([monitor.stalledMs, monitor.healthy], [0, true]);
});

Deno.test("LoopMonitor runs the other watchers when one throws, and reports it", () => {
  const errors: unknown[] = [];
  using monitor = new LoopMonitor({
    clock: new FakeClock(0),
    manual: true,
    onWatcherError: (e) => errors.push(e),
  });
  let ran = 0;
  using _a = monitor.watch(() => {
    throw new Error("watcher failed");
  });
  using _b = monitor.watch(() => ran++);
  monitor.tick();
  assert.equal(ran, 1);
  assert.match(String(errors[0]), /watcher failed/);
});

Deno.test("LoopMonitor ticks on a real timer only while watched, and sees a blocked loop", async () => {
  using monitor = new LoopMonitor({ clock: systemClock, periodMs: 10 });
  let ticks = 0;
  const handle = monitor.watch(() => ticks++);
  await new Promise((r) => setTimeout(r, 60));
  const end = Date.now() + 200;
  while (Date.now() < end) { /* block the loop */ }
  await new Promise((r) => setTimeout(r, 30));
  handle[Symbol.dispose]();
  assert.ok(ticks >= 3, `${ticks} ticks`);
  assert.ok(monitor.stalledMs >= 150, `${monitor.stalledMs} ms stalled`);
  const after = ticks;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(ticks, after);
});

Deno.test("LoopMonitor refuses a period that is not positive", () => {
  assert.throws(() => new LoopMonitor({ clock: systemClock, periodMs: 0 }), RangeError);
});
