/**
 * Wiring: the RTMP listener, the HTTP API, the HTTP-FLV listener and what they share. `main.ts` calls this with
 * the parsed config; tests call it with port 0.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { createApp } from "./api/app.ts";
import { loadDashboardScript } from "./dashboard/routes.ts";
import type { PublishAuthorizer } from "./auth/authorizer.ts";
import { appAuthorizer } from "./auth/app_authorizer.ts";
import { listenHttp } from "./api/http_listener.ts";
import { createHttpFlvApp } from "./http_flv/http_flv_app.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import { LiveConfig } from "./config/live_config.ts";
import { logAppRules } from "./config/reload.ts";
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from "./health/thresholds.ts";
import type { ChunkParser, ParserLimits } from "./parser/types.ts";
import type { PipeWriter } from "./record/pipe_sink.ts";
import { RecordingFactory } from "./record/recording.ts";
import { repairRecordings } from "./record/repair.ts";
import { RelayManager } from "./relay/relay_manager.ts";
import { Admission, isLoopback } from "./session/admission.ts";
import { type ConnectionDeps, serveConnection } from "./session/connection.ts";
import { LoopMonitor } from "./session/loop_monitor.ts";
import { SessionRegistry } from "./session/registry.ts";
import { StreamHub } from "./stream/hub.ts";
import { PlayerSlots } from "./stream/player_slots.ts";
import { ChunkCache } from "./play/chunk_cache.ts";

/** What {@linkcode startServer} needs besides the config. */
export interface ServerDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  /** Makes one chunk parser per connection (WASM or JS) with the given limits. */
  readonly makeParser: (limits: ParserLimits) => ChunkParser;
  /** stdout for `--pipe`. */
  readonly pipe?: PipeWriter;
  /** The server's version, shown by `/healthz`. */
  readonly version?: string;
  /**
   * The config in force, whose per-app rules each publish and play reads (`main.ts` keeps it
   * to reload on SIGHUP); by default one holding `config`.
   */
  readonly live?: LiveConfig;
}

/** A running server. */
export interface RunningServer {
  /** The RTMP port actually bound (useful with port 0). */
  readonly rtmpPort: number;
  /** The HTTP port actually bound. */
  readonly httpPort: number;
  /** The HTTP-FLV port actually bound. */
  readonly httpFlvPort: number;
  readonly registry: SessionRegistry;
  /** Stops accepting, tells publishers, finalizes recordings and stops the API. */
  close(): Promise<void>;
}

/** Pause after a failed accept (e.g. out of file descriptors) before the next. */
const ACCEPT_RETRY_MS = 100;

/** Reason given to sessions when the server stops. */
export const SHUTDOWN_REASON = "Server shutting down";

/** The health levels the config sets. */
function healthThresholds(config: Config): HealthThresholds {
  return {
    ...DEFAULT_HEALTH_THRESHOLDS,
    keyframeWarnMs: config.healthKeyframeWarnMs,
    keyframeBadMs: config.healthKeyframeBadMs,
    behindWarnMs: config.healthBehindWarnMs,
    behindBadMs: config.healthBehindBadMs,
    driftWarnMs: config.healthDriftWarnMs,
    driftBadMs: config.healthDriftBadMs,
    stoppedMs: config.healthStoppedMs,
    gapWarnMs: config.healthGapWarnMs,
    jumpMs: config.healthJumpMs,
    fpsTolerancePercent: config.healthFpsTolerance,
  };
}

/** The chunk parser limits the config sets. */
export function parserLimits(config: Config): ParserLimits {
  return {
    maxMessageSize: config.maxMessageSize,
    maxChunkStreams: config.maxChunkStreams,
    maxPartialBytes: config.maxPartialBytes,
  };
}

/**
 * The publish authorizer: per app, by the rules in force at each publish. Logs the
 * server-wide mode and each app section's rules.
 */
function publishAuth(live: LiveConfig, clock: Clock, log: Logger): PublishAuthorizer {
  const config = live.config;
  if (config.publishAuth === "hmac") {
    if (config.hmacSecret === null) throw new Error("--publish-auth hmac needs --hmac-secret");
    log.info("Publish auth: hmac");
  } else log.warning("Publish auth: open (anyone may publish)");
  logAppRules(live, log);
  return appAuthorizer({
    authFor: (app) => live.rulesFor(app),
    clock,
    // MERGE(hooks): plug the webhook authorizer in here, e.g.
    // webhook: (url) => webhookAuthorizer({ url, ... }),
    // Until then an app with publish_auth = "webhook" refuses with "webhook auth not configured".
  });
}

/** Starts the RTMP listener, the HTTP API and HTTP-FLV; repairs recordings a crash left behind first. */
export function startServer(deps: ServerDeps): RunningServer {
  const { config, clock, log } = deps;
  const live = deps.live ?? new LiveConfig(config);
  for (const dir of live.recordDirs()) {
    const { repaired, failed } = repairRecordings(dir);
    for (const r of repaired) {
      log.warning(
        "Repaired recording {path}: {tags} whole tags, {cut} bytes of a torn tag cut, {seconds} s ({how})",
        {
          path: r.path,
          tags: r.tags,
          cut: r.truncatedBytes,
          seconds: r.durationMs / 1000,
          how: r.kind === "part" ? `renamed from ${r.found}` : `torn .flv fixed in place`,
        },
      );
    }
    for (const f of failed) {
      log.error("Could not repair {path} ({kind}), left as it is: {error}", {
        path: f.found,
        kind: f.kind === "part" ? ".flv.part" : ".flv",
        error: f.error,
      });
    }
  }
  const registry = new SessionRegistry({ clock });
  const recordings = new RecordingFactory({
    recordDir: config.record ? config.recordDir : null,
    pipe: config.pipe ? deps.pipe ?? null : null,
    maxQueuedBytes: config.recordQueueBytes,
    pipeMaxQueuedBytes: config.pipeQueueBytes,
    onPipeEnd: (end) => {
      if (end.closeError !== null) {
        log.warning(
          "stdout could not be closed; its reader gets EOF when the server exits: {error}",
          {
            error: end.closeError,
          },
        );
      }
      if (end.kind === "finished") {
        log.info("Pipe ended with its publish: {bytes} bytes written, stdout closed", {
          bytes: end.bytes,
        });
      } else {
        log.warning("Pipe cut off, stdout closed: {reason} ({bytes} bytes written)", {
          reason: end.reason,
          bytes: end.bytes,
        });
      }
    },
  });
  const loopMonitor = new LoopMonitor({
    clock,
    onWatcherError: (error) => log.error("A connection's watchdog failed: {error}", { error }),
  });
  const hub = new StreamHub({ gopCacheBytes: config.gopCacheBytes });
  const relays = new RelayManager({
    targets: config.push,
    clock,
    log,
    maxQueueBytes: config.playerQueueBytes,
  });
  // One instance for RTMP and HTTP-FLV players.
  const slots = new PlayerSlots(config);
  const connDeps: ConnectionDeps = {
    registry,
    hub,
    recordings,
    makeParser: () => deps.makeParser(parserLimits(config)),
    clock,
    log,
    limits: config,
    loopMonitor,
    onLive: (stream, session) =>
      relays.attach(stream, session.info.relays, live.rulesFor(stream.app).push),
    slots,
    chunks: new ChunkCache(),
    authorize: publishAuth(live, clock, log),
    policy: (app) => live.rulesFor(app),
    health: healthThresholds(config),
  };
  const listener = Deno.listen({ hostname: config.host, port: config.rtmpPort, transport: "tcp" });
  const conns = new Set<Promise<void>>();
  const admission = new Admission(config);
  let stopping = false;
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (stopping || e instanceof Deno.errors.BadResource) return; // the listener was closed
        if (
          e instanceof Deno.errors.NotConnected || e instanceof Deno.errors.ConnectionReset ||
          e instanceof Deno.errors.ConnectionAborted
        ) {
          // The peer gave up before we accepted (a reset): that one connection only.
          log.debug("Accept skipped a connection that was already gone: {error}", { error: e });
          continue;
        }
        // Out of file descriptors and the like: say so, wait a little, keep accepting.
        log.error("Accept failed: {error}", { error: e });
        await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        continue;
      }
      const { hostname, port } = conn.remoteAddr;
      // Replies are small writes: without this, Nagle meets delayed ACKs and connect stalls.
      try {
        conn.setNoDelay(true);
      } catch { /* a socket already reset: serveConnection will see it */ }
      const refusal = admission.admit(hostname);
      if (refusal !== null) {
        log.warning("Refused {remote}: {reason}", {
          remote: `${hostname}:${port}`,
          reason: refusal,
        });
        conn.close();
        continue;
      }
      const p = serveConnection(conn, `${hostname}:${port}`, connDeps).finally(() => {
        admission.release(hostname);
        conns.delete(p);
      });
      conns.add(p);
    }
  })();
  let httpHost = config.httpHost;
  if (config.apiToken === null && !isLoopback(httpHost)) {
    log.warning("No --api-token: the API listens on 127.0.0.1 only, not {host}", {
      host: httpHost,
    });
    httpHost = "127.0.0.1";
  }
  const http = listenHttp({
    hostname: httpHost,
    port: config.httpPort,
    headerTimeoutMs: config.httpHeaderTimeoutMs,
    maxPendingRequests: config.httpMaxPendingRequests,
    handler: (req) => app.fetch(req),
    onLimit: (remote, reason) => log.debug("HTTP {remote} closed: {reason}", { remote, reason }),
  });
  const flvApp = createHttpFlvApp({
    hub,
    registry,
    slots,
    clock,
    log,
    playerQueueBytes: config.playerQueueBytes,
    playerMaxLagMs: config.playerMaxLagMs,
    policy: (app) => live.rulesFor(app),
  });
  const flvHttp = listenHttp({
    hostname: config.host,
    port: config.httpFlvPort,
    headerTimeoutMs: config.httpHeaderTimeoutMs,
    maxPendingRequests: config.httpMaxPendingRequests,
    handler: flvApp.fetch,
    // The player gate drops a player behind for playerMaxLagMs (with its reason); a client that
    // takes no bytes at all for four times that long has its socket closed by the front too.
    writeStallMs: 4 * config.playerMaxLagMs,
    // Players plus room for requests being turned away; per address as for RTMP.
    maxConnections: config.maxPlayers + config.httpMaxPendingRequests,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    onLimit: (remote, reason) =>
      log.debug("HTTP-FLV {remote} closed: {reason}", { remote, reason }),
  });
  // Made once HTTP-FLV has its port, for the dashboard's previews.
  const app = createApp(registry.view(), {
    token: config.apiToken,
    streams: () => hub.list(),
    dashboard: { flvPort: flvHttp.addr.port, script: loadDashboardScript() },
    ...(deps.version === undefined ? {} : { version: deps.version }),
  });
  const rtmpPort = (listener.addr as Deno.NetAddr).port;
  const httpPort = http.addr.port;
  const httpFlvPort = flvHttp.addr.port;
  log.info("RTMP listening on {host}:{port}", { host: config.host, port: rtmpPort });
  log.info("HTTP API listening on http://{host}:{port}{auth}", {
    host: httpHost,
    port: httpPort,
    auth: config.apiToken === null ? " (no token: loopback only)" : " (bearer token required)",
  });
  log.info("HTTP-FLV listening on http://{host}:{port}", {
    host: config.host,
    port: httpFlvPort,
  });
  return {
    rtmpPort,
    httpPort,
    httpFlvPort,
    registry,
    async close() {
      stopping = true;
      listener.close();
      await accepting;
      const view = registry.view();
      for (const s of view.list()) if (s.state !== "closed") view.drop(s.id, SHUTDOWN_REASON);
      await Promise.all([...conns]);
      // Recordings finalize while relays unpublish: a slow origin never delays the files.
      await Promise.all([relays.settled(), recordings.settled()]);
      loopMonitor[Symbol.dispose]();
      await Promise.all([http.shutdown(), flvHttp.shutdown()]);
    },
  };
}
