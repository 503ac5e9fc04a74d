/**
 * The loopback deployment for the cluster test: Redis, an nginx-rtmp origin, rtmp-edge
 * processes behind HAProxy (`send-proxy-v2`), FFmpeg as the encoder, and the origin's
 * frames counted with ffprobe.
 * @module
 */

import { run, spawnServer } from "../interop/harness.ts";
import { originRecordings, videoTags } from "../relay/nginx.ts";

/** One rtmp-edge process. */
export interface Edge {
  readonly id: string;
  readonly rtmpPort: number;
  readonly httpUrl: string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait; returns its log. */
  stop(): Promise<string>;
}

/** Starts an edge with `--proxy-protocol`, the cluster and a push to `origin`. */
export async function startEdge(id: string, redisUrl: string, origin: string): Promise<Edge> {
  const s = await spawnServer([
    ...["--proxy-protocol", "--cluster-redis", redisUrl, "--edge-id", id],
    ...["--push", origin, "--no-record", "--parser", "js"],
  ]);
  let done: Promise<string> | null = null;
  const end = (signal: Deno.Signal) => {
    done ??= (async () => {
      try {
        s.child.kill(signal);
      } catch { /* exited */ }
      await s.child.status;
      await s.stdout;
      return await s.log();
    })();
    return done;
  };
  return {
    id,
    rtmpPort: s.rtmpPort,
    httpUrl: `http://127.0.0.1:${s.httpPort}`,
    kill: async () => void await end("SIGKILL"),
    stop: () => end("SIGTERM"),
  };
}

/** A live stream as `GET /api/cluster/streams` lists it. */
export interface ListedStream {
  readonly key: string;
  readonly edgeId: string;
  readonly remoteAddr: string;
  readonly sessionId: string;
}

/** The cluster's streams as `edge` lists them; empty when it cannot answer. */
export async function listed(edge: Edge): Promise<ListedStream[]> {
  try {
    const res = await fetch(`${edge.httpUrl}/api/cluster/streams`);
    const body = await res.json();
    return res.ok ? body.streams : [];
  } catch {
    return [];
  }
}

/** The cluster part of `edge`'s `/healthz`. */
export async function clusterHealth(edge: Edge): Promise<string> {
  const res = await fetch(`${edge.httpUrl}/healthz`);
  return (await res.json()).cluster?.state ?? "none";
}

/** FFmpeg publishing a live test pattern (25 fps, a key frame a second) to `url`. */
export function ffmpegPublish(url: string): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25"],
      ...["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** The local ports of the connections to 127.0.0.1:`port` (the proxy's clients), from `ss`. */
export async function clientPortsOf(port: number): Promise<number[]> {
  const r = await run("ss", ["-Htn", "state", "established", `( dport = :${port} )`]);
  return r.stdout.split("\n").flatMap((line) => {
    const m = /127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)/.exec(line);
    return m !== null && Number(m[2]) === port ? [Number(m[1])] : [];
  });
}

/** Video packets of each origin recording of `name`, by ffprobe (no decoding: files grow). */
export async function originFrames(dir: string, name: string): Promise<number[]> {
  const out: number[] = [];
  for (const path of await originRecordings(dir, name)) {
    const r = await run("ffprobe", [
      ...["-v", "error", "-select_streams", "v", "-count_packets"],
      ...["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
    ]);
    out.push(r.code === 0 ? Number(r.stdout.trim().split(/\s+/)[0] ?? 0) || 0 : 0);
  }
  return out;
}

/** Whether the first coded video frame of each origin recording of `name` is a key frame. */
export async function originStartsOnKeyframes(dir: string, name: string): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const path of await originRecordings(dir, name)) {
    const first = (await videoTags(path)).find((t) => !t.config);
    out.push(first?.keyframe ?? false);
  }
  return out;
}
