/**
 * Wiring: the RTMP listener, the HTTP API and what they share. `main.ts` calls this with
 * the parsed config; tests call it with port 0.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { createApp } from "./api/app.ts";
import type { Clock } from "./clock.ts";
import type { Config } from "./config.ts";
import type { ChunkParser } from "./parser/types.ts";
import type { SyncWriter } from "./record/flv_output.ts";
import { RecordingFactory } from "./record/recording.ts";
import { serveConnection } from "./session/connection.ts";
import { SessionRegistry } from "./session/registry.ts";
import { StreamHub } from "./session/stream_hub.ts";

/** What {@linkcode startServer} needs besides the config. */
export interface ServerDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  /** Makes one chunk parser per connection (WASM or JS, with the configured limits). */
  readonly makeParser: () => ChunkParser;
  /** stdout for `--pipe`. */
  readonly pipe?: SyncWriter;
}

/** A running server. */
export interface RunningServer {
  /** The RTMP port actually bound (useful with port 0). */
  readonly rtmpPort: number;
  /** The HTTP port actually bound. */
  readonly httpPort: number;
  readonly registry: SessionRegistry;
  /** Stops accepting, drops every client, finalizes recordings and stops the API. */
  close(): Promise<void>;
}

/** Starts the RTMP listener and the HTTP API. */
export function startServer(deps: ServerDeps): RunningServer {
  const { config, clock, log } = deps;
  const registry = new SessionRegistry({ clock });
  const hub = new StreamHub();
  const recordings = new RecordingFactory({
    recordDir: config.record ? config.recordDir : null,
    pipe: config.pipe ? deps.pipe ?? null : null,
  });
  const listener = Deno.listen({ hostname: config.host, port: config.rtmpPort, transport: "tcp" });
  const conns = new Set<Promise<void>>();
  const connDeps = { registry, hub, recordings, makeParser: deps.makeParser, clock, log };
  const accepting = (async () => {
    for await (const conn of listener) {
      const remote = conn.remoteAddr;
      const p = serveConnection(conn, `${remote.hostname}:${remote.port}`, connDeps);
      conns.add(p);
      p.finally(() => conns.delete(p));
    }
  })().catch((e) => {
    if (!(e instanceof Deno.errors.BadResource)) log.error("Accept failed: {error}", { error: e });
  });
  const app = createApp(registry.view());
  const http = Deno.serve({
    hostname: config.httpHost,
    port: config.httpPort,
    onListen: () => {},
  }, app.fetch);
  const rtmpPort = (listener.addr as Deno.NetAddr).port;
  const httpPort = http.addr.port;
  log.info("RTMP listening on {host}:{port}", { host: config.host, port: rtmpPort });
  log.info("HTTP API listening on http://{host}:{port}", { host: config.httpHost, port: httpPort });
  return {
    rtmpPort,
    httpPort,
    registry,
    async close() {
      listener.close();
      await accepting;
      const view = registry.view();
      for (const s of view.list()) if (s.state !== "closed") view.drop(s.id);
      await Promise.all([...conns]);
      await http.shutdown();
    },
  };
}
