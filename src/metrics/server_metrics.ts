/**
 * The server's Prometheus metrics: one prom-client `Registry` per server (no global default
 * registry, so one process may run many servers), every value collected at scrape time from
 * the session registry, the hub, the closed-session totals and the loop monitor.
 * @module
 */

import { Counter, Gauge, Registry } from "prom-client";
import type { Clock } from "../clock.ts";
import type { SessionInfo } from "../session/session_info.ts";
import type { LoopNapTotals } from "../session/loop_nap.ts";
import type { GopBudgetView } from "../stream/gop_budget.ts";
import type { StreamView } from "../stream/live_stream.ts";
import type { SessionTotals } from "./session_totals.ts";
import { type MetricsSnapshot, takeSnapshot } from "./snapshot.ts";
import { HEALTH_STATUSES } from "./stream_health.ts";

/** The loop monitor, as the metrics use it. */
export interface LoopWatch {
  /** Calls `fn` on every tick until disposed. */
  watch(fn: () => void): Disposable;
  /** Total ms the loop was stalled while watched. */
  readonly stalledMs: number;
  /** How late the last tick came beyond its period, in ms. */
  readonly lateMs: number;
}

/** Process memory figures in bytes (`Deno.memoryUsage()`). */
export interface MemoryFigures {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
}

/** Options for {@linkcode ServerMetrics}. */
export interface ServerMetricsOptions {
  /** Live sessions (`SessionRegistry.live`); closed ones in it are skipped. */
  readonly sessions: () => Iterable<Readonly<SessionInfo>>;
  /** The hub's live streams. */
  readonly streams: () => readonly StreamView[];
  /** Totals of closed sessions (the registry's close hook feeds them). */
  readonly totals: SessionTotals;
  /** At most this many streams get per-stream series (the server passes --max-connections). */
  readonly maxStreams: number;
  readonly clock: Clock;
  /** The event-loop ticker; without it there are no loop metrics. */
  readonly loop?: LoopWatch;
  /** Process memory (default `Deno.memoryUsage`). */
  readonly memory?: () => MemoryFigures;
  /** The server-wide GOP cache budget; without it there are no GOP cache metrics. */
  readonly gopBudget?: () => GopBudgetView;
  /** The event loop's naps (`LoopNap`); without them there are no nap metrics. */
  readonly naps?: { readonly totals: LoopNapTotals };
}

type Labels = Record<string, string>;
type Rows = Iterable<readonly [Labels, number]>;

/** Collects the metrics for scrapes; dispose to stop watching the event loop. */
export class ServerMetrics implements Disposable {
  /** This server's own registry. */
  readonly registry: Registry = new Registry();
  readonly #o: ServerMetricsOptions;
  #snapshot: MetricsSnapshot | null = null;
  #loopWatch: Disposable | null = null;
  #maxLateMs = 0;

  /** Registers every metric on a new registry and starts watching the loop. */
  constructor(options: ServerMetricsOptions) {
    this.#o = options;
    if (options.loop !== undefined) {
      const loop = options.loop;
      this.#loopWatch = loop.watch(() => {
        if (loop.lateMs > this.#maxLateMs) this.#maxLateMs = loop.lateMs;
      });
    }
    this.#define();
  }

  /** The `Content-Type` of {@linkcode scrape}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in the Prometheus text format, read now. */
  async scrape(): Promise<string> {
    this.#snapshot = this.#take();
    try {
      return await this.registry.metrics();
    } finally {
      this.#snapshot = null;
      this.#maxLateMs = 0;
    }
  }

  /** Stops watching the event loop. */
  [Symbol.dispose](): void {
    this.#loopWatch?.[Symbol.dispose]();
    this.#loopWatch = null;
  }

  /** The scrape's snapshot, or a fresh one when a metric is read outside a scrape. */
  #snap(): MetricsSnapshot {
    return this.#snapshot ?? this.#take();
  }

  #take(): MetricsSnapshot {
    return takeSnapshot({
      sessions: this.#o.sessions(),
      streams: this.#o.streams(),
      totals: this.#o.totals,
      maxStreams: this.#o.maxStreams,
    });
  }

  #gauge(name: string, help: string, labelNames: string[], rows: (s: MetricsSnapshot) => Rows) {
    new Gauge(this.#options(name, help, labelNames, rows, (m: Gauge, l, v) => m.set(l, v)));
  }

  #counter(name: string, help: string, labelNames: string[], rows: (s: MetricsSnapshot) => Rows) {
    new Counter(this.#options(name, help, labelNames, rows, (m: Counter, l, v) => m.inc(l, v)));
  }

  /** A metric on this registry whose `collect` resets it and puts every row of the snapshot. */
  #options<M extends Gauge | Counter>(
    name: string,
    help: string,
    labelNames: string[],
    rows: (s: MetricsSnapshot) => Rows,
    put: (metric: M, labels: Labels, value: number) => void,
  ) {
    const snap = () => this.#snap();
    return {
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: M) {
        this.reset();
        for (const [labels, v] of rows(snap())) put(this, labels, v);
      },
    };
  }

  #define(): void {
    const totals = this.#o.totals;
    const g = this.#gauge.bind(this);
    const c = this.#counter.bind(this);
    const total = (name: string, help: string, value: (s: MetricsSnapshot) => number) =>
      c(name, help, [], (s) => one(value(s)));
    g("rtmp_edge_sessions", "Open sessions by state, role and protocol", [
      "state",
      "role",
      "protocol",
    ], (s) =>
      mapRows(s.sessions, (k) => {
        const [state = "", role = "", protocol = ""] = k.split("|");
        return { state, role, protocol };
      }));
    c(
      "rtmp_edge_connections_total",
      "Sessions opened, by protocol",
      ["protocol"],
      (s) => keyed("protocol", s.connections),
    );
    total("rtmp_edge_publishes_started_total", "Publishes started", (s) => s.publishesStarted);
    c(
      "rtmp_edge_publishes_ended_total",
      "Publishes ended, by close reason",
      ["reason"],
      () => keyed("reason", totals.publishesEnded.entries()),
    );
    total("rtmp_edge_plays_started_total", "Plays started", (s) => s.playsStarted);
    c(
      "rtmp_edge_plays_ended_total",
      "Plays ended, by close reason",
      ["reason"],
      () => keyed("reason", totals.playsEnded.entries()),
    );
    total(
      "rtmp_edge_received_bytes_total",
      "Bytes received from clients",
      (s) => s.traffic.bytesIn,
    );
    c("rtmp_edge_sent_bytes_total", "Media bytes sent, by consumer", ["to"], (s) => [
      [{ to: "player" }, s.traffic.bytesToPlayers],
      [{ to: "relay" }, s.traffic.bytesToRelays],
    ]);
    c("rtmp_edge_frames_received_total", "Frames received from publishers, by kind", [
      "kind",
    ], (s) => [
      [{ kind: "video_key" }, s.traffic.videoKeyframes],
      [{ kind: "video_inter" }, s.traffic.videoInterframes],
      [{ kind: "audio" }, s.traffic.audioFrames],
      [{ kind: "data" }, s.traffic.dataMessages],
    ]);
    c(
      "rtmp_edge_protocol_errors_total",
      "Sessions ended by a protocol or parser error, by kind",
      ["kind"],
      () => keyed("kind", totals.protocolErrors.entries()),
    );
    c(
      "rtmp_edge_limit_trips_total",
      "Limits tripped (refused connections, closed sessions), by limit",
      ["limit"],
      () => keyed("limit", totals.limitTrips.entries()),
    );
    g(
      "rtmp_edge_relays",
      "Relays to origins, by state",
      ["state"],
      (s) => keyed("state", s.relays),
    );
    total("rtmp_edge_relay_reconnects_total", "Relay reconnects", (s) => s.traffic.relayReconnects);
    total(
      "rtmp_edge_player_skipped_frames_total",
      "Frames players skipped to catch up",
      (s) => s.traffic.playerFramesSkipped,
    );
    total(
      "rtmp_edge_player_skip_episodes_total",
      "Times a player started skipping",
      (s) => s.traffic.playerSkipEpisodes,
    );
    c(
      "rtmp_edge_consumer_drops_total",
      "Consumers cut off for not keeping up, by kind",
      ["kind"],
      () => keyed("kind", totals.consumerDrops.entries()),
    );
    g(
      "rtmp_edge_recordings",
      "Recordings of open sessions, by state",
      ["state"],
      (s) => keyed("state", s.recordings),
    );
    total(
      "rtmp_edge_recording_bytes_total",
      "Bytes written to recordings",
      (s) => s.traffic.recordingBytes,
    );
    total(
      "rtmp_edge_recording_failures_total",
      "Recordings that failed",
      (s) => s.recordingFailures,
    );
    this.#defineProcess();
    this.#defineStreams();
  }

  #defineProcess(): void {
    const loop = this.#o.loop;
    if (loop !== undefined) {
      this.#gauge(
        "rtmp_edge_event_loop_lag_seconds",
        "Largest lateness of the event-loop ticker since the last scrape",
        [],
        () => one(Math.max(0, this.#maxLateMs) / 1000),
      );
      this.#counter(
        "rtmp_edge_event_loop_stalled_seconds_total",
        "Time the event loop was stalled (ticks' lateness beyond their period)",
        [],
        () => one(loop.stalledMs / 1000),
      );
    }
    const naps = this.#o.naps;
    if (naps !== undefined) {
      this.#counter(
        "rtmp_edge_event_loop_napped_seconds_total",
        "Time the event loop napped on purpose between bursts of work (--loop-nap-ms)",
        [],
        () => one(naps.totals.nappedMs / 1000),
      );
      this.#counter(
        "rtmp_edge_event_loop_naps_total",
        "Naps the event loop took (--loop-nap-ms)",
        [],
        () => one(naps.totals.naps),
      );
    }
    const memory = this.#o.memory ?? (() => Deno.memoryUsage());
    this.#gauge("rtmp_edge_memory_bytes", "Process memory, by kind", ["kind"], () => {
      const m = memory();
      return [
        [{ kind: "rss" }, m.rss],
        [{ kind: "heap_total" }, m.heapTotal],
        [{ kind: "heap_used" }, m.heapUsed],
        [{ kind: "external" }, m.external],
      ];
    });
  }

  #defineStreams(): void {
    const g = this.#gauge.bind(this);
    g("rtmp_edge_streams", "Live streams", [], (s) => one(s.streamCount));
    const gop = this.#o.gopBudget;
    if (gop !== undefined) {
      g(
        "rtmp_edge_gop_cache_bytes",
        "Memory all GOP caches hold or have booked",
        [],
        () => one(gop().usedBytes),
      );
      this.#counter(
        "rtmp_edge_gop_cache_evictions_total",
        "GOP caches of unwatched streams dropped to make room for watched ones",
        [],
        () => one(gop().evictions),
      );
    }
    g(
      "rtmp_edge_stream_bitrate_bits_per_second",
      "Incoming bit rate of a live stream",
      ["app", "name"],
      (s) => s.streams.map((r) => [{ app: r.app, name: r.name }, r.bitrateKbps * 1000] as const),
    );
    g(
      "rtmp_edge_stream_fps",
      "Video frames per second of a live stream",
      ["app", "name"],
      (s) =>
        s.streams.flatMap((r) => r.fps === null ? [] : [[{ app: r.app, name: r.name }, r.fps]]),
    );
    g(
      "rtmp_edge_stream_health",
      "Health of a live stream: 0 good, 1 warning, 2 bad (no series: not assessed yet)",
      ["app", "name"],
      (s) =>
        s.streams.flatMap((r) =>
          r.status === null
            ? []
            : [[{ app: r.app, name: r.name }, HEALTH_STATUSES.indexOf(r.status)] as const]
        ),
    );
  }
}

function one(v: number): Rows {
  return [[{}, v]];
}

/** One series per entry, its key as the value of `label`. */
function* keyed(label: string, entries: Iterable<[string, number]>): Rows {
  for (const [k, v] of entries) yield [{ [label]: k }, v];
}

function* mapRows(entries: Iterable<[string, number]>, labels: (key: string) => Labels): Rows {
  for (const [k, v] of entries) yield [labels(k), v];
}
