/**
 * A publisher's health figures for the per-stream metrics: the session's `health` object when
 * the health analytics provide one, else what the session already measures.
 * @module
 */

import type { SessionInfo } from "../session/session_info.ts";

/** A health status the analytics give. */
export type HealthStatus = "good" | "warning" | "bad";

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
 * Reads `health.status`, `health.bitrate1s` (kbit/s) and `health.fps` when the session has them,
 * falling back to `bitrateKbps` and `video.fps`; missing or malformed health fields are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { streamFigures } from "./stream_health.ts";
 *
 * const base = { bitrateKbps: 800, video: { fps: 25 } };
 * assert.deepEqual(streamFigures(base), { bitrateKbps: 800, fps: 25, status: null });
 * const withHealth = { ...base, health: { status: "bad", bitrate1s: 640, fps: 12.5 } };
 * assert.deepEqual(streamFigures(withHealth), { bitrateKbps: 640, fps: 12.5, status: "bad" });
 * ```
 */
export function streamFigures(
  info: Pick<SessionInfo, "bitrateKbps"> & { readonly video: Pick<SessionInfo["video"], "fps"> },
): StreamFigures {
  const health: unknown = (info as { readonly health?: unknown }).health;
  const h = typeof health === "object" && health !== null ? health as Record<string, unknown> : {};
  const status = HEALTH_STATUSES.find((s) => s === h.status) ?? null;
  return {
    bitrateKbps: finite(h.bitrate1s) ?? info.bitrateKbps,
    fps: finite(h.fps) ?? info.video.fps,
    status,
  };
}

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null;
}
