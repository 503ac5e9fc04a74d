/**
 * A publish's health as the API shows it: plain, JSON-ready figures, a status and reasons.
 * @module
 */

/** How a stream is doing, worst reason first. */
export type HealthStatus = "good" | "warning" | "bad";

/** The health of one publish, from timestamps, tags and arrival times (nothing is decoded). */
export interface StreamHealth {
  /** `good`, `warning` or `bad`: the worst of the reasons. */
  status: HealthStatus;
  /** Why it is not good, in words ("keyframe interval 8.0 s (> 4 s)"); empty when good. */
  reasons: string[];
  /** Media bits per second over the last second (wall clock). */
  bitrate1s: number;
  /** Media bits per second over the last 10 s. */
  bitrate10s: number;
  /** Video frames per second measured from the last 64 timestamps, or null. */
  fps: number | null;
  /** The frame rate onMetaData announced, or null. */
  metadataFps: number | null;
  /** Frames in the last whole GOP (keyframe to keyframe), or null before two keyframes. */
  gopFrames: number | null;
  /** Length of the last whole GOP in seconds, or null. */
  gopSeconds: number | null;
  /** Standard deviation of the last 8 GOP lengths in seconds, or null. */
  gopVariationSeconds: number | null;
  /** The longest of the last GOP and the one open now, in seconds, or null before video. */
  keyframeIntervalSeconds: number | null;
  /** Audio timestamps minus video timestamps as they arrive (ms, smoothed), or null. */
  avDriftMs: number | null;
  /** The first audio timestamp minus the first video timestamp (ms), or null before both. */
  avStartOffsetMs: number | null;
  /** Forward timestamp steps above the jump limit (both tracks), and the largest in ms. */
  timestampJumps: number;
  largestJumpMs: number;
  /** Timestamp steps backwards (both tracks), and the largest in ms. */
  backwardSteps: number;
  largestBackwardMs: number;
  /** Arrival gaps of the main track above two frame intervals, and the longest in ms. */
  gaps: number;
  longestGapMs: number;
  /** Interarrival jitter of the main track (ms, RFC 3550 estimate). */
  jitterMs: number;
  /** How far the main track's last frame came behind the pace of its soonest frame (ms). */
  behindMs: number;
  /** Media time per wall time over the last 10 s (1 = real time), or null before 2 s. */
  speed: number | null;
  /** Wall time since the last video frame (ms), or null before one. */
  videoSilentMs: number | null;
  /** Wall time since the last audio frame (ms), or null before one. */
  audioSilentMs: number | null;
}
