import assert from "node:assert/strict";
import { FakeClock, systemClock } from "../../src/clock.ts";
import { SyncScheduler, type SyncTarget } from "../../src/record/sync_scheduler.ts";

/** A file whose syncs end only when told to; it logs its name when a sync starts. */
class SlowFile implements SyncTarget {
  pending: PromiseWithResolvers<void>[] = [];
  constructor(readonly name: string, readonly log: string[]) {}
  sync(): Promise<void> {
    this.log.push(this.name);
    const p = Promise.withResolvers<void>();
    this.pending.push(p);
    return p.promise;
  }
  end(): void {
    this.pending.shift()?.resolve();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

Deno.test("SyncScheduler syncs each file once per interval, from the start of its last sync", async () => {
  const clock = new FakeClock(0);
  using syncs = new SyncScheduler({ intervalMs: 1000, clock, manual: true });
  const log: string[] = [];
  const a = new SlowFile("a", log);
  using _a = syncs.add(a);
  clock.advance(999);
  syncs.run();
  assert.deepEqual(log, []);
  clock.advance(1);
  syncs.run();
  assert.deepEqual(log, ["a"]);
  clock.advance(300);
  a.end();
  await settle();
  syncs.run();
  assert.deepEqual(log, ["a"]);
  clock.advance(700); // 1000 ms after the first sync started
  syncs.run();
  assert.deepEqual(log, ["a", "a"]);
});

Deno.test("SyncScheduler runs at most maxAtOnce syncs and the rest in turn", async () => {
  const clock = new FakeClock(0);
  using syncs = new SyncScheduler({ intervalMs: 100, maxAtOnce: 2, clock, manual: true });
  const log: string[] = [];
  const files = ["a", "b", "c", "d"].map((n) => new SlowFile(n, log));
  const added = files.map((f) => syncs.add(f));
  clock.advance(100);
  syncs.run();
  assert.deepEqual(log, ["a", "b"]);
  assert.equal(syncs.running, 2);
  files[0]!.end();
  await settle();
  assert.deepEqual(log, ["a", "b", "c"]);
  files[1]!.end();
  await settle();
  // d has waited longest, so it goes before the files synced already.
  assert.deepEqual(log, ["a", "b", "c", "d"]);
  files[2]!.end();
  await settle();
  // The others are due again one interval after their syncs started.
  assert.deepEqual(log, ["a", "b", "c", "d"]);
  clock.advance(100);
  syncs.run();
  assert.deepEqual(log, ["a", "b", "c", "d", "a"]);
  files[3]!.end();
  await settle();
  assert.deepEqual(log, ["a", "b", "c", "d", "a", "b"]);
  for (const f of added) f[Symbol.dispose]();
  for (const f of files) f.end();
  await settle();
  assert.equal(syncs.files, 0);
});

Deno.test("SyncScheduler no longer syncs a file once it is removed", async () => {
  const clock = new FakeClock(0);
  using syncs = new SyncScheduler({ intervalMs: 100, clock, manual: true });
  const log: string[] = [];
  const a = new SlowFile("a", log);
  const b = new SlowFile("b", log);
  const removeA = syncs.add(a);
  using _b = syncs.add(b);
  removeA[Symbol.dispose]();
  removeA[Symbol.dispose]();
  assert.equal(syncs.files, 1);
  clock.advance(100);
  syncs.run();
  assert.deepEqual(log, ["b"]);
  b.end();
  await settle();
  clock.advance(100);
  syncs.run();
  assert.deepEqual(log, ["b", "b"]);
  b.end();
  await settle();
});

Deno.test("SyncScheduler goes on after a sync that rejects", async () => {
  const clock = new FakeClock(0);
  using syncs = new SyncScheduler({ intervalMs: 10, clock, manual: true });
  let calls = 0;
  using _f = syncs.add({ sync: () => (calls++, Promise.reject(new Error("EIO"))) });
  clock.advance(10);
  syncs.run();
  await settle();
  clock.advance(10);
  syncs.run();
  await settle();
  assert.equal(calls, 2);
});

Deno.test("SyncScheduler wakes itself with a timer and stops it when the last file goes", async () => {
  using syncs = new SyncScheduler({ intervalMs: 20, clock: systemClock });
  let calls = 0;
  const done = Promise.withResolvers<void>();
  const file = syncs.add({
    sync: () => {
      if (++calls === 3) done.resolve();
      return Promise.resolve();
    },
  });
  await done.promise;
  file[Symbol.dispose]();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, 3);
});

Deno.test("SyncScheduler refuses an interval that is not over 0", () => {
  assert.throws(
    () => new SyncScheduler({ intervalMs: 0, clock: systemClock, manual: true }),
    RangeError,
  );
});
