/**
 * The HTTP-FLV front: `GET /<app>/<name>.flv` plays a live stream as one endless FLV
 * response. Each player is a session in the registry (protocol `http-flv`, role `player`),
 * takes a slot of the player limits shared with RTMP players, and is a consumer of its stream.
 * @module
 */

import { PEER_HEADER } from "../api/http_listener.ts";
import type { Logger } from "@logtape/logtape";
import { clientIp, type PlayAuthorizer, type PlayDecision } from "../auth/authorizer.ts";
import type { HookEventSink } from "../hooks/events.ts";
import { type Context, Hono } from "hono";
import type { Clock } from "../clock.ts";
import { type AppPolicies, playNotAllowed } from "../session/app_policy.ts";
import type { SessionRegistry } from "../session/registry.ts";
import type { StreamHub } from "../stream/hub.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import type { PlayerSlots } from "../stream/player_slots.ts";
import { FlvPlayer } from "./flv_player.ts";
import { parseFlvPath } from "./flv_path.ts";
import { flvTracks } from "./flv_tracks.ts";

/** What {@linkcode createHttpFlvApp} needs. */
export interface HttpFlvDeps {
  readonly hub: StreamHub;
  readonly registry: SessionRegistry;
  /** The player limits, shared with RTMP players. */
  readonly slots: PlayerSlots;
  readonly clock: Clock;
  readonly log: Logger;
  /** Queued bytes at which a player skips to the next key frame. */
  readonly playerQueueBytes: number;
  /** A player behind for longer than this is dropped, in ms. */
  readonly playerMaxLagMs: number;
  /** Each app's rules, asked once per request: an app whose `play` is off answers 403. */
  readonly policy?: AppPolicies;
  /** Decides each play before its slot is taken (403 when refused); without it, anyone may. */
  readonly authorize?: PlayAuthorizer;
  /** Told when a player starts and ends (notification hooks); must return at once. */
  readonly onEvent?: HookEventSink;
}

/** The methods the HTTP-FLV paths take. */
const ALLOW = "GET, HEAD, OPTIONS";

/** Headers of every answer, so that a page on another origin can play and read errors. */
const CORS = { "Access-Control-Allow-Origin": "*" } as const;

/** Headers of a stream answer: no length (chunked), never cached. */
const FLV_HEADERS = {
  ...CORS,
  "Content-Type": "video/x-flv",
  "Cache-Control": "no-cache",
} as const;

/**
 * Builds the HTTP-FLV app.
 *
 * - `GET /<app>/<name>.flv` → 200 `video/x-flv`: FLV header, onMetaData, sequence headers,
 *   the cached GOP (from a key frame), then live tags until the publisher ends
 * - `HEAD` → the same headers without a body (no player is started)
 * - `OPTIONS` → 204 CORS preflight answer
 * - a stream that is not live → 404 JSON at once (players such as flv.js retry by themselves,
 *   and an answer held open while nothing plays looks like a stall); a bad name → 400 JSON;
 *   player limits reached → 503 JSON with the limit; another method → 405 JSON with `Allow`;
 *   an app whose rules turn playing off → 403 JSON (before the live check); a play the
 *   authorizer refuses → 403 JSON with the reason
 */
export function createHttpFlvApp(deps: HttpFlvDeps): Hono {
  const app = new Hono();
  app.all("*", async (c) => {
    const url = new URL(c.req.url);
    const path = parseFlvPath(url.pathname);
    if (!path.ok) return c.json({ error: path.error }, path.status, CORS);
    const method = c.req.raw.method; // Hono serves HEAD through the GET route
    if (method === "OPTIONS") return preflight(c);
    if (method !== "GET" && method !== "HEAD") {
      const error = `Method ${method} not allowed on ${c.req.path}; allowed: ${ALLOW}`;
      return c.json({ error }, 405, { ...CORS, Allow: ALLOW });
    }
    if (deps.policy?.(path.app).play === false) {
      return c.json({ error: playNotAllowed(path.app) }, 403, CORS);
    }
    // The HTTP front tells the client's address (requests reach the app from the front).
    const peer = c.req.header(PEER_HEADER) ?? "unknown";
    if (deps.authorize !== undefined) {
      // Before the live check, so a refused client does not learn which names are live.
      const d = await ask(deps, deps.authorize, {
        app: path.key.slice(0, path.key.indexOf("/")),
        name: path.key.slice(path.key.indexOf("/") + 1),
        query: url.search === "" ? null : url.search.slice(1),
        clientIp: clientIp(peer),
      });
      if (!d.allow) {
        deps.log.warning("HTTP-FLV play of {key} from {peer} refused: {reason}", {
          key: path.key,
          peer,
          reason: d.reason,
        });
        return c.json({ error: `Play refused: ${d.reason}` }, 403, CORS);
      }
    }
    const stream = deps.hub.get(path.key);
    if (stream === undefined) {
      return c.json({ error: `Stream ${path.key} is not live` }, 404, CORS);
    }
    if (method === "HEAD") return c.body(null, 200, FLV_HEADERS);
    const refusal = deps.slots.take(path.key);
    if (refusal !== null) return c.json({ error: refusal }, 503, CORS);
    const player = startPlayer(deps, stream, peer);
    return c.body(player.body, 200, FLV_HEADERS);
  });
  app.onError((err, c) => {
    deps.log.error("HTTP-FLV {method} {path} failed: {error}", {
      method: c.req.method,
      path: c.req.path,
      error: err,
    });
    return c.json({ error: "Internal error" }, 500, CORS);
  });
  return app;
}

/** Asks the authorizer; one that throws refuses (and is logged). */
async function ask(
  deps: HttpFlvDeps,
  authorize: PlayAuthorizer,
  req: { app: string; name: string; query: string | null; clientIp: string },
): Promise<PlayDecision> {
  try {
    return await authorize({ ...req, tcUrl: null, sessionId: null, protocol: "http-flv" });
  } catch (e) {
    deps.log.error("HTTP-FLV: the play authorizer failed: {error}", { error: e });
    return { allow: false, reason: "Authorization failed" };
  }
}

/** Answers a CORS preflight: the methods, and whatever headers the page asked for. */
function preflight(c: Context): Response {
  const asked = c.req.header("Access-Control-Request-Headers");
  return c.body(null, 204, {
    ...CORS,
    "Access-Control-Allow-Methods": ALLOW,
    ...(asked === undefined ? {} : { "Access-Control-Allow-Headers": asked }),
    "Access-Control-Max-Age": "86400",
    Allow: ALLOW,
  });
}

/**
 * Opens the player's session, attaches the player to `stream` (its slot is taken), and
 * wires its end: detach, give the slot back, close the session with the reason.
 */
function startPlayer(deps: HttpFlvDeps, stream: LiveStream, remoteAddr: string): FlvPlayer {
  const { log, registry } = deps;
  const key = stream.key;
  let player: FlvPlayer | null = null;
  const session = registry.open({
    remoteAddr,
    parser: null,
    protocol: "http-flv",
    drop: (reason) => player?.drop(reason),
  });
  const view = stream.view();
  const startedAt = deps.clock.now();
  const who = {
    app: stream.app,
    name: stream.name,
    sessionId: session.id,
    clientIp: clientIp(remoteAddr),
  };
  player = new FlvPlayer({
    id: session.id,
    key,
    tracks: flvTracks({
      videoCodec: view.videoCodec,
      audioCodec: view.audioCodec,
      start: stream.startMessages(),
    }),
    maxQueuedBytes: deps.playerQueueBytes,
    maxLagMs: deps.playerMaxLagMs,
    clock: deps.clock,
    onSkipStart: (queued) =>
      log.warning(
        "HTTP-FLV player {id} of {key} fell behind ({queued} bytes queued): skipping to the next key frame",
        { id: session.id, key, queued },
      ),
    onClose: (reason) => {
      stream.detach(session.id);
      deps.slots.release(key);
      session.close(reason);
      const stats = player?.stats;
      deps.onEvent?.({
        action: "play_done",
        ...who,
        protocol: "http-flv",
        durationMs: deps.clock.now() - startedAt,
        bytesOut: stats?.bytesOut ?? 0,
        framesSent: stats?.framesSent ?? 0,
        reason,
      });
      log.info("HTTP-FLV player {id} of {key} ended: {reason} ({frames} frames, {bytes} bytes)", {
        id: session.id,
        key,
        reason,
        frames: stats?.framesSent ?? 0,
        bytes: stats?.bytesOut ?? 0,
      });
    },
  });
  session.update({
    state: "playing",
    role: "player",
    app: stream.app,
    streamName: stream.name,
    player: player.stats,
  });
  log.info("HTTP-FLV player {id} playing {key}", { id: session.id, key });
  deps.onEvent?.({ action: "play", ...who, protocol: "http-flv" });
  stream.attach(player);
  return player;
}
