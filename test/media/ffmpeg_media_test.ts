/**
 * Live check against ffmpeg/ffprobe: every recipe in `ffmpeg_cases.ts` is encoded afresh,
 * its tag body parsed, and the result compared with what ffprobe says of the same file.
 * Skipped, loudly, when ffmpeg or ffprobe is not installed.
 */

import assert from "node:assert/strict";
import { parseAudioTag } from "../../src/media/audio_tag.ts";
import { parseVideoTag, type VideoConfig } from "../../src/media/video_tag.ts";
import { FFMPEG_CASES, runFfmpeg } from "./ffmpeg_cases.ts";

async function installed(tool: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(tool, {
      args: ["-version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

const tools = (await installed("ffmpeg")) && (await installed("ffprobe"));
if (!tools) console.warn("\n*** ffmpeg/ffprobe not found: SKIPPING the live media tests ***\n");

interface ProbedStream {
  codec_type?: string;
  width?: number;
  height?: number;
  profile?: string;
  level?: number;
  sample_rate?: string;
  channels?: number;
}

async function probe(path: string): Promise<ProbedStream> {
  const { stdout } = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_streams", "-of", "json", path],
    stdout: "piped",
  }).output();
  const parsed: unknown = JSON.parse(new TextDecoder().decode(stdout));
  const streams = (parsed as { streams?: ProbedStream[] }).streams ?? [];
  const stream = streams[0];
  if (stream === undefined) throw new Error(`ffprobe found no stream in ${path}`);
  return stream;
}

/** ffprobe's profile names where they differ from ours. */
const FFPROBE_PROFILES: Readonly<Record<string, string>> = { Rext: "Range Extensions" };

function checkVideo(name: string, config: VideoConfig, s: ProbedStream): void {
  assert.deepEqual([config.width, config.height], [s.width, s.height], name);
  if (s.profile !== undefined) {
    assert.equal(config.profile, FFPROBE_PROFILES[s.profile] ?? s.profile, name);
  }
  if (name.startsWith("h264")) assert.equal(Math.round((config.level ?? 0) * 10), s.level, name);
  if (name.startsWith("h265")) {
    assert.equal(config.level, Math.round((s.level ?? 0) / 3) / 10, name);
  }
}

Deno.test({
  name: "parsers agree with ffprobe on freshly encoded ffmpeg output",
  ignore: !tools,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "media_live_" });
    try {
      for (const c of FFMPEG_CASES) {
        await t.step(c.name, async () => {
          const { path, out } = await runFfmpeg(c, dir);
          const body = c.extract(out);
          const s = await probe(path);
          if (s.codec_type === "video") {
            const tag = parseVideoTag(body);
            if (tag.kind !== "sequence-header") return;
            assert.ok(tag.config !== null, c.name);
            checkVideo(c.name, tag.config, s);
          } else {
            const tag = parseAudioTag(body);
            if (tag.config === null) return;
            assert.deepEqual(
              [tag.config.sampleRate, tag.config.channels],
              [Number(s.sample_rate), s.channels],
              c.name,
            );
          }
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
