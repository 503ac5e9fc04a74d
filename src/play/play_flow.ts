/**
 * The NetStream commands of a player: play (live only: every `start` is live), FCSubscribe,
 * getStreamLength, receiveAudio/receiveVideo and pause (accepted, not answered), and the
 * end of a play on deleteStream/closeStream. Replies follow what nginx-rtmp sends and
 * FFmpeg, GStreamer and librtmp expect.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { clientIp, type PlayAuthorizer, type PlayDecision } from "../auth/authorizer.ts";
import type { HookEventSink } from "../hooks/events.ts";
import type { Clock } from "../clock.ts";
import type { MessageRecord } from "../parser/types.ts";
import { validateName } from "../record/recording_path.ts";
import {
  dataMessage,
  splitQuery,
  statusMessage,
  userControlMessage,
} from "../rtmp/command_messages.ts";
import type { Command } from "../rtmp/commands.ts";
import { UserControlEvent } from "../rtmp/messages.ts";
import { type AppPolicies, playNotAllowed } from "../session/app_policy.ts";
import { newPlayerStats, type PlayerStats } from "../session/session_info.ts";
import type { StreamHub } from "../stream/hub.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import type { PlayerSlots } from "../stream/player_slots.ts";
import type { ChunkCache } from "./chunk_cache.ts";
import type { PlayerOutput } from "./player_output.ts";
import { RtmpPlayer } from "./rtmp_player.ts";

/** The limits a play obeys. */
export interface PlayLimits {
  /** How long a play of a name that is not live waits for its publisher, in ms. */
  readonly playWaitMs: number;
  /** Queue bytes at which a player skips to the next key frame. */
  readonly playerQueueBytes: number;
  /** A player skipping for longer than this is dropped, in ms. */
  readonly playerMaxLagMs: number;
}

/** The part of a session a play updates (a `SessionHandle` fits). */
export interface PlayerSession {
  readonly id: string;
  update(patch: {
    readonly state?: "playing" | "connected";
    readonly role?: "player";
    readonly streamName?: string;
    readonly player?: PlayerStats;
  }): void;
}

/** Options for {@linkcode PlayFlow}. */
export interface PlayFlowOptions {
  readonly session: PlayerSession;
  readonly output: PlayerOutput;
  readonly hub: StreamHub;
  /** Player slots shared with HTTP-FLV players. */
  readonly slots: PlayerSlots;
  readonly chunks: ChunkCache;
  readonly limits: PlayLimits;
  readonly clock: Clock;
  readonly log: Logger;
  /** Ends the connection with `reason` (a player that fell behind). */
  readonly end: (reason: string) => void;
  /** Told whether the connection plays (or waits to play) anything now. */
  readonly onPlaying?: (playing: boolean) => void;
  /** Each app's rules, asked once per play: an app whose `play` is off refuses players. */
  readonly policy?: AppPolicies;
  /** Asked after the name checks, before a slot is taken; without it, anyone may play. */
  readonly authorize?: PlayAuthorizer;
  /** The client's address and tcUrl, for the authorizer and the events. */
  readonly peer?: () => { readonly remoteAddr: string; readonly tcUrl: string | null };
  /** Told when a play starts and ends (notification hooks); must return at once. */
  readonly onEvent?: HookEventSink;
}

/** What the publisher flow knows that a play needs. */
export interface PlayContext {
  /** The connected app, or null before connect. */
  readonly app: string | null;
  /** Whether the client created message stream `id`. */
  hasStream(id: number): boolean;
  /** Whether the client announced Enhanced RTMP in connect (it then takes multitrack tags). */
  readonly enhanced?: boolean;
}

/**
 * Most plays of one connection waiting for the authorizer, superseded ones included (their
 * webhook requests go on): a client repeating play cannot pile requests up.
 */
export const MAX_PLAYS_ASKING = 4;

/** Commands a player sends that need no answer (nginx-rtmp answers none of them). */
const QUIET_COMMANDS = new Set([
  "FCSubscribe",
  "getStreamLength",
  "receiveAudio",
  "receiveVideo",
  "pause",
]);

interface Play {
  readonly key: string;
  readonly app: string;
  readonly name: string;
  /** When the player started, ms (0 while it waits). */
  startedAt: number;
  readonly abort: AbortController;
  player: RtmpPlayer | null;
  stream: LiveStream | null;
  stats: PlayerStats | null;
}

/** The plays of one connection, by message stream id. */
export class PlayFlow {
  #o: PlayFlowOptions;
  /** Made on the first play: most connections publish and never play. */
  #plays: Map<number, Play> | null = null;
  /** Plays waiting for their authorizer, by stream id (made on the first). */
  #asking: Map<number, symbol> | null = null;
  /** Authorizer questions whose answer has not come, superseded ones included. */
  #askingCount = 0;
  #closed = false;

  /** Creates the flow for one connection. */
  constructor(options: PlayFlowOptions) {
    this.#o = options;
  }

  /** Whether message stream `streamId` plays or waits to play. */
  playing(streamId: number): boolean {
    return this.#plays?.has(streamId) === true;
  }

  /** Handles `cmd` if it is a player's command; false when it is not. */
  command(cmd: Command, rec: MessageRecord, ctx: PlayContext): boolean {
    if (cmd.name === "play") {
      this.#play(cmd, rec.streamId, ctx).catch((e) =>
        this.#o.log.error("Session {id} play failed: {error}", { id: this.#o.session.id, error: e })
      );
      return true;
    }
    return QUIET_COMMANDS.has(cmd.name);
  }

  /**
   * Stops the play on `streamId` (deleteStream, closeStream, a new play): no reply. Logged
   * unless `quiet` (the connection's close line gives the reason).
   */
  stop(streamId: number, reason: string, quiet = false): void {
    this.#asking?.delete(streamId);
    const play = this.#plays?.get(streamId);
    if (play === undefined) return;
    this.#forget(streamId, play);
    play.abort.abort();
    if (play.player !== null) {
      play.player.stop();
      play.stream?.detach(play.player.id);
      this.#done(play, reason);
      if (quiet) return;
      this.#o.log.info("Session {id} stopped playing {key} ({reason})", {
        id: this.#o.session.id,
        key: play.key,
        reason,
      });
    }
  }

  /** Stops every play (the connection is going away). */
  close(): void {
    this.#closed = true;
    this.#asking?.clear();
    for (const id of [...this.#plays?.keys() ?? []]) this.stop(id, "connection ending");
  }

  /** Brings the players' figures up to date (about once a second). */
  sync(): void {
    if (this.#plays === null) return;
    for (const p of this.#plays.values()) p.player?.refresh();
  }

  async #play(cmd: Command, streamId: number, ctx: PlayContext): Promise<void> {
    const o = this.#o;
    const raw = cmd.args[0];
    const { name, query } = splitQuery(typeof raw === "string" ? raw : "");
    const fail = (code: string, description: string) => {
      o.log.warning("Session {id} play refused ({code}): {why}", {
        id: o.session.id,
        code,
        why: description,
      });
      o.output.send(statusMessage(streamId, { level: "error", code, description }));
    };
    if (ctx.app === null) return fail("NetStream.Play.Failed", "Play before connect");
    if (streamId === 0 || !ctx.hasStream(streamId)) {
      return fail("NetStream.Play.Failed", `Stream ${streamId} was not created`);
    }
    if (validateName(name) === null || validateName(ctx.app) === null) {
      return fail("NetStream.Play.StreamNotFound", "Invalid stream name");
    }
    if (o.policy?.(ctx.app).play === false) {
      return fail("NetStream.Play.Failed", playNotAllowed(ctx.app));
    }
    const app = ctx.app;
    if (o.authorize !== undefined) {
      if (this.#askingCount >= MAX_PLAYS_ASKING) {
        return fail("NetStream.Play.Failed", "Too many plays being authorized on this connection");
      }
      const token = Symbol(name);
      const asking = this.#asking ??= new Map();
      asking.set(streamId, token);
      this.#askingCount++;
      let d: PlayDecision;
      try {
        d = await this.#ask(o.authorize, { app, name, query });
      } finally {
        this.#askingCount--;
      }
      // A stop, another play or the connection's end came first: nothing was taken.
      if (asking.get(streamId) !== token || this.#closed) return;
      asking.delete(streamId);
      if (!d.allow) {
        fail("NetStream.Play.Failed", d.reason);
        return o.end(`Play refused: ${d.reason}`);
      }
    }
    this.stop(streamId, "played again");
    const key = `${app}/${name}`;
    const refusal = o.slots.take(key);
    if (refusal !== null) return fail("NetStream.Play.Failed", refusal);
    const play: Play = {
      key,
      app,
      name,
      startedAt: 0,
      abort: new AbortController(),
      player: null,
      stream: null,
      stats: null,
    };
    const plays = this.#plays ??= new Map();
    plays.set(streamId, play);
    o.onPlaying?.(true);
    const stats = newPlayerStats(key);
    o.session.update({ state: "playing", role: "player", streamName: name, player: stats });
    const stream = o.hub.get(key) ??
      await o.hub.waitFor(key, o.limits.playWaitMs, play.abort.signal);
    if (plays.get(streamId) !== play) return; // stopped while waiting
    if (stream === null) {
      this.#forget(streamId, play);
      return fail(
        "NetStream.Play.StreamNotFound",
        `${key} is not live (waited ${o.limits.playWaitMs} ms)`,
      );
    }
    this.#start(play, streamId, stream, stats, ctx.enhanced === true);
  }

  /** Asks the authorizer; one that throws refuses (and is logged). */
  async #ask(
    authorize: PlayAuthorizer,
    req: { app: string; name: string; query: string | null },
  ): Promise<PlayDecision> {
    const peer = this.#o.peer?.();
    try {
      return await authorize({
        ...req,
        clientIp: clientIp(peer?.remoteAddr ?? "unknown"),
        tcUrl: peer?.tcUrl ?? null,
        sessionId: this.#o.session.id,
        protocol: "rtmp",
      });
    } catch (e) {
      this.#o.log.error("Session {id}: the play authorizer failed: {error}", {
        id: this.#o.session.id,
        error: e,
      });
      return { allow: false, reason: "Authorization failed" };
    }
  }

  /** Tells the event sink a player ended. */
  #done(play: Play, reason: string): void {
    const stats = play.stats;
    this.#o.onEvent?.({
      action: "play_done",
      ...this.#who(play),
      protocol: "rtmp",
      durationMs: this.#o.clock.now() - play.startedAt,
      bytesOut: stats?.bytesOut ?? 0,
      framesSent: stats?.framesSent ?? 0,
      reason,
    });
  }

  #who(play: Play) {
    return {
      app: play.app,
      name: play.name,
      sessionId: this.#o.session.id,
      clientIp: clientIp(this.#o.peer?.().remoteAddr ?? "unknown"),
    };
  }

  #start(
    play: Play,
    streamId: number,
    stream: LiveStream,
    stats: PlayerStats,
    multitrack: boolean,
  ): void {
    const o = this.#o;
    const id = o.session.id;
    const out = o.output;
    out.send(userControlMessage(UserControlEvent.StreamBegin, streamId));
    const status = (code: string, description: string) =>
      out.send(statusMessage(streamId, { level: "status", code, description, details: play.key }));
    status("NetStream.Play.Reset", `Playing and resetting ${play.key}`);
    status("NetStream.Play.Start", `Started playing ${play.key}`);
    out.send(dataMessage(streamId, ["|RtmpSampleAccess", true, true]));
    const player = new RtmpPlayer({
      id: `rtmp-player:${id}:${streamId}`,
      streamId,
      output: out,
      chunks: o.chunks,
      multitrack,
      maxQueuedBytes: o.limits.playerQueueBytes,
      maxLagMs: o.limits.playerMaxLagMs,
      unflushed: () => stream.unflushed,
      clock: o.clock,
      stats,
      onSkipStart: (queued) =>
        o.log.info("Session {id} fell behind playing {key}: {queued} bytes queued, skipping", {
          id,
          key: play.key,
          queued,
        }),
      onDrop: (reason) => {
        this.stop(streamId, reason, true);
        o.end(reason);
      },
      onEnd: (reason) => this.#ended(streamId, play, reason),
    });
    play.player = player;
    play.stream = stream;
    o.log.info("Session {id} playing {key}", { id, key: play.key });
    play.startedAt = o.clock.now();
    play.stats = stats;
    o.onEvent?.({ action: "play", ...this.#who(play), protocol: "rtmp" });
    stream.attach(player);
  }

  /** The publisher ended: StreamEOF and UnpublishNotify; the connection may play again. */
  #ended(streamId: number, play: Play, reason: string): void {
    if (this.#plays?.get(streamId) !== play) return;
    this.#forget(streamId, play);
    this.#done(play, reason);
    const out = this.#o.output;
    out.send(userControlMessage(UserControlEvent.StreamEof, streamId));
    out.send(statusMessage(streamId, {
      level: "status",
      code: "NetStream.Play.UnpublishNotify",
      description: `${play.key} is now unpublished`,
      details: play.key,
    }));
    this.#o.log.info("Session {id} stopped playing {key}: {reason}", {
      id: this.#o.session.id,
      key: play.key,
      reason,
    });
  }

  /** Frees the play's slot and forgets it. */
  #forget(streamId: number, play: Play): void {
    const plays = this.#plays;
    if (plays?.get(streamId) !== play) return;
    plays.delete(streamId);
    this.#o.slots.release(play.key);
    this.#o.onPlaying?.(plays.size > 0);
    if (plays.size === 0) this.#o.session.update({ state: "connected" });
  }
}
