import assert from "node:assert/strict";
import type { StreamHealth } from "../../src/health/stream_health.ts";
import { have, missing, type TestServer, testServer, until } from "../interop/harness.ts";

const noFfmpeg = missing("ffmpeg", have("ffmpeg", "-version"));

const VIDEO = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"];
const AUDIO = ["-f", "lavfi", "-i", "sine=sample_rate=44100"];
const CODECS = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-c:a", "aac"];

/** One FFmpeg publish that should give a condition, and how to tell it has. */
interface Condition {
  readonly name: string;
  /** FFmpeg's inputs and codecs; the test adds the FLV output. */
  readonly args: readonly string[];
  /** Whether the health shows the condition. */
  readonly shows: (h: StreamHealth) => boolean;
  /** Sends SIGSTOP to FFmpeg once it has published this long (ms). */
  readonly stopAfterMs?: number;
}

const CONDITIONS: readonly Condition[] = [
  {
    name: "good",
    args: ["-re", ...VIDEO, "-re", ...AUDIO, "-t", "20", ...CODECS, "-g", "50"],
    shows: (h) => h.status === "good" && h.gopFrames === 50 && h.fps !== null && h.fps > 20,
  },
  {
    name: "long-gop",
    args: ["-re", ...VIDEO, "-re", ...AUDIO, "-t", "20", ...CODECS, "-g", "300"],
    shows: (h) =>
      h.status === "warning" && h.reasons.some((r) => /^keyframe interval [4-9]\.\d s/.test(r)),
  },
  {
    name: "ahead",
    args: [...VIDEO, ...AUDIO, "-t", "120", ...CODECS, "-g", "50"],
    shows: (h) => (h.speed ?? 0) > 1.5 && h.reasons.some((r) => r.includes("ahead of real time")),
  },
  {
    name: "behind",
    args: [
      ...["-readrate", "0.5", ...VIDEO, "-readrate", "0.5", ...AUDIO],
      ...["-t", "20", ...CODECS, "-g", "50"],
    ],
    shows: (h) => h.behindMs > 1000 && h.reasons.some((r) => r.includes("behind real time")),
  },
  {
    name: "drift",
    args: [
      ...["-re", ...VIDEO, "-itsoffset", "2.5", "-re", ...AUDIO],
      ...["-t", "20", ...CODECS, "-g", "50"],
    ],
    shows: (h) =>
      h.status === "bad" && (h.avStartOffsetMs ?? 0) > 2000 &&
      h.reasons.includes("audio timestamps start 2.5 s after video"),
  },
  {
    name: "stalled",
    args: ["-re", ...VIDEO, "-re", ...AUDIO, "-t", "20", ...CODECS, "-g", "50"],
    stopAfterMs: 2000,
    shows: (h) => h.status === "bad" && h.reasons.some((r) => r.startsWith("no media for")),
  },
];

function healthOf(s: TestServer, name: string): StreamHealth | null {
  const info = s.server.registry.view().list().find((x) =>
    x.streamName === name && x.state === "publishing"
  );
  return info?.health ?? null;
}

Deno.test({
  name: "FFmpeg publishes show each health condition: long GOP, ahead, behind, A/V offset, stall",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({ config: { record: false } });
    const children: Deno.ChildProcess[] = [];
    const seen = new Map<string, StreamHealth>();
    try {
      await Promise.all(CONDITIONS.map(async (c) => {
        const child = new Deno.Command("ffmpeg", {
          args: [
            ...["-hide_banner", "-loglevel", "error", ...c.args],
            ...["-f", "flv", `${s.rtmpUrl}/live/${c.name}`],
          ],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        children.push(child);
        await until(() => healthOf(s, c.name) !== null, 20_000);
        if (c.stopAfterMs !== undefined) {
          await until(() => (healthOf(s, c.name)?.fps ?? 0) > 0, 20_000);
          await new Promise((r) => setTimeout(r, c.stopAfterMs));
          child.kill("SIGSTOP");
        }
        await until(() => {
          const h = healthOf(s, c.name);
          if (h === null || !c.shows(h)) return false;
          seen.set(c.name, h);
          return true;
        }, 30_000).catch((e) => {
          throw new Error(
            `${c.name}: ${e.message}; last health ${JSON.stringify(healthOf(s, c.name))}`,
          );
        });
      }));
    } finally {
      for (const child of children) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
        await child.status;
      }
    }
    for (const c of CONDITIONS) {
      assert.ok(seen.has(c.name), c.name);
      if (Deno.env.get("HEALTH_PRINT") === "1") {
        console.log(`${c.name}: ${JSON.stringify(seen.get(c.name))}`);
      }
    }
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    // The API shows each publisher's last health, under the names other tools read.
    const { sessions } = await (await fetch(`${s.httpUrl}/api/sessions`)).json();
    assert.equal(sessions.length, CONDITIONS.length);
    for (const info of sessions) {
      const h = info.health;
      assert.ok(["good", "warning", "bad"].includes(h.status), JSON.stringify(h));
      assert.ok(Array.isArray(h.reasons));
      assert.equal(typeof h.bitrate1s, "number");
      assert.equal(h.fps, 25, `${info.streamName}: ${JSON.stringify(h)}`);
    }
  },
});
