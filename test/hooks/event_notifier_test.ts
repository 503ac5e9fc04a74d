import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeClock } from "../../src/clock.ts";
import { EventNotifier } from "../../src/hooks/event_notifier.ts";
import type { HookEvent } from "../../src/hooks/events.ts";
import { type Answer, hookServer } from "./hook_server.ts";

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

function notifier(url: string, opts: { maxQueued?: number; attempts?: number } = {}) {
  return new EventNotifier({
    url,
    edgeId: "edge-n",
    clock: new FakeClock(T0),
    log: getLogger(["rtmp-edge-test"]),
    timeoutMs: 1_000,
    backoff: { initialMs: 20, maxMs: 50, jitter: 0 },
    ...opts,
  });
}

function play(name: string): HookEvent {
  return {
    action: "play",
    app: "live",
    name,
    sessionId: "s",
    clientIp: "1.2.3.4",
    protocol: "rtmp",
  };
}

Deno.test("EventNotifier sends events in order with edgeId and time, retrying after a 500", async () => {
  const answer: Answer = (_c, n) => new Response(null, { status: n <= 2 ? 500 : 200 });
  await using hook = hookServer(answer);
  const n = notifier(hook.url);
  n.notify(play("a"));
  n.notify(play("b"));
  await n.drained(5_000);
  await n.close();
  assert.deepEqual(hook.calls.map((c) => c.body.name), ["a", "a", "a", "b"]);
  assert.deepEqual(hook.calls[3]!.body, {
    action: "play",
    app: "live",
    name: "b",
    sessionId: "s",
    clientIp: "1.2.3.4",
    protocol: "rtmp",
    edgeId: "edge-n",
    time: new Date(T0).toISOString(),
  });
  assert.deepEqual(n.counts, { delivered: 2, failed: 0, dropped: 0, retried: 2 });
});

Deno.test("EventNotifier gives an event up after its last try and goes on with the next", async () => {
  await using hook = hookServer((call) =>
    new Response(null, { status: call.body.name === "bad" ? 503 : 204 })
  );
  const n = notifier(hook.url, { attempts: 3 });
  n.notify(play("bad"));
  n.notify(play("good"));
  await n.drained(5_000);
  await n.close();
  assert.deepEqual(hook.calls.map((c) => c.body.name), ["bad", "bad", "bad", "good"]);
  assert.equal(n.counts.failed, 1);
  assert.equal(n.counts.delivered, 1);
});

Deno.test("EventNotifier drops events past its bound while the hook hangs; notify() never waits", async () => {
  await using hook = hookServer(async () => {
    await hook.wait();
    return new Response(null);
  });
  const n = notifier(hook.url, { maxQueued: 2 });
  for (const name of ["1", "2", "3", "4", "5"]) n.notify(play(name));
  assert.equal(n.queued, 2);
  assert.equal(n.counts.dropped, 3);
  await hook.until(1);
  hook.release();
  await n.drained(5_000);
  await n.close();
  assert.deepEqual(hook.calls.map((c) => c.body.name), ["1", "2"]);
});

Deno.test("EventNotifier.close() stops after its grace: the request in flight is cancelled", async () => {
  await using hook = hookServer(async () => {
    await hook.wait();
    return new Response(null);
  });
  const n = notifier(hook.url);
  n.notify(play("stuck"));
  n.notify(play("never"));
  await hook.until(1);
  await n.close(50);
  assert.equal(n.queued, 0);
  assert.equal(n.counts.delivered, 0);
  n.notify(play("late"));
  assert.equal(n.queued, 0, "a closed notifier takes nothing");
});
