/**
 * A publisher's health figures for the per-stream metrics: the session's `health` object when
 * the health analytics provide one, else what the session already measures.
 * @module
 */

import type { StreamHealth } from "../health/stream_health.ts";
import type { SessionInfo } from "../session/session_info.ts";

/** A health status the analytics give. */
export type HealthStatus = StreamHealth["status"];

/** The health statuses, in order of worsening. */
export const HEALTH_STATUSES: readonly HealthStatus[] = ["good", "warning", "bad"];

/** What the per-stream metrics show of one publisher. */
export interface StreamFigures {
  /** Incoming bit rate in kbit/s (1 s window from health, else the session's 5 s meter). */
  readonly bitrateKbps: number;
  /** Frames per second, or null when unknown. */
  readonly fps: number | null;
  /** The health status, or null when no health analytics run. */
  readonly status: HealthStatus | null;
}

/**
 * Reads `health.status`, `health.bitrate1s` (bits/s, shown in kbit/s) and `health.fps` when the
 * session has health figures (publishers), falling back to `bitrateKbps` and `video.fps`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { streamFigures } from "./stream_health.ts";
 *
 * const base = { bitrateKbps: 800, video: { fps: 25 }, health: null };
 * assert.deepEqual(streamFigures(base), { bitrateKbps: 800, fps: 25, status: null });
 * const withHealth = { ...base, health: { status: "bad" as const, bitrate1s: 640_000, fps: 12.5 } };
 * assert.deepEqual(streamFigures(withHealth), { bitrateKbps: 640, fps: 12.5, status: "bad" });
 * ```
 */
export function streamFigures(
  info: Pick<SessionInfo, "bitrateKbps"> & {
    readonly video: Pick<SessionInfo["video"], "fps">;
    readonly health: Pick<StreamHealth, "status" | "bitrate1s" | "fps"> | null;
  },
): StreamFigures {
  const h = info.health;
  if (h === null) return { bitrateKbps: info.bitrateKbps, fps: info.video.fps, status: null };
  return { bitrateKbps: h.bitrate1s / 1000, fps: h.fps ?? info.video.fps, status: h.status };
}
