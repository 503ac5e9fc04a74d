/**
 * Regenerates `test/fixtures/captures/`: real clients publish through the capture relay
 * (`tools/capture.ts`) to an in-process server, and synthetic streams come from
 * `publishLike()`. Each `NAME.bin` gets a `NAME.json` summary made with the JS parser.
 *
 * ```sh
 * deno run -A test/fuzz/make_fixtures.ts            # all of them
 * deno run -A test/fuzz/make_fixtures.ts ffmpeg_x264_aac_720p
 * ```
 * @module
 */

import { createJsParser } from "../../src/parser/js_parser.ts";
import type { MessageRecord } from "../../src/parser/types.ts";
import { fileSink, startRelay } from "../../tools/capture.ts";
import { have, run, testServer } from "../interop/harness.ts";
import { concat, feed, publishLike, type PublishLikeOptions } from "../parser/stream_gen.ts";
import {
  CAPTURES_DIR,
  type FixtureSummary,
  HANDSHAKE_BYTES,
  summarizeRecords,
  syntheticHandshake,
} from "./fixtures.ts";

/** A client that publishes to `url` (rtmp://127.0.0.1:PORT/live/NAME). */
interface ClientFixture {
  readonly name: string;
  readonly source: string;
  readonly available: () => boolean;
  readonly command: (url: string) => [string, string[]];
}

const FFMPEG: ClientFixture = {
  name: "ffmpeg_x264_aac_720p",
  source: "FFmpeg 5.1, libx264 + aac, 1280x720 30 fps, 2 s, 800 kb/s",
  available: () => have("ffmpeg", "-version"),
  command: (url) => [
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-nostdin"],
      ...["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "2"],
      ...["-c:v", "libx264", "-preset", "veryfast", "-b:v", "800k", "-g", "30"],
      ...["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url],
    ],
  ],
};

function gstPipeline(sink: string[]): string[] {
  return [
    ...["-q", "-e", "flvmux", "name=mux", "streamable=true", "!", ...sink],
    ...["videotestsrc", "num-buffers=60", "!", "video/x-raw,width=1280,height=720,framerate=30/1"],
    ...["!", "x264enc", "tune=zerolatency", "speed-preset=veryfast", "bitrate=800"],
    ...["key-int-max=30", "!", "h264parse", "!", "queue", "!", "mux."],
    ...["audiotestsrc", "num-buffers=86", "samplesperbuffer=1024"],
    ...["!", "audio/x-raw,rate=44100,channels=2", "!", "avenc_aac", "!", "aacparse"],
    ...["!", "queue", "!", "mux."],
  ];
}

const GST_RTMP2: ClientFixture = {
  name: "gst_rtmp2sink_x264_aac_720p",
  source: "GStreamer 1.22 rtmp2sink, x264enc + avenc_aac, 1280x720 30 fps, 60 frames, 800 kb/s",
  available: () => have("gst-inspect-1.0", "rtmp2sink") && have("gst-inspect-1.0", "x264enc"),
  command: (url) => ["gst-launch-1.0", gstPipeline(["rtmp2sink", `location=${url}`])],
};

const GST_RTMPSINK: ClientFixture = {
  name: "gst_rtmpsink_x264_aac_720p",
  source: "GStreamer 1.22 rtmpsink (librtmp), x264enc + avenc_aac, 1280x720 30 fps, 60 frames",
  available: () => have("gst-inspect-1.0", "rtmpsink") && have("gst-inspect-1.0", "x264enc"),
  command: (url) => ["gst-launch-1.0", gstPipeline(["rtmpsink", `location=${url} live=1`])],
};

/** A stream built by `publishLike()`, prefixed with a synthetic handshake. */
interface SyntheticFixture {
  readonly name: string;
  readonly source: string;
  readonly options: PublishLikeOptions;
}

const SYNTHETIC: readonly SyntheticFixture[] = [
  {
    name: "synthetic_interleaved_128",
    source: "publishLike({ chunkSize: 128, frames: 120, interleave: true, seed: 1 })",
    options: { chunkSize: 128, frames: 120, interleave: true, seed: 1 },
  },
  {
    name: "synthetic_4096",
    source: "publishLike({ chunkSize: 4096, frames: 120, seed: 2 })",
    options: { chunkSize: 4096, frames: 120, seed: 2 },
  },
  {
    name: "synthetic_wrap_csid65599_1000",
    source:
      "publishLike({ chunkSize: 1000, frames: 40, startTs: 0xffffff00, videoCsid: 65599, seed: 3 })",
    options: { chunkSize: 1000, frames: 40, startTs: 0xffffff00, videoCsid: 65599, seed: 3 },
  },
];

function summaryOf(name: string, source: string, raw: Uint8Array): FixtureSummary {
  using parser = createJsParser();
  const records: MessageRecord[] = feed(parser, raw.subarray(HANDSHAKE_BYTES), [65536]);
  return {
    name,
    source,
    bytes: raw.length,
    handshakeBytes: HANDSHAKE_BYTES,
    ...summarizeRecords(records),
  };
}

async function save(name: string, source: string, raw: Uint8Array): Promise<void> {
  await Deno.writeFile(new URL(`${name}.bin`, CAPTURES_DIR), raw);
  const summary = summaryOf(name, source, raw);
  await Deno.writeTextFile(
    new URL(`${name}.json`, CAPTURES_DIR),
    JSON.stringify(summary, null, 2) + "\n",
  );
  console.log(`${name}: ${raw.length} bytes, ${summary.messages} messages`);
}

async function capture(fixture: ClientFixture): Promise<void> {
  if (!fixture.available()) {
    console.warn(`!!! SKIPPED ${fixture.name}: the client is not installed`);
    return;
  }
  await using server = await testServer({ config: { record: false } });
  const path = new URL(`${fixture.name}.bin`, CAPTURES_DIR).pathname;
  await using relay = startRelay({
    listen: { hostname: "127.0.0.1", port: 0 },
    upstream: { hostname: "127.0.0.1", port: server.server.rtmpPort },
    open: () => fileSink(path),
  });
  const [cmd, args] = fixture.command(`rtmp://127.0.0.1:${relay.port}/live/${fixture.name}`);
  const r = await run(cmd, args, 60_000);
  if (r.code !== 0) throw new Error(`Client ${cmd} exited with code ${r.code}: ${r.stderr}`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Relay for ${fixture.name} still open after 10 s`)),
      10_000,
    );
  });
  try {
    await Promise.race([relay.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
  await save(fixture.name, fixture.source, await Deno.readFile(path));
}

async function main(only: readonly string[]): Promise<void> {
  const want = (name: string) => only.length === 0 || only.includes(name);
  await Deno.mkdir(CAPTURES_DIR, { recursive: true });
  for (const f of [FFMPEG, GST_RTMP2, GST_RTMPSINK]) if (want(f.name)) await capture(f);
  for (const [i, f] of SYNTHETIC.entries()) {
    if (!want(f.name)) continue;
    await save(f.name, f.source, concat([syntheticHandshake(i + 1), publishLike(f.options).bytes]));
  }
}

if (import.meta.main) await main(Deno.args);
