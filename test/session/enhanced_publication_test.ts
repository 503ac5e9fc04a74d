/**
 * A publication of Enhanced RTMP tags: per-track facts in the session, per-track sequence
 * headers kept in the hub for late joiners, and the default track for legacy consumers.
 * @module
 */

import assert from "node:assert/strict";
import type { EnhancedTag } from "../../src/media/enhanced_tag.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { Publication } from "../../src/session/publication.ts";
import { newAudioInfo, newVideoInfo } from "../../src/session/session_info.ts";
import { LiveStream } from "../../src/stream/live_stream.ts";
import { forConsumer, type MediaMessage } from "../../src/stream/media_message.ts";
import { b, OPUS_HEAD, tag } from "../ertmp/vectors.ts";

/** A video tag, a coded frame with composition time (packet type 3) unless told otherwise. */
function video(t: Partial<EnhancedTag> & Pick<EnhancedTag, "tracks">): Uint8Array {
  return tag({ media: "video", packetType: 3, ...t });
}

function setup() {
  const v = newVideoInfo();
  const a = newAudioInfo();
  const stream = new LiveStream({
    key: "live/mt",
    app: "live",
    name: "mt",
    publisherId: "p",
    startedAt: "",
    gopCacheBytes: 1 << 20,
    codecs: { video: v, audio: a },
  });
  const pub = new Publication({ streamId: 1, video: v, audio: a, stream });
  return { v, a, stream, pub };
}

function publishAll(pub: Publication) {
  // Sequence starts: hvc1 track 0 (plain), av01 track 1 (OneTrack), Opus (plain)
  pub.video(0, video({ packetType: 0, tracks: [{ trackId: 0, fourcc: "hvc1", payload: b(1) }] }));
  pub.video(
    0,
    video({
      packetType: 0,
      multitrack: 0,
      tracks: [{ trackId: 1, fourcc: "av01", payload: b(2) }],
    }),
  );
  pub.audio(
    0,
    tag({
      media: "audio",
      packetType: 0,
      tracks: [{ trackId: 0, fourcc: "Opus", payload: OPUS_HEAD }],
    }),
  );
  // HDR colour info for hvc1
  const color = encodeAmf0([
    "colorInfo",
    new Map([[
      "colorConfig",
      new Map([["transferCharacteristics", 16], ["colorPrimaries", 9], ["bitDepth", 10]]),
    ], ["hdrCll", new Map([["maxCLL", 1000], ["maxFall", 400]])]]),
  ]);
  pub.video(
    0,
    video({
      frameType: 5,
      packetType: 4,
      tracks: [{ trackId: 0, fourcc: "hvc1", payload: color }],
    }),
  );
  // Two frames per video track (ManyTracks of two codecs), one key
  for (const [ts, frameType] of [[0, 1], [40, 2]] as const) {
    pub.video(
      ts,
      video({
        frameType,
        multitrack: 2,
        tracks: [
          { trackId: 0, fourcc: "hvc1", payload: b(0xa0) },
          { trackId: 1, fourcc: "av01", payload: b(0xb0) },
        ],
      }),
    );
  }
}

Deno.test("publication counts frames and reads configs and HDR per enhanced track", () => {
  const { v, a, pub } = setup();
  publishAll(pub);
  assert.deepEqual(v.tracks?.map((t) => [t.trackId, t.fourcc, t.codec, t.frames, t.keyframes]), [
    [0, "hvc1", "h265", 2, 1],
    [1, "av01", "av1", 2, 1],
  ]);
  assert.equal(v.tracks?.[0]?.fps, 25);
  assert.deepEqual(v.tracks?.[0]?.hdr, {
    bitDepth: 10,
    colorPrimaries: 9,
    transferCharacteristics: 16,
    matrixCoefficients: null,
    maxCLL: 1000,
    maxFALL: 400,
  });
  assert.equal(v.tracks?.[1]?.hdr, null);
  assert.deepEqual(a.tracks, [{
    trackId: 0,
    fourcc: "Opus",
    codec: "opus",
    sampleRate: 48000,
    channels: 2,
    frames: 0,
  }]);
});

Deno.test("the hub keeps every track's sequence header and colour info for a late joiner", () => {
  const { stream, pub } = setup();
  publishAll(pub);
  const start = stream.startMessages();
  const configs = start.filter((m) => m.config);
  assert.equal(configs.length, 4); // hvc1 seq, av01 seq, hvc1 colour info, Opus seq
  assert.deepEqual(configs.map((m) => m.kind), ["video", "video", "video", "audio"]);
  assert.equal(start.filter((m) => !m.config).length, 2); // the GOP: both multitrack frames
  // A new sequence start of track 1 replaces only track 1's.
  pub.video(
    80,
    video({
      packetType: 0,
      multitrack: 0,
      tracks: [{ trackId: 1, fourcc: "av01", payload: b(3) }],
    }),
  );
  const again = stream.startMessages().filter((m) => m.config);
  assert.equal(again.length, 4);
  assert.equal(again.at(-2)?.timestamp, 80);
});

Deno.test("a legacy consumer gets the default track of multitrack tags, nothing without one", () => {
  const { stream, pub } = setup();
  publishAll(pub);
  const legacy = stream.startMessages().map((m) => forConsumer(m, false));
  const bodies = legacy.filter((m): m is MediaMessage => m !== null).map((m) => [...m.body]);
  // av01 track 1's OneTrack sequence start has no default track: dropped
  assert.equal(legacy.filter((m) => m === null).length, 1);
  // each ManyTracksManyCodecs frame became a plain hvc1 tag with track 0's payload
  assert.deepEqual(bodies.slice(-2), [
    [0x93, 0x68, 0x76, 0x63, 0x31, 0xa0],
    [0xa3, 0x68, 0x76, 0x63, 0x31, 0xa0],
  ]);
  // an E-RTMP consumer gets every message as published
  assert.ok(stream.startMessages().every((m) => forConsumer(m, true) === m));
});

Deno.test("a key frame of track 1 alone does not restart the GOP (track 0's key frame stays)", () => {
  const { stream, pub } = setup();
  const frame = (trackId: number, fourcc: string, ts: number, frameType: number) =>
    pub.video(
      ts,
      video({ frameType, multitrack: 0, tracks: [{ trackId, fourcc, payload: b(ts) }] }),
    );
  frame(0, "hvc1", 0, 1); // track 0 key frame
  frame(1, "av01", 0, 1); // track 1 key frame, its own tag (as FFmpeg 8 sends it)
  frame(0, "hvc1", 40, 2);
  const gop = stream.startMessages().filter((m) => !m.config);
  assert.deepEqual(gop.map((m) => [m.timestamp, m.keyframe]), [[0, true], [0, false], [40, false]]);
});

Deno.test("the session's top-level facts come from track 0 when it is not first in a multitrack tag", () => {
  const { v, pub } = setup();
  for (const [ts, frameType] of [[0, 1], [40, 2]] as const) {
    pub.video(
      ts,
      video({
        frameType,
        multitrack: 2,
        tracks: [
          { trackId: 1, fourcc: "av01", payload: b(0xb0) },
          { trackId: 0, fourcc: "hvc1", payload: b(0, 0, 0, 0xa0) },
        ],
      }),
    );
  }
  assert.equal(v.codec, "h265", "track 0's codec, not track 1's");
  assert.equal(v.frames, 2);
  assert.equal(v.keyframes, 1);
});
