import assert from "node:assert/strict";
import { countFrames, have, missing, recordings, run, testServer, until } from "./harness.ts";

const noGst = missing(
  "GStreamer (gst-launch-1.0 with x264enc, flvmux)",
  have("gst-inspect-1.0", "x264enc") && have("gst-inspect-1.0", "flvmux") &&
    have("ffprobe", "-version"),
);
const noRtmp2 = noGst ||
  missing("GStreamer rtmp2sink (gstreamer1.0-plugins-bad)", have("gst-inspect-1.0", "rtmp2sink"));
const noRtmpsink = noGst ||
  missing(
    "GStreamer rtmpsink (librtmp, gstreamer1.0-plugins-bad)",
    have("gst-inspect-1.0", "rtmpsink"),
  );

function pipeline(sink: string[], audio: boolean): string[] {
  const video = [
    ...["videotestsrc", "num-buffers=60", "!", "video/x-raw,width=320,height=240,framerate=30/1"],
    ...["!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30"],
    ...["!", "h264parse", "!", "queue", "!", "mux."],
  ];
  const aud = audio
    ? [
      ...[
        "audiotestsrc",
        "num-buffers=100",
        "samplesperbuffer=1024",
        "!",
        "audio/x-raw,rate=44100,channels=2",
      ],
      ...["!", "avenc_aac", "!", "aacparse", "!", "queue", "!", "mux."],
    ]
    : [];
  return ["-e", "flvmux", "name=mux", "streamable=true", "!", ...sink, ...video, ...aud];
}

Deno.test({
  name: "GStreamer rtmp2sink publishes 60 H.264 frames and all 60 are recorded",
  ignore: noRtmp2,
  async fn() {
    await using s = await testServer();
    const r = await run(
      "gst-launch-1.0",
      pipeline(["rtmp2sink", `location=${s.rtmpUrl}/live/gst`], false),
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    assert.equal((await countFrames(files[0]!)).video, 60);
    const info = s.server.registry.view().list()[0]!;
    assert.deepEqual([info.streamName, info.video.frames, info.video.width], ["gst", 60, 320]);
  },
});

Deno.test({
  name: "GStreamer rtmpsink (librtmp, as in OBS) publishes 60 frames and all 60 are recorded",
  ignore: noRtmpsink,
  async fn() {
    await using s = await testServer();
    const r = await run(
      "gst-launch-1.0",
      pipeline(["rtmpsink", `location=${s.rtmpUrl}/live/librtmp live=1`], false),
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    assert.equal((await countFrames(files[0]!)).video, 60);
    const info = s.server.registry.view().list()[0]!;
    assert.deepEqual([info.streamName, info.video.frames], ["librtmp", 60]);
  },
});
