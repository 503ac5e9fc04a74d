/**
 * Capture check: every recording's packets, counted by ffprobe, against the frames the load
 * tool sent on that stream; and the test file, made once with ffmpeg.
 * @module
 */

import type { LoadReport } from "../tools/load_run.ts";

/** How much of what was sent ended up in the recordings. */
export interface Capture {
  /** Publishers that connected (each should have one recording). */
  readonly expected: number;
  /** Recordings found (`.flv`). */
  readonly recordings: number;
  /** Recordings whose video and audio counts equal the frames sent. */
  readonly exact: number;
  readonly framesSent: number;
  readonly framesRecorded: number;
  /** 100 × recorded / sent. */
  readonly percent: number;
  /** The first few disagreements, as text. */
  readonly problems: readonly string[];
}

const FFPROBE_TIMEOUT_MS = 60_000;
const PROBE_PARALLEL = 2;

/** Counts the video and audio packets of an FLV file with ffprobe (no decoding). */
export async function countPackets(path: string): Promise<{ video: number; audio: number }> {
  const args = [
    "-v",
    "error",
    "-count_packets",
    "-show_entries",
    "stream=codec_type,nb_read_packets",
  ];
  const child = new Deno.Command("ffprobe", {
    args: [...args, "-of", "json", path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), FFPROBE_TIMEOUT_MS);
  try {
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      throw new Error(`ffprobe failed on ${path}: ${new TextDecoder().decode(out.stderr)}`);
    }
    const parsed: unknown = JSON.parse(text);
    const streams = parsed !== null && typeof parsed === "object" && "streams" in parsed &&
        Array.isArray(parsed.streams)
      ? (parsed.streams as unknown[])
      : [];
    const count = (type: string) => {
      for (const s of streams) {
        if (s !== null && typeof s === "object" && "codec_type" in s && s.codec_type === type) {
          return "nb_read_packets" in s ? Number(s.nb_read_packets) : 0;
        }
      }
      return 0;
    };
    return { video: count("video"), audio: count("audio") };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Finds the recordings under `dir` (any depth) and checks them against the load report; with
 * `sample`, only that many publishers' recordings, spread evenly over them.
 */
export async function checkCapture(
  dir: string,
  report: LoadReport,
  sample?: number,
): Promise<Capture> {
  const files = await listFiles(dir);
  const byStream = new Map<string, string[]>();
  const problems: string[] = [];
  for (const f of files) {
    const base = f.slice(f.lastIndexOf("/") + 1);
    if (base.endsWith(".part")) problems.push(`${base} was never finalized`);
    if (!base.endsWith(".flv")) continue;
    // Ours: NAME-<UTC stamp>.flv; nginx-rtmp (record_unique off): NAME.flv.
    const name = base.replace(/-\d{8}T\d{6}Z\.flv$/, "").replace(/\.flv$/, "");
    byStream.set(name, [...(byStream.get(name) ?? []), f]);
  }
  const connected = report.publishers.filter((p) => p.connectMs !== null);
  const step = sample === undefined ? 1 : Math.max(1, Math.floor(connected.length / sample));
  const sent = connected.filter((_, i) => i % step === 0).slice(0, sample ?? connected.length);
  let framesSent = 0;
  let framesRecorded = 0;
  let exact = 0;
  let next = 0;
  const lane = async () => {
    while (next < sent.length) {
      const p = sent[next++]!;
      framesSent += p.video + p.audio;
      const paths = byStream.get(p.name) ?? [];
      if (paths.length !== 1) problems.push(`${p.name}: ${paths.length} recordings`);
      let video = 0;
      let audio = 0;
      for (const path of paths) {
        const c = await countPackets(path);
        video += c.video;
        audio += c.audio;
      }
      framesRecorded += Math.min(video, p.video) + Math.min(audio, p.audio);
      if (video === p.video && audio === p.audio) exact++;
      else problems.push(`${p.name}: sent ${p.video}/${p.audio}, recorded ${video}/${audio}`);
    }
  };
  await Promise.all(Array.from({ length: PROBE_PARALLEL }, lane));
  return {
    expected: sent.length,
    recordings: files.filter((f) => f.endsWith(".flv")).length,
    exact,
    framesSent,
    framesRecorded,
    percent: framesSent === 0 ? 0 : (100 * framesRecorded) / framesSent,
    problems: problems.slice(0, 10),
  };
}

/** What a bench test clip is: 10 s of 30 fps H.264 + AAC test pattern at a set bit rate. */
export interface ClipSpec {
  /** File name in the cache dir. */
  readonly name: string;
  /** `WxH`. */
  readonly size: string;
  /** Video bit rate, max rate and buffer, in kbit/s. */
  readonly kbps: number;
  readonly maxKbps: number;
  readonly bufferKbits: number;
  /** Audio bit rate in kbit/s. */
  readonly audioKbps: number;
}

/** Makes the clip `spec` once with ffmpeg into the cache dir; returns its path. */
export async function ensureClip(cacheDir: string, spec: ClipSpec): Promise<string> {
  const path = `${cacheDir}/${spec.name}`;
  try {
    if ((await Deno.stat(path)).size > 0) return path;
  } catch { /* make it */ }
  await Deno.mkdir(cacheDir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  // deno-fmt-ignore
  const args = [
    "-v", "error", "-y",
    "-f", "lavfi", "-i", `testsrc2=size=${spec.size}:rate=30`,
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    "-c:v", "libx264", "-preset", "veryfast", "-b:v", `${spec.kbps}k`,
    "-maxrate", `${spec.maxKbps}k`, "-bufsize", `${spec.bufferKbits}k`, "-g", "60",
    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", `${spec.audioKbps}k`, "-t", "10", "-f", "flv",
    tmp,
  ];
  const child = new Deno.Command("ffmpeg", { args, stdin: "null", stdout: "null", stderr: "piped" })
    .spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  try {
    const out = await child.output();
    if (!out.success) throw new Error(`ffmpeg failed: ${new TextDecoder().decode(out.stderr)}`);
  } finally {
    clearTimeout(timer);
  }
  await Deno.rename(tmp, path);
  return path;
}

/** The ~4 Mbit/s 720p30 test file of the e2e bench, made once; returns its path. */
export function ensureTestFlv(cacheDir: string): Promise<string> {
  return ensureClip(cacheDir, {
    name: "bench-720p30-4mbit-10s.flv",
    size: "1280x720",
    kbps: 3800,
    maxKbps: 4000,
    bufferKbits: 8000,
    audioKbps: 128,
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number) => {
    if (depth > 4) return;
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p, depth + 1);
      else out.push(p);
    }
  };
  await walk(dir, 0);
  return out.sort();
}
