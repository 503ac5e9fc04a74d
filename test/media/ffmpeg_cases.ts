/**
 * The ffmpeg recipes behind `test/fixtures/media/*.bin`. `make_fixtures.ts` runs them to
 * (re)write the fixtures; `ffmpeg_media_test.ts` runs them live and checks the parsers
 * against ffprobe. Every fixture is one FLV tag body, as an RTMP message would carry it.
 *
 * FFmpeg 5.1 will not put HEVC, AV1, Opus or FLAC in FLV, so those come from MP4/Ogg/FLAC
 * output: the hvcC/av1C box, the OpusHead packet or the STREAMINFO block, wrapped here in a
 * legacy codec-12 header (HEVC, as Chinese encoders send it) or an Enhanced RTMP header.
 * @module
 */

import { findBox, flvTags, fromMarker } from "./flv_tags.ts";

/** One ffmpeg run and how to cut a tag body out of its output. */
export interface FfmpegCase {
  /** Fixture name: `test/fixtures/media/<name>.bin`. */
  readonly name: string;
  /** Input and encoder arguments (the output path is appended). */
  readonly args: readonly string[];
  /** Output file extension, which picks the muxer. */
  readonly ext: "flv" | "mp4" | "ogg" | "flac";
  /** Cuts the tag body out of the output file. */
  readonly extract: (out: Uint8Array) => Uint8Array;
}

const VIDEO_TAG = 9;
const AUDIO_TAG = 8;
/** Bytes kept of a frame body: the parsers only look at the first five. */
const HEAD = 16;

function testsrc(size: string, frames = 1): string[] {
  return ["-f", "lavfi", "-i", `testsrc=size=${size}:rate=30`, "-frames:v", String(frames)];
}

function sine(rate: number): string[] {
  return ["-f", "lavfi", "-i", `sine=f=440:r=${rate}`, "-t", "0.2"];
}

function x264(size: string, ...extra: string[]): string[] {
  return [...testsrc(size), "-c:v", "libx264", "-pix_fmt", "yuv420p", ...extra];
}

function x265(size: string, ...extra: string[]): string[] {
  return [
    ...testsrc(size),
    "-c:v",
    "libx265",
    "-pix_fmt",
    "yuv420p",
    ...extra,
    "-x265-params",
    "log-level=error:info=0",
  ];
}

/** The first AVC/AAC sequence header (packet type 0) of a track. */
function sequenceHeader(type: number): (out: Uint8Array) => Uint8Array {
  return (out) => {
    const tag = flvTags(out).find((t) => t.type === type && t.body[1] === 0);
    if (tag === undefined) throw new Error(`No sequence header of tag type ${type}`);
    return tag.body.slice();
  };
}

/** The head of the first tag of a track that `pick` accepts. */
function frameHead(
  type: number,
  pick: (body: Uint8Array) => boolean,
): (out: Uint8Array) => Uint8Array {
  return (out) => {
    const tag = flvTags(out).find((t) => t.type === type && pick(t.body));
    if (tag === undefined) throw new Error(`No matching frame of tag type ${type}`);
    return tag.body.slice(0, HEAD);
  };
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** hvcC → legacy FLV body: key frame + codec id 12, packet type 0, composition time 0. */
function hevcLegacy(out: Uint8Array): Uint8Array {
  return concat([0x1c, 0x00, 0x00, 0x00, 0x00], findBox(out, "hvcC"));
}

/** av1C → Enhanced RTMP body: IsExHeader + key frame + SequenceStart, "av01". */
function av1Enhanced(out: Uint8Array): Uint8Array {
  return concat([0x90], ascii("av01"), findBox(out, "av1C"));
}

/** All fixtures. */
export const FFMPEG_CASES: readonly FfmpegCase[] = [
  {
    name: "h264_320x240_seq",
    args: x264("320x240"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_1280x720_seq",
    args: x264("1280x720"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_322x242_seq",
    args: x264("322x242"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_baseline_322x242_seq",
    args: x264("322x242", "-profile:v", "baseline"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_444_322x242_seq",
    args: x264("322x242", "-pix_fmt", "yuv444p"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_422p10_322x242_seq",
    args: x264("322x242", "-pix_fmt", "yuv422p10le"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_interlaced_320x240_seq",
    args: x264("320x240", "-flags", "+ildct+ilme"),
    ext: "flv",
    extract: sequenceHeader(VIDEO_TAG),
  },
  {
    name: "h264_keyframe_head",
    args: x264("320x240"),
    ext: "flv",
    extract: frameHead(VIDEO_TAG, (b) => b[1] === 1),
  },
  {
    name: "h264_interframe_head",
    args: [...x264("320x240"), "-frames:v", "3"],
    ext: "flv",
    extract: frameHead(VIDEO_TAG, (b) => b[1] === 1 && (b[0] ?? 0) >> 4 === 2),
  },
  {
    name: "h264_end_of_sequence",
    args: x264("320x240"),
    ext: "flv",
    extract: frameHead(VIDEO_TAG, (b) => b[1] === 2),
  },
  { name: "h265_320x240_seq", args: x265("320x240"), ext: "mp4", extract: hevcLegacy },
  { name: "h265_1280x720_seq", args: x265("1280x720"), ext: "mp4", extract: hevcLegacy },
  { name: "h265_322x242_seq", args: x265("322x242"), ext: "mp4", extract: hevcLegacy },
  {
    name: "h265_444_322x242_seq",
    args: x265("322x242", "-pix_fmt", "yuv444p"),
    ext: "mp4",
    extract: hevcLegacy,
  },
  {
    name: "h265_422p10_322x242_seq",
    args: x265("322x242", "-pix_fmt", "yuv422p10le"),
    ext: "mp4",
    extract: hevcLegacy,
  },
  {
    // Two temporal sub-layers: profile_tier_level carries sub-layer flags.
    name: "h265_temporal_320x240_seq",
    args: [
      ...testsrc("320x240", 8),
      "-c:v",
      "libx265",
      "-pix_fmt",
      "yuv420p",
      "-x265-params",
      "log-level=error:info=0:temporal-layers=1",
    ],
    ext: "mp4",
    extract: hevcLegacy,
  },
  {
    name: "av1_320x240_seq",
    args: [...testsrc("320x240"), "-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p"],
    ext: "mp4",
    extract: av1Enhanced,
  },
  {
    name: "av1_322x242_seq",
    args: [...testsrc("322x242"), "-c:v", "libaom-av1", "-cpu-used", "8", "-pix_fmt", "yuv420p"],
    ext: "mp4",
    extract: av1Enhanced,
  },
  {
    name: "aac_44100_2_seq",
    args: [...sine(44100), "-c:a", "aac", "-ar", "44100", "-ac", "2"],
    ext: "flv",
    extract: sequenceHeader(AUDIO_TAG),
  },
  {
    name: "aac_48000_1_seq",
    args: [...sine(48000), "-c:a", "aac", "-ar", "48000", "-ac", "1"],
    ext: "flv",
    extract: sequenceHeader(AUDIO_TAG),
  },
  {
    name: "aac_frame_head",
    args: [...sine(44100), "-c:a", "aac", "-ar", "44100", "-ac", "2"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, (b) => b[1] === 1),
  },
  {
    name: "mp3_44100_2_head",
    args: [...sine(44100), "-c:a", "libmp3lame", "-ar", "44100", "-ac", "2"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "mp3_22050_1_head",
    args: [...sine(22050), "-c:a", "libmp3lame", "-ar", "22050", "-ac", "1"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "mp3_48000_2_head",
    args: [...sine(48000), "-c:a", "libmp3lame", "-ar", "48000", "-ac", "2"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "speex_16000_head",
    args: [...sine(16000), "-c:a", "libspeex", "-ar", "16000"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "g711a_8000_head",
    args: [...sine(8000), "-c:a", "pcm_alaw", "-ar", "8000"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "nellymoser_8000_head",
    args: [...sine(8000), "-c:a", "nellymoser", "-ar", "8000"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "nellymoser_22050_head",
    args: [...sine(22050), "-c:a", "nellymoser", "-ar", "22050"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    name: "pcm_11025_2_head",
    args: [...sine(11025), "-c:a", "pcm_s16le", "-ar", "11025", "-ac", "2"],
    ext: "flv",
    extract: frameHead(AUDIO_TAG, () => true),
  },
  {
    // Enhanced RTMP body: ExHeader + SequenceStart, "Opus", the OpusHead packet.
    name: "opus_48000_2_seq",
    args: [...sine(48000), "-c:a", "libopus", "-ac", "2"],
    ext: "ogg",
    extract: (out) => concat([0x90], ascii("Opus"), fromMarker(out, "OpusHead", 19)),
  },
  {
    // Enhanced RTMP body: ExHeader + SequenceStart, "fLaC", the bare 34-byte STREAMINFO.
    name: "flac_44100_1_seq",
    args: [...sine(44100), "-c:a", "flac", "-ac", "1"],
    ext: "flac",
    extract: (out) => concat([0x90], ascii("fLaC"), fromMarker(out, "fLaC", 42).subarray(8)),
  },
];

/** Runs one case's ffmpeg in `dir` and returns the whole output file. */
export async function runFfmpeg(
  c: FfmpegCase,
  dir: string,
): Promise<{ path: string; out: Uint8Array }> {
  const path = `${dir}/${c.name}.${c.ext}`;
  const cmd = new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-loglevel", "error", "-y", ...c.args, path],
    stdout: "null",
    stderr: "piped",
  });
  const { code, stderr } = await cmd.output();
  if (code !== 0) {
    throw new Error(`ffmpeg for ${c.name} exited ${code}: ${new TextDecoder().decode(stderr)}`);
  }
  return { path, out: await Deno.readFile(path) };
}
