/**
 * Traffic figures summed over sessions: what the media path already counts into each session's
 * info, added up at scrape time (nothing is counted per frame here).
 * @module
 */

import type { SessionInfo } from "../session/session_info.ts";

/** Figures that only grow over a session's life. */
export interface Traffic {
  bytesIn: number;
  bytesToPlayers: number;
  bytesToRelays: number;
  videoKeyframes: number;
  videoInterframes: number;
  audioFrames: number;
  dataMessages: number;
  playerFramesSkipped: number;
  playerSkipEpisodes: number;
  relayReconnects: number;
  recordingBytes: number;
}

/**
 * All figures at zero.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { zeroTraffic } from "./traffic.ts";
 *
 * assert.equal(zeroTraffic().bytesIn, 0);
 * ```
 */
export function zeroTraffic(): Traffic {
  return {
    bytesIn: 0,
    bytesToPlayers: 0,
    bytesToRelays: 0,
    videoKeyframes: 0,
    videoInterframes: 0,
    audioFrames: 0,
    dataMessages: 0,
    playerFramesSkipped: 0,
    playerSkipEpisodes: 0,
    relayReconnects: 0,
    recordingBytes: 0,
  };
}

/**
 * Adds one session's figures to `into`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addTraffic, zeroTraffic } from "./traffic.ts";
 *
 * const t = zeroTraffic();
 * addTraffic(t, {
 *   bytesIn: 100,
 *   video: { frames: 10, keyframes: 1 },
 *   audio: { frames: 20 },
 *   dataMessages: 1,
 *   player: null,
 *   relays: [],
 *   recording: null,
 * });
 * assert.equal(t.videoInterframes, 9);
 * ```
 */
export function addTraffic(into: Traffic, info: TrafficSource): void {
  into.bytesIn += info.bytesIn;
  into.videoKeyframes += info.video.keyframes;
  into.videoInterframes += Math.max(0, info.video.frames - info.video.keyframes);
  into.audioFrames += info.audio.frames;
  into.dataMessages += info.dataMessages;
  if (info.player !== null) {
    into.bytesToPlayers += info.player.bytesOut;
    into.playerFramesSkipped += info.player.framesSkipped;
    into.playerSkipEpisodes += info.player.skipEpisodes;
  }
  for (const r of info.relays) {
    into.bytesToRelays += r.bytesOut;
    into.relayReconnects += r.reconnects;
  }
  if (info.recording !== null) into.recordingBytes += info.recording.bytes;
}

/** The part of a session's info that {@linkcode addTraffic} reads. */
export type TrafficSource =
  & Pick<SessionInfo, "bytesIn" | "dataMessages" | "relays">
  & {
    readonly video: Pick<SessionInfo["video"], "frames" | "keyframes">;
    readonly audio: Pick<SessionInfo["audio"], "frames">;
    readonly player:
      | Pick<NonNullable<SessionInfo["player"]>, "bytesOut" | "framesSkipped" | "skipEpisodes">
      | null;
    readonly recording: Pick<NonNullable<SessionInfo["recording"]>, "bytes"> | null;
  };
