/**
 * What the registry knows of one session: plain, JSON-ready data.
 * @module
 */

import type { StreamHealth } from "../health/stream_health.ts";

/** Lifecycle of an RTMP session. */
export type SessionState = "handshake" | "connected" | "publishing" | "playing" | "closed";

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
  /** Per track, once an Enhanced RTMP tag arrived (a plain enhanced tag is track 0). */
  tracks?: VideoTrackInfo[];
}

/** HDR and colour facts from an Enhanced RTMP `colorInfo` metadata packet (null: not said). */
export interface HdrInfo {
  bitDepth: number | null;
  /** ISO/IEC 23091-4 codes, e.g. 9 (BT.2020) primaries, 16 (PQ) transfer. */
  colorPrimaries: number | null;
  transferCharacteristics: number | null;
  matrixCoefficients: number | null;
  /** Content light levels in cd/m². */
  maxCLL: number | null;
  maxFALL: number | null;
}

/**
 * One video track of an Enhanced RTMP publish: the video facts of that track (codec null for
 * a FourCC this server does not know), with its id, FourCC and HDR facts.
 */
export interface VideoTrackInfo extends Omit<VideoInfo, "tracks"> {
  trackId: number;
  fourcc: string;
  hdr: HdrInfo | null;
}

/** One audio track of an Enhanced RTMP publish (codec null for an unknown FourCC). */
export interface AudioTrackInfo extends Omit<AudioInfo, "tracks"> {
  trackId: number;
  fourcc: string;
}

/** What a client announced of Enhanced RTMP in its connect. */
export interface EnhancedInfo {
  fourCcList: string[];
  videoFourCcInfoMap: Record<string, number>;
  audioFourCcInfoMap: Record<string, number>;
  capsEx: number;
}

/** Audio facts, from the sequence header and the frames seen. */
export interface AudioInfo {
  /** "aac", "mp3", "opus", ... or null before the first audio tag. */
  codec: string | null;
  sampleRate: number | null;
  channels: number | null;
  /** Coded frames (sequence headers do not count). */
  frames: number;
  /** Per track, once an Enhanced RTMP tag arrived. */
  tracks?: AudioTrackInfo[];
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

/** What a session does once it has published or played. */
export type SessionRole = "publisher" | "player";

/** How a player is doing (RTMP or HTTP-FLV). */
export interface PlayerStats {
  /** `app/name` played. */
  key: string;
  /** Bytes written to the player. */
  bytesOut: number;
  /** Audio and video frames sent. */
  framesSent: number;
  /** Frames skipped because the player fell behind (it skips to the next key frame). */
  framesSkipped: number;
  /** Times the player started skipping. */
  skipEpisodes: number;
  /** Bytes queued for the player now. */
  queuedBytes: number;
  /** Media time queued for the player and not yet written out, in ms: how far behind live it is. */
  lagMs: number;
}

/**
 * A player's figures before anything was sent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newPlayerStats } from "./session_info.ts";
 *
 * assert.equal(newPlayerStats("live/a").framesSent, 0);
 * ```
 */
export function newPlayerStats(key: string): PlayerStats {
  return {
    key,
    bytesOut: 0,
    framesSent: 0,
    framesSkipped: 0,
    skipEpisodes: 0,
    queuedBytes: 0,
    lagMs: 0,
  };
}

/** Video facts before the first video. */
export function newVideoInfo(): VideoInfo {
  return { codec: null, width: null, height: null, fps: null, frames: 0, keyframes: 0 };
}

/** Audio facts before the first audio. */
export function newAudioInfo(): AudioInfo {
  return { codec: null, sampleRate: null, channels: null, frames: 0 };
}

/** One relay of a publish to an origin (`--push`). */
export interface RelayInfo {
  /** The target as `rtmp://host:port/app/name`, without its query string. */
  target: string;
  state: "connecting" | "live" | "retrying" | "stopped";
  bytesOut: number;
  reconnects: number;
  lastError: string | null;
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
  /** The wire protocol of the session. */
  protocol: "rtmp" | "http-flv";
  /** The chunk parser (RTMP sessions), or null. */
  parser: "js" | "wasm" | null;
  /** Whether the session came over TLS (RTMPS). */
  tls: boolean;
  /** The TLS version negotiated (`TLSv1.2`, `TLSv1.3`); null before the handshake or without TLS. */
  tlsVersion: string | null;
  /** `publisher` or `player` once it published or played, else null. */
  role: SessionRole | null;
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
  /** Data messages (metadata) a publisher sent. */
  dataMessages: number;
  /** Commands the server does not support that the client sent (each answered with _error). */
  unknownCommands: number;
  /** A player's figures, or null. */
  player: PlayerStats | null;
  /** A publisher's relays to origins. */
  relays: RelayInfo[];
  /** A publisher's players now (RTMP and HTTP-FLV). */
  players: number;
  /** A publisher's stream health (updated about once a second), or null. */
  health: StreamHealth | null;
  /** What the client announced of Enhanced RTMP in connect; absent for a legacy client. */
  enhanced?: EnhancedInfo;
}
