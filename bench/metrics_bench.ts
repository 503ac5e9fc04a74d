/**
 * What one `/metrics` scrape costs with 200 and 1000 live publishers (each with a stream in the
 * hub and a kept closed session): the metrics do nothing per frame, so a scrape is their
 * whole cost. At Prometheus's default 15 s interval, a scrape of T ms is T / 15 000 of a core.
 *
 * ```sh
 * deno bench --allow-all bench/metrics_bench.ts
 * ```
 * @module
 */

import { systemClock } from "../src/clock.ts";
import { ServerMetrics } from "../src/metrics/server_metrics.ts";
import { SessionTotals } from "../src/metrics/session_totals.ts";
import { SessionRegistry } from "../src/session/registry.ts";
import { StreamHub } from "../src/stream/hub.ts";

function server(publishers: number): ServerMetrics {
  const totals = new SessionTotals();
  const registry = new SessionRegistry({
    clock: systemClock,
    onClose: (i) => totals.closed(i),
  });
  const hub = new StreamHub();
  for (let i = 0; i < publishers; i++) {
    const h = registry.open({
      remoteAddr: `10.0.0.${i % 250}:5000`,
      parser: "wasm",
      drop: () => {},
    });
    h.update({ state: "publishing", role: "publisher", app: "live", streamName: `s${i}` });
    Object.assign(h.info.video, { codec: "h264", fps: 30, frames: 9000, keyframes: 150 });
    h.addBytesIn(150_000_000);
    hub.claim({
      key: `live/s${i}`,
      app: "live",
      name: `s${i}`,
      publisherId: h.id,
      startedAt: new Date().toISOString(),
      codecs: h.info,
    });
    registry.open({ remoteAddr: "10.0.1.1:1", parser: "wasm", drop: () => {} }).close(
      "Client closed the connection",
    );
  }
  return new ServerMetrics({
    sessions: () => registry.live(),
    streams: () => hub.list(),
    totals,
    maxStreams: 1000,
    clock: systemClock,
  });
}

for (const n of [200, 1000]) {
  const metrics = server(n);
  Deno.bench({
    name: `scrape, ${n} live publishers`,
    group: "metrics scrape",
    baseline: n === 200,
    async fn() {
      await metrics.scrape();
    },
  });
}
