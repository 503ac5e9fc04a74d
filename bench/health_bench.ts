/**
 * Per-frame cost of stream health: a HealthTracker fed 30 fps video and 43 audio frames a second,
 * against the same loop without it. Run with `deno bench --allow-all bench/health_bench.ts`.
 * @module
 */

import type { Clock } from "../src/clock.ts";
import { HealthTracker } from "../src/health/health_tracker.ts";

const FRAMES = 10_000;

/** A clock that moves 10 ms a call, so every ring and window turns over. */
function steppingClock(): Clock {
  let now = 0;
  return { now: () => (now += 10) };
}

function feed(health: HealthTracker | null, clock: Clock): number {
  let sink = 0;
  for (let i = 0; i < FRAMES; i++) {
    const ts = (i * 33) >>> 0;
    sink += clock.now();
    if (health === null) continue;
    health.video(ts, 16_000, i % 60 === 0);
    health.audio((ts + 5) >>> 0, 380);
  }
  return sink;
}

Deno.bench({
  group: "10 000 video + 10 000 audio frames",
  name: "clock only",
  baseline: true,
  fn() {
    feed(null, steppingClock());
  },
});

Deno.bench({
  group: "10 000 video + 10 000 audio frames",
  name: "with HealthTracker",
  fn() {
    const clock = steppingClock();
    feed(new HealthTracker({ clock }), clock);
  },
});

Deno.bench({
  group: "report",
  name: "HealthTracker.report() (once a second per publish)",
  fn() {
    const clock = steppingClock();
    const h = new HealthTracker({ clock });
    feed(h, clock);
    for (let i = 0; i < 100; i++) h.report();
  },
});
