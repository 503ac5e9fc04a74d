import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { LoopMonitor } from "../../src/session/loop_monitor.ts";
import { Watchdog } from "../../src/session/watchdog.ts";

const timeouts = { handshakeTimeoutMs: 1000, publishTimeoutMs: 2000, idleTimeoutMs: 1500 };

/** Options of {@linkcode watch}. */
interface WatchOptions {
  readonly monitor?: LoopMonitor;
  readonly timeouts?: typeof timeouts;
  /** Without the `tick` callback (nothing is due before the first deadline). */
  readonly noTick?: boolean;
}

/** A watchdog on a manual 50 ms monitor; `step(ms)` advances the clock tick by tick. */
function watch(clock: FakeClock, opts: WatchOptions = {}) {
  const monitor = opts.monitor ?? new LoopMonitor({ clock, manual: true });
  const expired: string[] = [];
  let ticks = 0;
  const dog = new Watchdog({
    timeouts: opts.timeouts ?? timeouts,
    clock,
    monitor,
    expire: (r) => expired.push(r),
    ...(opts.noTick === true ? {} : { tick: () => ticks++ }),
  });
  const step = (ms: number) => {
    for (let t = 0; t < ms; t += monitor.periodMs) {
      clock.advance(monitor.periodMs);
      monitor.tick();
    }
  };
  /** Checks `ms - 1` from now (nothing expired) and at `ms` (expired by the limit `limit`). */
  const expiresIn = (ms: number, limit: string, why?: string) => {
    clock.advance(ms - 1);
    dog.check();
    assert.deepEqual(expired, [], why ?? `not expired ${ms - 1} ms on`);
    clock.advance(1);
    dog.check();
    assert.match(expired[0]!, new RegExp(`^Limit ${limit}`));
  };
  return { dog, expired, ticks: () => ticks, monitor, step, expiresIn };
}

Deno.test("Watchdog expires a handshake that takes too long, naming the limit", () => {
  const clock = new FakeClock(0);
  const { dog, expired } = watch(clock);
  using _ = dog;
  clock.advance(900);
  dog.read(clock.now());
  dog.check();
  assert.deepEqual(expired, []);
  clock.advance(100);
  dog.check();
  assert.equal(expired.length, 1);
  assert.match(expired[0]!, /^Limit handshake-timeout: .*1000 ms/);
  dog.check();
  assert.equal(expired.length, 1);
});

Deno.test("Watchdog expires a connection that does not publish in time", () => {
  const clock = new FakeClock(0);
  const { dog, expired } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  for (let i = 0; i < 19; i++) {
    clock.advance(100);
    dog.read(clock.now());
    dog.check();
  }
  assert.deepEqual(expired, []);
  clock.advance(100);
  dog.check();
  assert.match(expired[0]!, /^Limit publish-timeout: no publish within 2000 ms/);
});

Deno.test("Watchdog drops an idle publisher but not a busy one", () => {
  const clock = new FakeClock(0);
  const { dog, expired, ticks } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  dog.published();
  for (let i = 0; i < 50; i++) {
    clock.advance(1000);
    dog.read(clock.now());
    dog.check();
  }
  assert.deepEqual(expired, []);
  assert.equal(ticks(), 50);
  clock.advance(1499);
  dog.check();
  assert.deepEqual(expired, []);
  clock.advance(1);
  dog.check();
  assert.match(expired[0]!, /^Limit idle-timeout: no data for 1500 ms/);
});

Deno.test("Watchdog does not count a loop stall as client idle time", () => {
  const clock = new FakeClock(0);
  const { dog, expired, monitor, step } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  dog.published();
  step(1000);
  clock.advance(3000); // the loop was blocked: the next tick comes 2950 ms late
  monitor.tick();
  assert.deepEqual(expired, []);
  step(400);
  assert.deepEqual(expired, []);
  step(50);
  assert.match(expired[0]!, /^Limit idle-timeout/);
  assert.equal(clock.now() - 2950, 1500);
});

Deno.test("Watchdog does not expire on the tick right after a stall, only on a healthy one", () => {
  const clock = new FakeClock(0);
  const { dog, expired, monitor, step } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  dog.published();
  step(1450);
  clock.advance(50 + 50); // 50 ms late: counted, and the loop is not yet healthy
  monitor.tick();
  assert.equal(clock.now() - 0 - monitor.stalledMs, 1500); // the idle deadline has passed
  assert.deepEqual(expired, []);
  dog.read(clock.now()); // the read that waited in the socket runs first
  step(50);
  assert.deepEqual(expired, []);
  step(1400);
  assert.deepEqual(expired, []);
  step(50);
  assert.match(expired[0]!, /^Limit idle-timeout/);
});

Deno.test("Watchdog extends the handshake and publish deadlines by loop stalls", () => {
  const clock = new FakeClock(0);
  const { dog, expired, monitor, step } = watch(clock);
  using _ = dog;
  step(500);
  clock.advance(5050);
  monitor.tick();
  dog.read(clock.now());
  step(400);
  assert.deepEqual(expired, []);
  step(50);
  assert.match(expired[0]!, /^Limit handshake-timeout/);

  const next = watch(clock, { monitor });
  using _next = next.dog;
  next.dog.handshakeDone();
  for (let i = 0; i < 19; i++) {
    step(50);
    next.dog.read(clock.now());
  }
  clock.advance(3050);
  monitor.tick();
  for (let i = 0; i < 19; i++) {
    next.dog.read(clock.now());
    step(50);
  }
  assert.deepEqual(next.expired, []);
  step(50);
  assert.match(next.expired[0]!, /^Limit publish-timeout/);
});

Deno.test("Watchdogs share the monitor's ticker, tick about once a second and stop when disposed", () => {
  const clock = new FakeClock(0);
  const monitor = new LoopMonitor({ clock, manual: true });
  const a = watch(clock, { monitor });
  const b = watch(clock, { monitor });
  using _ = monitor;
  a.dog.handshakeDone();
  a.dog.published();
  for (let i = 0; i < 100; i++) {
    a.step(50);
    a.dog.read(clock.now());
  }
  assert.equal(a.ticks(), 5);
  assert.match(b.expired[0]!, /^Limit handshake-timeout/);
  a.dog[Symbol.dispose]();
  b.dog[Symbol.dispose]();
  a.step(5000);
  assert.deepEqual(a.expired, []);
  assert.equal(a.ticks(), 5);
});

Deno.test("Watchdog does not idle-drop a player that sends nothing, and counts idle again once it stops", () => {
  const clock = new FakeClock(0);
  const { dog, expired } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  dog.playing(true);
  clock.advance(10_000);
  dog.check();
  assert.deepEqual(expired, [], "neither publish-timeout nor idle-timeout while playing");
  dog.playing(false);
  clock.advance(1_400);
  dog.check();
  assert.deepEqual(expired, [], "idle counts from the end of the play");
  clock.advance(100);
  dog.check();
  assert.match(expired[0]!, /^Limit idle-timeout/);
});

Deno.test("Watchdog does not idle-drop a publisher whose reads the server holds, and counts idle again after", () => {
  const clock = new FakeClock(0);
  const { dog, expired, expiresIn } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  dog.published();
  clock.advance(1_000);
  dog.holding(true);
  clock.advance(4_000);
  dog.check();
  assert.deepEqual(expired, [], "no idle-timeout while its reads are held");
  dog.holding(false);
  expiresIn(1_500, "idle-timeout", "idle counts from the end of the hold");
});

Deno.test("Watchdog without a tick still expires a publish deadline set after its last check", () => {
  // Without a tick nothing is due before the first deadline: the handshake's end must bring
  // a shorter publish deadline forward.
  const clock = new FakeClock(0);
  const { dog, expiresIn } = watch(clock, {
    timeouts: { handshakeTimeoutMs: 10_000, publishTimeoutMs: 2000, idleTimeoutMs: 30_000 },
    noTick: true,
  });
  using _ = dog;
  dog.check();
  clock.advance(100);
  dog.handshakeDone();
  expiresIn(2000, "publish-timeout");
});

Deno.test("Watchdog without a tick counts idle time again when a player stops playing", () => {
  const clock = new FakeClock(0);
  const { dog, expiresIn } = watch(clock, { noTick: true });
  using _ = dog;
  dog.handshakeDone();
  dog.playing(true);
  clock.advance(5000);
  dog.check(); // nothing can be due while it plays
  dog.playing(false);
  expiresIn(1500, "idle-timeout");
});

Deno.test("Watchdog checks again on every tick while an unhealthy loop holds a due deadline", () => {
  const clock = new FakeClock(0);
  const { dog, expired, monitor, step } = watch(clock);
  using _ = dog;
  dog.handshakeDone();
  dog.published();
  step(1450);
  clock.advance(50 + 100); // a 100 ms stall: the idle deadline is due, but the loop just came back
  monitor.tick();
  assert.deepEqual(expired, []);
  step(150); // healthy ticks: the deadline less the stall has passed
  assert.match(expired[0]!, /^Limit idle-timeout/);
});
