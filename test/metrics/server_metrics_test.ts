import assert from "node:assert/strict";
import { emptyFigures } from "../../src/health/health_tracker.ts";
import { FakeClock } from "../../src/clock.ts";
import { ServerMetrics } from "../../src/metrics/server_metrics.ts";
import { MAX_REASON_LABELS, SessionTotals } from "../../src/metrics/session_totals.ts";
import { LoopMonitor } from "../../src/session/loop_monitor.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import { GopBudget } from "../../src/stream/gop_budget.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import { parseMetrics, series, value } from "./prom_text.ts";

function setup(opts: { maxStreams?: number; loop?: LoopMonitor; clock?: FakeClock } = {}) {
  let n = 0;
  const clock = opts.clock ?? new FakeClock(Date.UTC(2024, 0, 1));
  const totals = new SessionTotals();
  const registry = new SessionRegistry({
    clock,
    newId: () => `id${++n}`,
    onClose: (i) => totals.closed(i),
  });
  const hub = new StreamHub();
  const metrics = new ServerMetrics({
    sessions: () => registry.live(),
    streams: () => hub.list(),
    totals,
    maxStreams: opts.maxStreams ?? 10,
    clock,
    memory: () => ({ rss: 4, heapTotal: 3, heapUsed: 2, external: 1 }),
    ...(opts.loop === undefined ? {} : { loop: opts.loop }),
  });
  const open = (protocol: "rtmp" | "http-flv" = "rtmp") =>
    registry.open({ remoteAddr: "127.0.0.1:5000", parser: null, protocol, drop: () => {} });
  const publish = (name: string) => {
    const h = open();
    h.update({ state: "publishing", role: "publisher", app: "live", streamName: name });
    const stream = hub.claim({
      key: `live/${name}`,
      app: "live",
      name,
      publisherId: h.id,
      startedAt: new Date(clock.now()).toISOString(),
      codecs: h.info,
    })!;
    return { h, stream };
  };
  const scrape = async () => parseMetrics(await metrics.scrape());
  return { clock, totals, hub, metrics, open, publish, scrape };
}

Deno.test("scrape() shows sessions by state and role, and counters keep a closed session's figures", async () => {
  using t = disposable(setup());
  const { h } = t.publish("cam");
  h.addBytesIn(1000);
  Object.assign(h.info.video, { frames: 10, keyframes: 2 });
  h.info.audio.frames = 20;
  h.info.dataMessages = 1;
  t.open("http-flv").update({ state: "playing", role: "player" });
  let m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_sessions", { state: "publishing", role: "publisher" }), 1);
  assert.equal(value(m, "rtmp_edge_sessions", { state: "playing", protocol: "http-flv" }), 1);
  assert.equal(value(m, "rtmp_edge_publishes_started_total"), 1);
  assert.equal(value(m, "rtmp_edge_plays_started_total"), 1);
  assert.equal(value(m, "rtmp_edge_connections_total", { protocol: "rtmp" }), 1);
  const frames = () =>
    Object.fromEntries(
      series(m, "rtmp_edge_frames_received_total").map((s) => [s.labels.kind, s.value]),
    );
  assert.deepEqual(frames(), { video_key: 2, video_inter: 8, audio: 20, data: 1 });
  assert.equal(value(m, "rtmp_edge_received_bytes_total"), 1000);

  h.close("Client closed the connection");
  m = await t.scrape();
  assert.deepEqual(frames(), { video_key: 2, video_inter: 8, audio: 20, data: 1 });
  assert.equal(value(m, "rtmp_edge_received_bytes_total"), 1000);
  assert.equal(value(m, "rtmp_edge_sessions", { role: "publisher" }), undefined);
  assert.equal(value(m, "rtmp_edge_publishes_started_total"), 1);
  assert.equal(
    value(m, "rtmp_edge_publishes_ended_total", { reason: "Client closed the connection" }),
    1,
  );
  assert.equal(value(m, "rtmp_edge_connections_total", { protocol: "rtmp" }), 1);
  assert.equal(value(m, "rtmp_edge_memory_bytes", { kind: "rss" }), 4);
});

Deno.test("protocol errors, limit trips, drops, relays and recordings are counted", async () => {
  using t = disposable(setup());
  t.open().close("ChunkError: Chunk size 0 is outside 1..2147483647");
  t.open().close("Limit idle-timeout: no data for 30000 ms");
  t.totals.refused("Limit max-connections: 1000 connections are open");
  const player = t.open();
  player.update({ state: "playing", role: "player" });
  player.update({
    player: {
      key: "live/cam",
      bytesOut: 700,
      framesSent: 9,
      framesSkipped: 5,
      skipEpisodes: 2,
      queuedBytes: 0,
      lagMs: 0,
    },
  });
  player.close("Player fell behind: skipping for over 10000 ms");
  const { h } = t.publish("cam");
  h.info.relays.push({
    target: "rtmp://o/live/cam",
    state: "retrying",
    bytesOut: 300,
    reconnects: 3,
    lastError: "refused",
  });
  h.update({ recording: { path: null, bytes: 50, state: "failed", error: "disk full" } });
  const m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_protocol_errors_total", { kind: "ChunkError" }), 1);
  assert.equal(value(m, "rtmp_edge_limit_trips_total", { limit: "idle-timeout" }), 1);
  assert.equal(value(m, "rtmp_edge_limit_trips_total", { limit: "max-connections" }), 1);
  assert.equal(value(m, "rtmp_edge_consumer_drops_total", { kind: "player" }), 1);
  assert.equal(value(m, "rtmp_edge_player_skipped_frames_total"), 5);
  assert.equal(value(m, "rtmp_edge_player_skip_episodes_total"), 2);
  assert.equal(value(m, "rtmp_edge_sent_bytes_total", { to: "player" }), 700);
  assert.equal(value(m, "rtmp_edge_sent_bytes_total", { to: "relay" }), 300);
  assert.equal(value(m, "rtmp_edge_relays", { state: "retrying" }), 1);
  assert.equal(value(m, "rtmp_edge_relay_reconnects_total"), 3);
  assert.equal(value(m, "rtmp_edge_recordings", { state: "failed" }), 1);
  assert.equal(value(m, "rtmp_edge_recording_failures_total"), 1);
  assert.equal(value(m, "rtmp_edge_recording_bytes_total"), 50);
  h.close("Client closed the connection");
  const after = await t.scrape();
  assert.equal(value(after, "rtmp_edge_recording_failures_total"), 1);
  assert.equal(value(after, "rtmp_edge_relay_reconnects_total"), 3);
  assert.equal(value(after, "rtmp_edge_recordings", { state: "failed" }), undefined);
});

Deno.test("close reasons become a bounded set of number-free labels", async () => {
  using t = disposable(setup());
  for (let i = 0; i < 3 * MAX_REASON_LABELS; i++) {
    const h = t.open();
    h.update({ role: "publisher" });
    h.close(`Reason ${String.fromCharCode(65 + (i % 26))}${i >= 26 ? "x".repeat(i) : ""} ${i}`);
  }
  const ended = series(await t.scrape(), "rtmp_edge_publishes_ended_total");
  assert.equal(ended.length, MAX_REASON_LABELS + 1);
  assert.ok(ended.every((s) => !/[0-9]/.test(s.labels.reason!)));
  assert.equal(ended.reduce((a, s) => a + s.value, 0), 3 * MAX_REASON_LABELS);
  assert.ok(ended.some((s) => s.labels.reason === "other"));
});

Deno.test("a live stream's series exist while it is live and vanish when it ends", async () => {
  using t = disposable(setup());
  const { h, stream } = t.publish("cam");
  h.info.video.fps = 30;
  let m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_stream_fps", { app: "live", name: "cam" }), 30);
  assert.equal(value(m, "rtmp_edge_stream_bitrate_bits_per_second", { name: "cam" }), 0);
  assert.deepEqual(series(m, "rtmp_edge_stream_health"), []);
  h.info.health = { ...emptyFigures(), status: "bad", bitrate1s: 2_500_000, fps: 12 };
  m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_stream_bitrate_bits_per_second", { name: "cam" }), 2_500_000);
  assert.equal(value(m, "rtmp_edge_stream_fps", { name: "cam" }), 12);
  assert.deepEqual(series(m, "rtmp_edge_stream_health"), [
    { labels: { app: "live", name: "cam" }, value: 2 },
  ]);
  h.info.health = { ...h.info.health, status: "warning" };
  m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_stream_health", { name: "cam" }), 1);
  assert.equal(value(m, "rtmp_edge_streams"), 1);
  t.hub.release(stream, "Unpublished");
  h.close("Client closed the connection");
  m = await t.scrape();
  for (const name of ["fps", "bitrate_bits_per_second", "health"]) {
    assert.deepEqual(series(m, `rtmp_edge_stream_${name}`), [], name);
  }
  assert.equal(value(m, "rtmp_edge_streams"), 0);
});

Deno.test("per-stream series stop at maxStreams streams", async () => {
  using t = disposable(setup({ maxStreams: 3 }));
  for (let i = 0; i < 5; i++) {
    t.publish(`s${i}`).h.info.health = { ...emptyFigures(), status: "good" };
  }
  const m = await t.scrape();
  assert.equal(series(m, "rtmp_edge_stream_bitrate_bits_per_second").length, 3);
  assert.equal(series(m, "rtmp_edge_stream_health").length, 3);
  assert.equal(value(m, "rtmp_edge_streams"), 5);
});

Deno.test("two servers' metrics live side by side in one process", async () => {
  using a = disposable(setup());
  using b = disposable(setup());
  a.publish("x");
  assert.equal(value(await a.scrape(), "rtmp_edge_streams"), 1);
  assert.equal(value(await b.scrape(), "rtmp_edge_streams"), 0);
});

Deno.test("event-loop lag and stalled time come from the loop monitor's ticks", async () => {
  const clock = new FakeClock(0);
  using loop = new LoopMonitor({ clock, periodMs: 50, manual: true });
  using t = disposable(setup({ loop, clock }));
  clock.advance(50);
  loop.tick();
  clock.advance(350);
  loop.tick();
  clock.advance(50);
  loop.tick();
  let m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_event_loop_lag_seconds"), 0.3);
  assert.equal(value(m, "rtmp_edge_event_loop_stalled_seconds_total"), 0.3);
  clock.advance(50);
  loop.tick();
  m = await t.scrape();
  assert.equal(value(m, "rtmp_edge_event_loop_lag_seconds"), 0);
  assert.equal(value(m, "rtmp_edge_event_loop_stalled_seconds_total"), 0.3);
});

Deno.test("scrape() shows the GOP caches' memory and evictions of the server-wide budget", async () => {
  const budget = new GopBudget(100);
  const idle = budget.open({ watched: () => false, evict: () => idle.resize(0) });
  const played = budget.open({ watched: () => true, evict: () => played.resize(0) });
  using metrics = new ServerMetrics({
    sessions: () => [],
    streams: () => [],
    totals: new SessionTotals(),
    maxStreams: 10,
    clock: new FakeClock(0),
    memory: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0 }),
    gopBudget: () => budget.view(),
  });
  idle.resize(70);
  let m = parseMetrics(await metrics.scrape());
  assert.equal(value(m, "rtmp_edge_gop_cache_bytes"), 70);
  assert.equal(value(m, "rtmp_edge_gop_cache_evictions_total"), 0);
  played.resize(60);
  m = parseMetrics(await metrics.scrape());
  assert.equal(value(m, "rtmp_edge_gop_cache_bytes"), 60);
  assert.equal(value(m, "rtmp_edge_gop_cache_evictions_total"), 1);
});

function disposable<T extends { metrics: ServerMetrics }>(t: T): T & Disposable {
  return Object.assign(t, { [Symbol.dispose]: () => t.metrics[Symbol.dispose]() });
}
