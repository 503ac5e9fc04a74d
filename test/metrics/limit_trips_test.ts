import { testServer, until } from "../interop/harness.ts";
import { parseMetrics, value } from "./prom_text.ts";

async function limitTrips(httpUrl: string, limit: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return value(parseMetrics(text), "rtmp_edge_limit_trips_total", { limit }) ?? 0;
}

/** Reads until the peer closes (or 5 s pass). */
async function closedByPeer(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(1024);
  const end = Date.now() + 5_000;
  while (Date.now() < end) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return;
  }
  throw new Error("The server did not close the connection");
}

Deno.test("refused RTMP connections and HTTP header timeouts count as limit trips", async () => {
  await using s = await testServer({
    config: { maxConnections: 1, httpHeaderTimeoutMs: 300 },
  });
  using first = await Deno.connect({ hostname: "127.0.0.1", port: s.server.rtmpPort });
  await until(() => s.server.registry.view().list().length === 1);
  using second = await Deno.connect({ hostname: "127.0.0.1", port: s.server.rtmpPort });
  await closedByPeer(second);
  await until(async () => (await limitTrips(s.httpUrl, "max-connections")) === 1);

  using slow = await Deno.connect({ hostname: "127.0.0.1", port: s.server.httpPort });
  await slow.write(new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  await closedByPeer(slow);
  await until(async () => (await limitTrips(s.httpUrl, "http-header-timeout")) === 1);
  first.close();
  await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
});
