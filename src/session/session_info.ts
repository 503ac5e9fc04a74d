/**
 * What the registry knows of one session: plain, JSON-ready data.
 * @module
 */

/** Lifecycle of an RTMP session. */
export type SessionState = "handshake" | "connected" | "publishing" | "closed";

/** Video facts, from the sequence header and the frames seen. */
export interface VideoInfo {
  /** "h264", "h265", "av1", "vp9", ... or null before the first video tag. */
  codec: string | null;
  width: number | null;
  height: number | null;
  /** Frames per second measured from timestamps (or metadata), null when unknown. */
  fps: number | null;
  /** Coded frames (sequence headers and end-of-sequence do not count). */
  frames: number;
  keyframes: number;
}

/** Audio facts, from the sequence header and the frames seen. */
export interface AudioInfo {
  /** "aac", "mp3", "opus", ... or null before the first audio tag. */
  codec: string | null;
  sampleRate: number | null;
  channels: number | null;
  /** Coded frames (sequence headers do not count). */
  frames: number;
}

/** Where a publish is being recorded, and how that is going. */
export interface RecordingInfo {
  /** The file (final name, or the `.part` left for the repair on start); null when none was kept. */
  path: string | null;
  /** Bytes on disk. */
  bytes: number;
  /** `recording`, `finalizing`, `done`, or `failed` (a storage error; see `error`). */
  state: "recording" | "finalizing" | "done" | "failed";
  /** Why the recording failed, or null. */
  error: string | null;
}

/** One session as the HTTP API shows it. Times are ISO 8601 strings. */
export interface SessionInfo {
  id: string;
  state: SessionState;
  remoteAddr: string;
  app: string | null;
  streamName: string | null;
  tcUrl: string | null;
  /** The client's flashVer (or its connect `type`, or "unknown"). */
  encoder: string | null;
  parser: "js" | "wasm";
  startedAt: string;
  publishStartedAt: string | null;
  closedAt: string | null;
  closeReason: string | null;
  bytesIn: number;
  /** Incoming bit rate over the last 5 s. */
  bitrateKbps: number;
  video: VideoInfo;
  audio: AudioInfo;
  recording: RecordingInfo | null;
  /** Commands the server does not support that the client sent (each answered with _error). */
  unknownCommands: number;
}
