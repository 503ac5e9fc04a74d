/**
 * One scrape's view of the server: live sessions and streams read once, summed with the closed
 * sessions' totals. Every metric of a scrape reads the same snapshot.
 * @module
 */

import type { SessionInfo } from "../session/session_info.ts";
import type { StreamView } from "../stream/live_stream.ts";
import type { SessionTotals } from "./session_totals.ts";
import { type HealthStatus, streamFigures } from "./stream_health.ts";
import { addTraffic, type Traffic } from "./traffic.ts";

/** Longest app or stream name used as a label value (longer ones are cut). */
export const MAX_LABEL_CHARS = 128;

/** One live stream's row of per-stream metrics. */
export interface StreamRow {
  readonly app: string;
  readonly name: string;
  readonly bitrateKbps: number;
  readonly fps: number | null;
  readonly status: HealthStatus | null;
}

/** Everything one scrape shows. */
export interface MetricsSnapshot {
  /** Closed totals plus live figures. */
  readonly traffic: Traffic;
  /** Live sessions by `state|role|protocol`. */
  readonly sessions: Map<string, number>;
  /** Opened connections (closed plus live) by protocol. */
  readonly connections: Map<string, number>;
  /** Publishes and plays started (ended plus live). */
  readonly publishesStarted: number;
  readonly playsStarted: number;
  /** Live relays by state. */
  readonly relays: Map<string, number>;
  /** Live sessions' recordings by state. */
  readonly recordings: Map<string, number>;
  /** Failed recordings, closed plus live. */
  readonly recordingFailures: number;
  /** Live streams (all of them, even past the row bound). */
  readonly streamCount: number;
  /** Per-stream rows, at most the bound given. */
  readonly streams: readonly StreamRow[];
}

/** What {@linkcode takeSnapshot} reads. */
export interface SnapshotSources {
  /** Live sessions (closed ones are skipped: totals hold them). */
  readonly sessions: Iterable<Readonly<SessionInfo>>;
  readonly streams: readonly StreamView[];
  readonly totals: SessionTotals;
  /** At most this many per-stream rows. */
  readonly maxStreams: number;
}

/** Reads the live figures once and sums them with the totals. */
export function takeSnapshot(src: SnapshotSources): MetricsSnapshot {
  const { totals } = src;
  const traffic = { ...totals.traffic };
  const sessions = new Map<string, number>();
  const connections = new Map<string, number>(totals.connections.entries());
  const relays = new Map<string, number>();
  const recordings = new Map<string, number>();
  const byId = new Map<string, Readonly<SessionInfo>>();
  let publishing = 0;
  let playing = 0;
  let liveFailures = 0;
  for (const s of src.sessions) {
    if (s.state === "closed") continue;
    byId.set(s.id, s);
    addTraffic(traffic, s);
    bump(sessions, `${s.state}|${s.role ?? "none"}|${s.protocol}`);
    bump(connections, s.protocol);
    if (s.role === "publisher") publishing++;
    if (s.role === "player") playing++;
    for (const r of s.relays) bump(relays, r.state);
    if (s.recording !== null) {
      bump(recordings, s.recording.state);
      if (s.recording.state === "failed") liveFailures++;
    }
  }
  const streams: StreamRow[] = [];
  for (const v of src.streams) {
    if (streams.length >= src.maxStreams) break;
    const publisher = byId.get(v.publisherId);
    const figures = publisher === undefined
      ? { bitrateKbps: 0, fps: null, status: null }
      : streamFigures(publisher);
    streams.push({
      app: v.app.slice(0, MAX_LABEL_CHARS),
      name: v.name.slice(0, MAX_LABEL_CHARS),
      ...figures,
    });
  }
  return {
    traffic,
    sessions,
    connections,
    publishesStarted: sum(totals.publishesEnded.entries()) + publishing,
    playsStarted: sum(totals.playsEnded.entries()) + playing,
    relays,
    recordings,
    recordingFailures: totals.recordingFailures + liveFailures,
    streamCount: src.streams.length,
    streams,
  };
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sum(entries: Iterable<[string, number]>): number {
  let n = 0;
  for (const [, v] of entries) n += v;
  return n;
}
