import assert from "node:assert/strict";
import { have, missing, type TestServer, testServer, until } from "./harness.ts";
import { parseMetrics, series, value } from "../metrics/prom_text.ts";

const TOKEN = "metrics-token";
const noFfmpeg = missing("ffmpeg", have("ffmpeg", "-version"));
const noPrometheus = missing("prometheus", have("prometheus", "--version"));

/** FFmpeg publishing H.264 + AAC in real time to `live/<name>` for `seconds`, in the background. */
function publish(s: TestServer, name: string, seconds: number): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
      ...["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "25"],
      ...["-c:a", "aac", "-f", "flv", `${s.rtmpUrl}/live/${name}`],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Ends FFmpeg if it still runs, and returns its exit and stderr. */
async function finish(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const out = await child.output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

async function scrape(s: TestServer) {
  const res = await fetch(`${s.httpUrl}/metrics`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

Deno.test({
  name: "an FFmpeg publish moves the counters and its stream's series vanish when it ends",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({ config: { apiToken: TOKEN } });
    assert.equal(
      await fetch(`${s.httpUrl}/metrics`).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      }),
      401,
    );
    const ffmpeg = publish(s, "watched", 5);
    let live: Awaited<ReturnType<typeof scrape>> = [];
    let firstFrames = 0;
    try {
      await until(async () => {
        live = await scrape(s);
        firstFrames = value(live, "rtmp_edge_frames_received_total", { kind: "video_inter" }) ?? 0;
        return (value(live, "rtmp_edge_stream_fps", { app: "live", name: "watched" }) ?? 0) > 0 &&
          firstFrames > 0;
      }, 20_000);
      assert.equal(
        value(live, "rtmp_edge_sessions", { state: "publishing", role: "publisher" }),
        1,
      );
      assert.equal(value(live, "rtmp_edge_publishes_started_total"), 1);
      await until(async () => {
        const m = await scrape(s);
        return (value(m, "rtmp_edge_frames_received_total", { kind: "video_inter" }) ?? 0) >
            firstFrames &&
          (value(m, "rtmp_edge_stream_bitrate_bits_per_second", { name: "watched" }) ?? 0) > 0 &&
          [0, 1, 2].includes(value(m, "rtmp_edge_stream_health", { name: "watched" }) ?? -1);
      }, 20_000);
    } finally {
      const out = await finish(ffmpeg);
      assert.equal(out.code, 0, out.stderr);
    }
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"), 20_000);
    const m = await scrape(s);
    assert.deepEqual(series(m, "rtmp_edge_stream_fps"), []);
    assert.deepEqual(series(m, "rtmp_edge_stream_bitrate_bits_per_second"), []);
    assert.deepEqual(series(m, "rtmp_edge_stream_health"), []);
    assert.equal(value(m, "rtmp_edge_streams"), 0);
    const endedReasons = series(m, "rtmp_edge_publishes_ended_total");
    assert.equal(endedReasons.reduce((a, x) => a + x.value, 0), 1, JSON.stringify(endedReasons));
    const key = value(m, "rtmp_edge_frames_received_total", { kind: "video_key" }) ?? 0;
    const inter = value(m, "rtmp_edge_frames_received_total", { kind: "video_inter" }) ?? 0;
    assert.equal(key + inter, 125, `${key} key + ${inter} inter frames`);
    assert.ok((value(m, "rtmp_edge_frames_received_total", { kind: "audio" }) ?? 0) > 100);
    assert.ok((value(m, "rtmp_edge_frames_received_total", { kind: "data" }) ?? 0) >= 1);
    assert.ok((value(m, "rtmp_edge_received_bytes_total") ?? 0) > 10_000);
    assert.ok((value(m, "rtmp_edge_recording_bytes_total") ?? 0) > 10_000);
  },
});

/** A free TCP port on 127.0.0.1 (bound, then let go). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The series an instant PromQL query gives. */
async function query(base: string, promql: string): Promise<{ value: [number, string] }[]> {
  const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = await res.json() as {
    status: string;
    data?: { result: { value: [number, string] }[] };
  };
  assert.equal(body.status, "success", JSON.stringify(body));
  return body.data!.result;
}

Deno.test({
  name: "a real Prometheus scrapes /metrics with the bearer token and sees a stream come and go",
  ignore: noFfmpeg || noPrometheus,
  async fn() {
    await using s = await testServer({ config: { apiToken: TOKEN } });
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-prometheus-" });
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: rtmp-edge",
        "    scrape_interval: 1s",
        "    scrape_timeout: 1s",
        "    authorization:",
        `      credentials: ${TOKEN}`,
        "    static_configs:",
        `      - targets: ["127.0.0.1:${s.server.httpPort}"]`,
        "",
      ].join("\n"),
    );
    const prometheus = new Deno.Command("prometheus", {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const ffmpeg = publish(s, "scraped", 6);
    try {
      await until(async () => {
        try {
          const up = await query(base, 'up{job="rtmp-edge"}');
          return up[0]?.value[1] === "1";
        } catch {
          return false; // Prometheus still starting
        }
      }, 30_000);
      await until(async () => {
        const fps = await query(base, 'rtmp_edge_stream_fps{app="live",name="scraped"}');
        return fps.length === 1 && Number(fps[0]!.value[1]) > 0;
      }, 30_000);
      const frames = await query(base, 'rtmp_edge_frames_received_total{kind="video_key"}');
      assert.ok(Number(frames[0]?.value[1]) >= 1, JSON.stringify(frames));
      const out = await finish(ffmpeg);
      assert.equal(out.code, 0, out.stderr);
      // Once a scrape no longer has the series, Prometheus marks it stale: the query goes empty.
      await until(
        async () => (await query(base, 'rtmp_edge_stream_fps{name="scraped"}')).length === 0,
        30_000,
      );
      const ended = await query(base, "sum(rtmp_edge_publishes_ended_total)");
      assert.equal(ended[0]?.value[1], "1");
    } finally {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* already ended */ }
      await finish(ffmpeg).catch(() => {});
      prometheus.kill("SIGTERM");
      const timer = setTimeout(() => prometheus.kill("SIGKILL"), 10_000);
      await prometheus.output();
      clearTimeout(timer);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
