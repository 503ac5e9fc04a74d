import assert from "node:assert/strict";
import { FakeClock } from "../../src/clock.ts";
import { HealthTracker } from "../../src/health/health_tracker.ts";
import { DEFAULT_HEALTH_THRESHOLDS } from "../../src/health/thresholds.ts";

/** How a synthetic publish sends its frames. */
interface Feed {
  /** Video frames per second (media clock). */
  readonly fps?: number;
  /** Seconds of media. */
  readonly seconds: number;
  /** A keyframe every this many frames. */
  readonly keyEvery?: number;
  /** Bytes per video frame. */
  readonly frameBytes?: number;
  /** Audio frames every 1024/48000 s with this offset added to their timestamps (ms); null: none. */
  readonly audioOffsetMs?: number | null;
  /** Wall ms per media ms (1: real time, 0.5: twice as fast, 1.5: behind). */
  readonly pace?: number;
  /** First media timestamp. */
  readonly startTs?: number;
  /** Changes a video timestamp before it is fed (jumps, steps back). */
  readonly mapTs?: (ts: number, frame: number) => number;
}

/** Feeds `f` into `h`, moving `clock` with the pace; returns the next media timestamp. */
function feed(h: HealthTracker, clock: FakeClock, f: Feed): number {
  const fps = f.fps ?? 25;
  const keyEvery = f.keyEvery ?? 2 * fps;
  const pace = f.pace ?? 1;
  const start = f.startTs ?? 0;
  const audioStep = 1024 / 48;
  const events: { ts: number; video: boolean; frame: number }[] = [];
  const frames = Math.round(f.seconds * fps);
  for (let i = 0; i < frames; i++) {
    events.push({ ts: start + i * 1000 / fps, video: true, frame: i });
  }
  if (f.audioOffsetMs !== null) {
    for (let t = 0; t < f.seconds * 1000; t += audioStep) {
      events.push({ ts: start + t, video: false, frame: -1 });
    }
  }
  events.sort((a, b) => a.ts - b.ts);
  const wallStart = clock.now();
  for (const e of events) {
    const wall = wallStart + (e.ts - start) * pace;
    if (wall > clock.now()) clock.set(wall);
    if (e.video) {
      const ts = Math.round(f.mapTs?.(e.ts, e.frame) ?? e.ts);
      h.video(ts >>> 0, f.frameBytes ?? 10_000, e.frame % keyEvery === 0);
    } else {
      h.audio(Math.round(e.ts + (f.audioOffsetMs ?? 0)) >>> 0, 400);
    }
  }
  return start + f.seconds * 1000;
}

function tracker(clock = new FakeClock(0)) {
  return { clock, h: new HealthTracker({ clock, thresholds: DEFAULT_HEALTH_THRESHOLDS }) };
}

Deno.test("HealthTracker: a steady 25 fps publish with 2 s GOPs and audio is good", () => {
  const { clock, h } = tracker();
  h.metadataFps(25);
  feed(h, clock, { seconds: 12 });
  const r = h.report();
  assert.equal(r.status, "good", r.reasons.join("; "));
  assert.deepEqual(r.reasons, []);
  assert.equal(r.fps, 25);
  assert.equal(r.metadataFps, 25);
  assert.equal(r.gopFrames, 50);
  assert.equal(r.gopSeconds, 2);
  assert.equal(r.gopVariationSeconds, 0);
  assert.equal(r.keyframeIntervalSeconds, 2);
  assert.ok(Math.abs(r.avDriftMs ?? 99) <= 40, `drift ${r.avDriftMs}`);
  assert.equal(r.timestampJumps, 0);
  assert.equal(r.backwardSteps, 0);
  assert.equal(r.gaps, 0);
  assert.ok(r.behindMs < 50, `behind ${r.behindMs}`);
  assert.ok(Math.abs((r.speed ?? 0) - 1) < 0.02, `speed ${r.speed}`);
  // 25 * 10 000 B + 48000/1024 * 400 B a second
  const bits = (25 * 10_000 + (48_000 / 1024) * 400) * 8;
  assert.ok(Math.abs(r.bitrate1s - bits) / bits < 0.1, `bitrate1s ${r.bitrate1s} vs ${bits}`);
  assert.ok(Math.abs(r.bitrate10s - bits) / bits < 0.05, `bitrate10s ${r.bitrate10s} vs ${bits}`);
});

Deno.test("HealthTracker: a 12 s keyframe interval is bad, 6 s is warning", () => {
  const long = tracker();
  feed(long.h, long.clock, { seconds: 26, keyEvery: 300 });
  let r = long.h.report();
  assert.equal(r.gopFrames, 300);
  assert.equal(r.keyframeIntervalSeconds, 12);
  assert.equal(r.status, "bad");
  assert.deepEqual(r.reasons, ["keyframe interval 12.0 s (> 10 s)"]);

  const mid = tracker();
  feed(mid.h, mid.clock, { seconds: 13, keyEvery: 150 });
  r = mid.h.report();
  assert.equal(r.status, "warning");
  assert.deepEqual(r.reasons, ["keyframe interval 6.0 s (> 4 s)"]);
});

Deno.test("HealthTracker: the open GOP counts before its keyframe comes", () => {
  const { clock, h } = tracker();
  feed(h, clock, { seconds: 5, keyEvery: 1000, audioOffsetMs: null });
  const r = h.report();
  assert.equal(r.gopFrames, null);
  assert.equal(r.keyframeIntervalSeconds, 4.96);
  assert.deepEqual(r.reasons, ["keyframe interval 5.0 s (> 4 s)"]);
});

Deno.test("HealthTracker: GOP variation is the spread of GOP lengths", () => {
  const { clock, h } = tracker();
  let ts = feed(h, clock, { seconds: 2, audioOffsetMs: null, keyEvery: 25 }); // 1 s GOPs
  ts = feed(h, clock, { seconds: 3, audioOffsetMs: null, keyEvery: 75, startTs: ts }); // 3 s
  feed(h, clock, { seconds: 1, audioOffsetMs: null, keyEvery: 25, startTs: ts });
  const r = h.report();
  assert.equal(r.gopSeconds, 3);
  assert.equal(r.gopFrames, 75);
  assert.ok((r.gopVariationSeconds ?? 0) > 0.5, `variation ${r.gopVariationSeconds}`);
});

Deno.test("HealthTracker: measured fps far from the metadata's is a warning", () => {
  const { clock, h } = tracker();
  h.metadataFps(30);
  feed(h, clock, { seconds: 4, fps: 15 });
  const r = h.report();
  assert.equal(r.fps, 15);
  assert.deepEqual(r.reasons, ["fps 15.0 vs 30 in metadata"]);
});

Deno.test("HealthTracker: audio timestamps 2.5 s ahead of video are bad drift", () => {
  const { clock, h } = tracker();
  feed(h, clock, { seconds: 6, audioOffsetMs: 2500 });
  const r = h.report();
  assert.ok(Math.abs((r.avDriftMs ?? 0) - 2500) < 50, `drift ${r.avDriftMs}`);
  assert.equal(r.status, "bad");
  assert.match(r.reasons.join(), /audio\/video timestamps 2[45]\d\d ms apart/);
});

Deno.test("HealthTracker: media sent at 0.5x real time falls behind and is bad", () => {
  const { clock, h } = tracker();
  feed(h, clock, { seconds: 4, pace: 2 }); // 4 s of media over 8 s
  const r = h.report();
  // 4 s later than the first frame's pace, less 1 % of 8 s forgotten.
  assert.ok(r.behindMs > 3800 && r.behindMs < 4000, `behind ${r.behindMs}`);
  assert.ok(Math.abs((r.speed ?? 0) - 0.5) < 0.02, `speed ${r.speed}`);
  assert.equal(r.status, "bad");
  assert.match(r.reasons.join(), /video behind real time by 3\.9 s/);
});

Deno.test("HealthTracker: media sent faster than real time is ahead, not behind", () => {
  const { clock, h } = tracker();
  feed(h, clock, { seconds: 20, pace: 0.25 }); // 20 s of media over 5 s
  const r = h.report();
  assert.equal(r.behindMs, 0);
  assert.ok(Math.abs((r.speed ?? 0) - 4) < 0.1, `speed ${r.speed}`);
  assert.equal(r.status, "warning");
  assert.deepEqual(r.reasons, ["video ahead of real time (4.0x speed)"]);
});

Deno.test("HealthTracker: a lag left by one stall is behind at first, then forgotten", () => {
  const { clock, h } = tracker();
  const ts = feed(h, clock, { seconds: 2 });
  clock.advance(2_000); // the sender stalls, then goes on in real time without catching up
  feed(h, clock, { seconds: 2, startTs: ts });
  const early = h.report();
  assert.ok(early.behindMs > 1900, `behind ${early.behindMs}`);
  assert.equal(early.status, "warning");
  feed(h, clock, { seconds: 300, startTs: ts + 2_000 });
  const later = h.report();
  assert.equal(later.behindMs, 0);
  assert.equal(later.status, "good", later.reasons.join("; "));
});

Deno.test("HealthTracker: timestamp jumps and backward steps are counted with the largest", () => {
  const { clock, h } = tracker();
  feed(h, clock, {
    seconds: 6,
    audioOffsetMs: null,
    // frame 50 on: +5 s; frame 100: back 300 ms for one frame; 120: back 700 ms for good
    mapTs: (ts, i) => ts + (i >= 50 ? 5000 : 0) - (i === 100 ? 300 : 0) - (i >= 120 ? 700 : 0),
  });
  const r = h.report();
  assert.equal(r.timestampJumps, 1);
  assert.equal(r.largestJumpMs, 5040);
  assert.equal(r.backwardSteps, 2);
  assert.equal(r.largestBackwardMs, 660);
  assert.equal(r.status, "warning");
  assert.match(r.reasons.join(), /stepped back 2 times \(largest 660 ms\), jumped 1 times/);
  // The jump and the steps do not pass for falling behind or running ahead.
  assert.ok(r.behindMs < 1000, `behind ${r.behindMs}`);
  // After 30 s of clean media the warning is gone; the counts stay.
  clock.advance(40);
  feed(h, clock, { seconds: 31, startTs: 12_000, audioOffsetMs: null });
  const later = h.report();
  assert.equal(later.status, "good", later.reasons.join("; "));
  assert.equal(later.backwardSteps, 2);
});

Deno.test("HealthTracker: a 1.5 s gap in arrivals is counted and warned about", () => {
  const { clock, h } = tracker();
  const ts = feed(h, clock, { seconds: 3 });
  clock.advance(1500);
  feed(h, clock, { seconds: 3, startTs: ts });
  const r = h.report();
  assert.equal(r.gaps, 1);
  assert.ok(Math.abs(r.longestGapMs - 1540) < 30, `gap ${r.longestGapMs}`);
  assert.equal(r.status, "warning");
  assert.match(r.reasons.join(), /video gap of 1\.5 s/);
  assert.ok(r.jitterMs > 0);
});

Deno.test("HealthTracker: a publisher that stops sending is bad", () => {
  const { clock, h } = tracker();
  feed(h, clock, { seconds: 3 });
  assert.equal(h.report().status, "good");
  clock.advance(3000);
  const r = h.report();
  assert.equal(r.status, "bad");
  assert.match(r.reasons[0] ?? "", /^no media for 3\.0 s$/);
  assert.ok((r.videoSilentMs ?? 0) >= 3000);
  assert.equal(r.gaps, 1);
  assert.ok(r.longestGapMs >= 3000 && r.longestGapMs < 3100, `gap ${r.longestGapMs}`);
  assert.equal(r.bitrate1s, 0);
});

Deno.test("HealthTracker: audio stopping while video goes on is bad", () => {
  const { clock, h } = tracker();
  const ts = feed(h, clock, { seconds: 3 });
  feed(h, clock, { seconds: 3, startTs: ts, audioOffsetMs: null });
  const r = h.report();
  assert.equal(r.status, "bad");
  assert.match(r.reasons.join(), /audio stopped 3\.0 s ago while video goes on/);
});

Deno.test("HealthTracker: video stopping while audio goes on is bad", () => {
  const { clock, h } = tracker();
  const ts = feed(h, clock, { seconds: 3 });
  const audioStep = 1024 / 48;
  for (let t = 0; t < 3000; t += audioStep) {
    clock.set(ts + t);
    h.audio(Math.round(ts + t), 400);
  }
  const r = h.report();
  assert.equal(r.status, "bad");
  assert.match(r.reasons.join(), /video stopped 3\.0 s ago while audio goes on/);
});

Deno.test("HealthTracker: timestamps that wrap past 2^32 are no jump", () => {
  const { clock, h } = tracker();
  feed(h, clock, { seconds: 4, startTs: 0xffff_ffff - 2000 });
  const r = h.report();
  assert.equal(r.timestampJumps, 0);
  assert.equal(r.backwardSteps, 0);
  assert.equal(r.status, "good", r.reasons.join("; "));
});

Deno.test("HealthTracker: an audio-only publish is judged on its audio", () => {
  const { clock, h } = tracker();
  for (let i = 0; i < 200; i++) {
    clock.set(i * 21);
    h.audio(i * 21, 400);
  }
  const r = h.report();
  assert.equal(r.fps, null);
  assert.equal(r.keyframeIntervalSeconds, null);
  assert.equal(r.status, "good", r.reasons.join("; "));
});

Deno.test("HealthTracker: audio that starts 2.5 s after video (-itsoffset) is bad", () => {
  const { clock, h } = tracker();
  // A sender that interleaves by timestamp: video alone until the audio's first 2.5 s stamp.
  const ts = feed(h, clock, { seconds: 2.5, audioOffsetMs: null });
  feed(h, clock, { seconds: 3, startTs: ts });
  const r = h.report();
  assert.equal(r.avStartOffsetMs, 2500);
  assert.ok(Math.abs(r.avDriftMs ?? 99) <= 40, `drift ${r.avDriftMs}`);
  assert.equal(r.status, "bad");
  assert.deepEqual(r.reasons, ["audio timestamps start 2.5 s after video"]);
});
