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
import { readDocsScript } from "./api/docs_page.ts";
import { ServerMetrics } from "./metrics/server_metrics.ts";
import { SessionTotals } from "./metrics/session_totals.ts";
import { setupHooks } from "./hooks/hook_setup.ts";
import type { LocalStream } from "./cluster/cluster.ts";
import { startCluster } from "./cluster/start.ts";
import { WebhookAuth } from "./hooks/webhook_auth.ts";
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
import { type ConnectionDeps, type RtmpConn, serveConnection } from "./session/connection.ts";
import { ProxyProtocolError } from "./errors.ts";
import { clientAddress, readProxyHeader } from "./proxy_protocol/read_header.ts";
import { LoopMonitor } from "./session/loop_monitor.ts";
import { LoopNap } from "./session/loop_nap.ts";
import { ThreadLoad } from "./session/thread_load.ts";
import { PaceTicker } from "./session/pace_ticker.ts";
import { ReadScratch } from "./session/read_scratch.ts";
import { SessionRegistry } from "./session/registry.ts";
import { GopBudget } from "./stream/gop_budget.ts";
import { StreamHub } from "./stream/hub.ts";
import { PlayerSlots } from "./stream/player_slots.ts";
import { ChunkCache } from "./play/chunk_cache.ts";
import { JoinMemo } from "./bytes.ts";
import { acceptLoop } from "./listen/accept_loop.ts";
import { ServerTls } from "./tls/server_tls.ts";
import { type PemPair, readPemFile, readPemPair } from "./tls/tls_files.ts";

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
  /** The RTMPS port actually bound, or null without `--rtmps-port`. */
  readonly rtmpsPort: number | null;
  readonly registry: SessionRegistry;
  /**
   * Rereads `--tls-cert` and `--tls-key` for new RTMPS connections (SIGHUP); open sessions go on.
   * Throws, keeping the old pair, when a file cannot be read or the pair is refused.
   */
  reloadTls(): void;
  /** Stops accepting, tells publishers, finalizes recordings and stops the API. */
  close(): Promise<void>;
}

/** A connection's peer address. */
interface Peer {
  readonly hostname: string;
  readonly port: number;
}

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
 * The publish authorizer: per app, by the rules in force at each publish (`open`; `hmac` with
 * the app's secret; `webhook` to the app's URL, one {@linkcode WebhookAuth} per URL, kept in
 * `webhooks` until the server closes). Logs each app section's rules.
 */
function publishAuth(
  live: LiveConfig,
  o: { clock: Clock; log: Logger; webhooks: Map<string, WebhookAuth> },
): PublishAuthorizer {
  const config = live.config;
  logAppRules(live, o.log);
  return appAuthorizer({
    authFor: (app) => live.rulesFor(app),
    clock: o.clock,
    maxTtlS: config.hmacMaxTtlS,
    webhook: (url) => {
      let w = o.webhooks.get(url);
      if (w === undefined) {
        w = new WebhookAuth({
          url,
          timeoutMs: config.webhookTimeoutMs,
          failOpen: config.webhookFailOpen,
          edgeId: config.edgeId,
          log: o.log,
        });
        o.webhooks.set(url, w);
      }
      return w.publish;
    },
  });
}

/** The `/docs` page's script from `build/`, or null with a warning when it was not built. */
function loadDocsScript(log: Logger): Uint8Array | null {
  const { script, error } = readDocsScript();
  if (script === null) {
    log.warning("No API reference script ({error}): run deno task build:docs for /docs", {
      error,
    });
  }
  return script;
}

/** This edge's cluster name: `--edge-id`, or the host name. */
export function edgeIdOf(config: Config): string {
  return config.edgeId !== "" ? config.edgeId : Deno.hostname();
}

/** The hub's live streams as the cluster registers them. */
function localStreams(hub: StreamHub, registry: SessionRegistry): LocalStream[] {
  const view = registry.view();
  return hub.list().map((s) => {
    const session = view.get(s.publisherId);
    return {
      key: s.key,
      sessionId: s.publisherId,
      app: s.app,
      name: s.name,
      remoteAddr: session?.remoteAddr ?? "",
      videoCodec: s.videoCodec,
      audioCodec: s.audioCodec,
      bitrateKbps: session?.bitrateKbps ?? 0,
      since: s.startedAt,
      silentMs: hub.get(s.key)?.silentMs() ?? 0,
    };
  });
}

/** The `--tls-cert` and `--tls-key` pair `--rtmps-port` needs, read now; null without it. */
function rtmpsPem(config: Config): PemPair | null {
  if (config.rtmpsPort === null) return null;
  if (config.tlsCert === null || config.tlsKey === null) {
    throw new Error("--rtmps-port needs --tls-cert and --tls-key");
  }
  return readPemPair(config.tlsCert, config.tlsKey);
}

/** Starts the RTMP listener, the HTTP API and HTTP-FLV; repairs recordings a crash left behind first. */
export function startServer(deps: ServerDeps): RunningServer {
  const { config, clock, log } = deps;
  // A pair that cannot be read or is refused stops the start before anything listens.
  const pem = rtmpsPem(config);
  const tls = pem === null ? null : new ServerTls(pem);
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
  const totals = new SessionTotals();
  const registry = new SessionRegistry({ clock, onClose: (info) => totals.closed(info) });
  const recordings = new RecordingFactory({
    recordDir: config.record ? config.recordDir : null,
    pipe: config.pipe ? deps.pipe ?? null : null,
    maxQueuedBytes: config.recordQueueBytes,
    syncMs: config.recordSyncMs,
    clock,
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
  // With many sessions open the loop naps between bursts of work: fewer wakeups (--loop-nap-ms).
  const loopNap = config.loopNapMs > 0 ? new LoopNap({ clock, napMs: config.loopNapMs }) : null;
  const loopMonitor = new LoopMonitor({
    clock,
    onWatcherError: (error) => log.error("A connection's watchdog failed: {error}", { error }),
    ...(loopNap === null ? {} : { naps: loopNap }),
  });
  // On every monitor tick: naps with enough sessions open, unless the loop is near its limit.
  const loopLoad = new ThreadLoad();
  const napSwitch = loopNap === null ? null : loopMonitor.watch((now) =>
    loopNap.steer(
      registry.liveCount >= config.loopNapSessions,
      loopLoad.sample(now, loopNap.totals.nappedMs),
    )
  );
  // Merged reads: connections that wait before reading again share this ticker's timer.
  const paceTicker = new PaceTicker();
  const gopBudget = new GopBudget(config.gopCacheTotalBytes);
  const hub = new StreamHub({ gopCacheBytes: config.gopCacheBytes, gopBudget });
  const metrics = new ServerMetrics({
    sessions: () => registry.live(),
    streams: () => hub.list(),
    totals,
    maxStreams: config.maxConnections,
    clock,
    loop: loopMonitor,
    gopBudget: () => gopBudget.view(),
    ...(loopNap === null ? {} : { naps: loopNap }),
  });
  const relays = new RelayManager({
    targets: config.push,
    ...(config.tlsCa === null ? {} : { caCerts: [readPemFile(config.tlsCa, "--tls-ca")] }),
    clock,
    log,
    maxQueueBytes: config.playerQueueBytes,
  });
  // Publish/play authorizers and notification hooks (--publish-auth, --play-auth, --on-event).
  const hooks = setupHooks(config, clock, log);
  const webhooks = new Map<string, WebhookAuth>();
  // One instance for RTMP and HTTP-FLV players.
  const slots = new PlayerSlots(config);
  const cluster = config.clusterRedis === null ? null : startCluster({
    url: config.clusterRedis,
    edgeId: edgeIdOf(config),
    local: () => localStreams(hub, registry),
    dropLocal: (key, sessionId, reason) => {
      const live = hub.get(key);
      if (live === undefined || (sessionId !== null && live.publisherId !== sessionId)) {
        return false;
      }
      return registry.view().drop(live.publisherId, reason);
    },
    takeoverAfterMs: config.takeoverAfterMs,
    log,
  });
  const connDeps: ConnectionDeps = {
    registry,
    hub,
    recordings,
    makeParser: () => deps.makeParser(parserLimits(config)),
    clock,
    log,
    limits: config,
    loopMonitor,
    ...(loopNap === null ? {} : { loopNap }),
    paceTicker,
    readScratch: new ReadScratch(),
    onLive: (stream, session, extra) =>
      relays.attach(stream, session.info.relays, extra.push, live.rulesFor(stream.app).push),
    slots,
    chunks: new ChunkCache(),
    joins: new JoinMemo(),
    ...hooks,
    // Per app: the server-wide --publish-auth is the default of every app's rules.
    authorize: publishAuth(live, { clock, log, webhooks }),
    policy: (app) => live.rulesFor(app),
    health: healthThresholds(config),
    ...(cluster === null ? {} : { clusterClaim: (req) => cluster.claim(req) }),
  };
  const listener = Deno.listen({ hostname: config.host, port: config.rtmpPort, transport: "tcp" });
  let tlsListener: Deno.TcpListener | null = null;
  if (tls !== null && config.rtmpsPort !== null) {
    try {
      tlsListener = Deno.listen({
        hostname: config.host,
        port: config.rtmpsPort,
        transport: "tcp",
      });
    } catch (e) {
      listener.close();
      throw e;
    }
  }
  const conns = new Set<Promise<void>>();
  const admission = new Admission(config);
  let stopping = false;
  /** Admits `client` by its address; on a refusal closes `conn` and says why. */
  const admit = (conn: { close(): void }, client: Peer, via: string | null): boolean => {
    const refusal = admission.admit(client.hostname);
    if (refusal === null) return true;
    totals.refused(refusal);
    log.warning("Refused {remote}{via}: {reason}", {
      remote: `${client.hostname}:${client.port}`,
      via: via === null ? "" : ` via ${via}`,
      reason: refusal,
    });
    conn.close();
    return false;
  };
  /** Serves an admitted connection; its admission is released when it ends. */
  const serve = (conn: RtmpConn, client: Peer, serveDeps: ConnectionDeps) => {
    const remote = `${client.hostname}:${client.port}`;
    const p = serveConnection(conn, remote, serveDeps).finally(() => {
      admission.release(client.hostname);
      conns.delete(p);
    });
    conns.add(p);
  };
  /** Connections whose PROXY header is still arriving (closed on shutdown). */
  const waitingHeaders = new Set<Deno.TcpConn>();
  /** Reads the PROXY header (within the handshake time), then serves the real client. */
  const serveProxied = async (conn: Deno.TcpConn) => {
    const via = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
    if (waitingHeaders.size >= config.maxConnections) {
      log.warning("Refused {remote}: {reason}", {
        remote: via,
        reason: `Limit max-connections: ${waitingHeaders.size} connections wait for a PROXY header`,
      });
      return conn.close();
    }
    waitingHeaders.add(conn);
    let proxied;
    try {
      proxied = await readProxyHeader(conn, config.handshakeTimeoutMs);
    } catch (e) {
      // Closed here on shutdown too: a header that failed after close() began is no longer
      // in waitingHeaders when close() closes those.
      try {
        conn.close();
      } catch { /* already closed */ }
      if (stopping) return;
      log.warning("Refused {remote}: {reason}", {
        remote: via,
        reason: e instanceof ProxyProtocolError ? e.message : `PROXY header unread: ${String(e)}`,
      });
      return;
    } finally {
      waitingHeaders.delete(conn);
    }
    if (stopping) return conn.close();
    const client = clientAddress(proxied.header, conn.remoteAddr);
    if (admit(proxied.conn, client, via)) serve(proxied.conn, client, connDeps);
  };
  /** A connection accepted on the RTMP port: its PROXY header first when that is on. */
  const accepted = (conn: Deno.TcpConn) => {
    try {
      // Replies are small writes: without this, Nagle meets delayed ACKs and connect stalls.
      conn.setNoDelay(true);
    } catch { /* a socket already reset: serveConnection will see it */ }
    if (config.proxyProtocol) void serveProxied(conn);
    else if (admit(conn, conn.remoteAddr, null)) serve(conn, conn.remoteAddr, connDeps);
  };
  const accepting = [
    acceptLoop({ listener, log, closed: () => stopping, onConn: accepted }),
  ];
  if (tlsListener !== null && tls !== null) {
    // RTMPS takes no PROXY header: behind HAProxy, TLS ends there (see the README).
    const tlsDeps: ConnectionDeps = { ...connDeps, tls: true };
    accepting.push(acceptLoop({
      listener: tlsListener,
      log,
      closed: () => stopping,
      onConn: (conn) => {
        try {
          conn.setNoDelay(true);
        } catch { /* already reset */ }
        if (admit(conn, conn.remoteAddr, null)) serve(tls.wrap(conn), conn.remoteAddr, tlsDeps);
      },
    }));
  }
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
    onLimit: (remote, reason) => {
      totals.refused(reason);
      log.debug("HTTP {remote} closed: {reason}", { remote, reason });
    },
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
    ...(hooks.authorizePlay === undefined ? {} : { authorize: hooks.authorizePlay }),
    ...(hooks.onEvent === undefined ? {} : { onEvent: hooks.onEvent }),
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
    onLimit: (remote, reason) => {
      totals.refused(reason);
      log.debug("HTTP-FLV {remote} closed: {reason}", { remote, reason });
    },
  });
  // Made once HTTP-FLV has its port, for the dashboard's previews.
  const app = createApp(registry.view(), {
    token: config.apiToken,
    streams: () => hub.list(),
    metrics,
    docsScript: () => loadDocsScript(log),
    dashboard: { flvPort: flvHttp.addr.port, script: loadDashboardScript() },
    ...(cluster === null ? {} : { cluster }),
    ...(deps.version === undefined ? {} : { version: deps.version }),
  });
  const rtmpPort = (listener.addr as Deno.NetAddr).port;
  const httpPort = http.addr.port;
  const httpFlvPort = flvHttp.addr.port;
  log.info("RTMP listening on {host}:{port}", { host: config.host, port: rtmpPort });
  const rtmpsPort = tlsListener === null ? null : tlsListener.addr.port;
  if (rtmpsPort !== null) {
    log.info("RTMPS listening on {host}:{port}", { host: config.host, port: rtmpsPort });
  }
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
    rtmpsPort,
    registry,
    reloadTls() {
      if (tls === null || config.tlsCert === null || config.tlsKey === null) return;
      tls.reload(readPemPair(config.tlsCert, config.tlsKey));
    },
    async close() {
      stopping = true;
      loopNap?.set(false); // the last sessions end and recordings finish at full speed
      listener.close();
      tlsListener?.close();
      await Promise.all(accepting);
      for (const c of waitingHeaders) c.close();
      const view = registry.view();
      for (const s of view.list()) if (s.state !== "closed") view.drop(s.id, SHUTDOWN_REASON);
      await Promise.all([...conns]);
      // Recordings finalize while relays unpublish: a slow origin never delays the files.
      await Promise.all([relays.settled(), recordings.settled(), cluster?.close()]);
      recordings[Symbol.dispose]();
      metrics[Symbol.dispose]();
      loopMonitor[Symbol.dispose]();
      napSwitch?.[Symbol.dispose]();
      loopNap?.[Symbol.dispose]();
      paceTicker[Symbol.dispose]();
      await Promise.all([http.shutdown(), flvHttp.shutdown()]);
      // After the recordings: their recording_done events are sent (for up to 2 s).
      await Promise.all([hooks.close(), ...[...webhooks.values()].map((w) => w.close())]);
    },
  };
}
