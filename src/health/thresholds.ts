/**
 * The levels at which a stream's health turns `warning` or `bad`.
 * @module
 */

/** Health levels, in ms unless named otherwise. */
export interface HealthThresholds {
  /** Keyframe interval above which the stream is `warning` (YouTube and Twitch: at most 4 s). */
  readonly keyframeWarnMs: number;
  /** Keyframe interval above which the stream is `bad`. */
  readonly keyframeBadMs: number;
  /** Media arriving this far behind real time is `warning`. */
  readonly behindWarnMs: number;
  /** Media arriving this far behind real time is `bad`. */
  readonly behindBadMs: number;
  /** Audio and video timestamps this far apart are `warning`. */
  readonly driftWarnMs: number;
  /** Audio and video timestamps this far apart are `bad`. */
  readonly driftBadMs: number;
  /** No frames of a track for this long (while the other goes on, or both) is `bad`. */
  readonly stoppedMs: number;
  /** A gap in arrivals this long, within the last {@linkcode recentMs}, is `warning`. */
  readonly gapWarnMs: number;
  /** A timestamp step forward larger than this is a jump. */
  readonly jumpMs: number;
  /** Measured fps this many percent away from the metadata's is `warning`. */
  readonly fpsTolerancePercent: number;
  /** How long a jump, backward step or gap keeps the stream at `warning`. */
  readonly recentMs: number;
}

/**
 * Defaults from what the large platforms publish for ingest: YouTube asks for a keyframe
 * frequency of 2 s, not above 4 s; Twitch for a 2 s keyframe interval.
 */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = Object.freeze({
  keyframeWarnMs: 4_000,
  keyframeBadMs: 10_000,
  behindWarnMs: 1_000,
  behindBadMs: 3_000,
  driftWarnMs: 500,
  driftBadMs: 2_000,
  stoppedMs: 2_000,
  gapWarnMs: 1_000,
  jumpMs: 1_000,
  fpsTolerancePercent: 20,
  recentMs: 30_000,
});
