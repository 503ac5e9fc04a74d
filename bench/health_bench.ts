/**
 * Per-frame cost of stream health: a HealthTracker fed frames alone, and the publish path
 * (tag parsing, hub, GOP cache) over the e2e bench's 720p30 file with and without it.
 * Run with `deno bench --allow-all bench/health_bench.ts`.
 * @module
 */

import { type Clock, systemClock } from "../src/clock.ts";
import { HealthTracker } from "../src/health/health_tracker.ts";
import { Publication } from "../src/session/publication.ts";
import { LiveStream } from "../src/stream/live_stream.ts";

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

/** The audio and video tags of an FLV file: type, timestamp, body. */
function flvTags(bytes: Uint8Array): { type: number; ts: number; body: Uint8Array }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tags: { type: number; ts: number; body: Uint8Array }[] = [];
  for (let at = view.getUint32(5) + 4; at + 11 <= bytes.length;) {
    const type = bytes[at]!;
    const size = view.getUint32(at) & 0xffffff;
    const ts = (view.getUint32(at + 4) >>> 8) | (bytes[at + 7]! << 24);
    if (type === 8 || type === 9) {
      tags.push({ type, ts, body: bytes.subarray(at + 11, at + 11 + size) });
    }
    at += 11 + size + 4;
  }
  return tags;
}

const FILE = `${
  Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`
}/rtmp-edge/bench-720p30-4mbit-10s.flv`;
const tags = (() => {
  try {
    return flvTags(Deno.readFileSync(FILE));
  } catch {
    return null; // made by `deno task bench:e2e`
  }
})();

function publishFile(withHealth: boolean): void {
  if (tags === null) return;
  const stream = new LiveStream({
    key: "live/b",
    app: "live",
    name: "b",
    publisherId: "p",
    startedAt: "",
    gopCacheBytes: 16 * 1024 * 1024,
    now: () => systemClock.now(),
    codecs: { video: { codec: null }, audio: { codec: null } },
  });
  const video = { codec: null, width: null, height: null, fps: null, frames: 0, keyframes: 0 };
  const audio = { codec: null, sampleRate: null, channels: null, frames: 0 };
  const pub = new Publication({
    streamId: 1,
    video,
    audio,
    stream,
    ...(withHealth ? { health: new HealthTracker({ clock: systemClock }) } : {}),
  });
  for (const t of tags) {
    if (t.type === 9) pub.video(t.ts, t.body);
    else pub.audio(t.ts, t.body);
  }
}

Deno.bench({
  group: "publish path, 10 s of the e2e bench's 720p30 file",
  name: "Publication without health",
  baseline: true,
  ignore: tags === null,
  fn: () => publishFile(false),
});

Deno.bench({
  group: "publish path, 10 s of the e2e bench's 720p30 file",
  name: "Publication with HealthTracker",
  ignore: tags === null,
  fn: () => publishFile(true),
});
