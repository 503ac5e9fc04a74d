import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { Watchdog } from "../../src/session/watchdog.ts";

const timeouts = { handshakeTimeoutMs: 1000, publishTimeoutMs: 2000, idleTimeoutMs: 1500 };

function watch(clock: FakeClock) {
  const expired: string[] = [];
  let ticks = 0;
  const dog = new Watchdog({
    timeouts,
    clock,
    expire: (r) => expired.push(r),
    tick: () => ticks++,
  });
  return { dog, expired, ticks: () => ticks };
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
