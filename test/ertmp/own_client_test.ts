/**
 * Enhanced RTMP from spec vectors with our own client: connect caps negotiated both ways,
 * every packet type (ModEx with a nanosecond offset, CodedFramesX, Metadata,
 * MPEG2TSSequenceStart, multitrack of one track, many tracks and many codecs) recorded as
 * received, played whole to an E-RTMP player and as default tracks to a legacy one.
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { encodeEnhancedTag, type EnhancedTag } from "../../src/media/enhanced_tag.ts";
import { decodeFlvTags } from "../../src/record/flv.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { SERVER_CAPS_EX } from "../../src/rtmp/enhanced_caps.ts";
import { recordings, testServer, until } from "../interop/harness.ts";
import { RawClient } from "../hostile/raw_client.ts";

const b = (...xs: number[]) => new Uint8Array(xs);

function tag(t: Partial<EnhancedTag> & Pick<EnhancedTag, "media" | "tracks">): Uint8Array {
  return encodeEnhancedTag({
    frameType: t.media === "video" ? 1 : 0,
    packetType: 1,
    multitrack: null,
    modEx: [],
    command: null,
    ...t,
  });
}

const OPUS_HEAD = b(
  0x4f,
  0x70,
  0x75,
  0x73,
  0x48,
  0x65,
  0x61,
  0x64,
  1,
  2,
  0,
  0,
  0x80,
  0xbb,
  0,
  0,
  0,
  0,
  0,
);
const COLOR = encodeAmf0([
  "colorInfo",
  new Map([["colorConfig", new Map([["transferCharacteristics", 16]])]]),
]);

/** What the publisher sends, and what a legacy player should get of each (null: nothing). */
const SENT: { type: 8 | 9; ts: number; body: Uint8Array; legacy: Uint8Array | null }[] = [];
function add(type: 8 | 9, ts: number, body: Uint8Array, legacy: Uint8Array | null = body) {
  SENT.push({ type, ts, body, legacy });
}
add(
  9,
  0,
  tag({
    media: "video",
    packetType: 0,
    tracks: [{ trackId: 0, fourcc: "hvc1", payload: b(1, 2) }],
  }),
);
add(
  9,
  0,
  tag({
    media: "video",
    packetType: 0,
    multitrack: 0,
    tracks: [{ trackId: 1, fourcc: "av01", payload: b(3) }],
  }),
  null,
);
add(
  9,
  0,
  tag({
    media: "video",
    packetType: 5,
    tracks: [{ trackId: 0, fourcc: "av01", payload: b(0x80) }],
  }),
);
add(
  9,
  0,
  tag({
    media: "video",
    frameType: 5,
    packetType: 4,
    tracks: [{ trackId: 0, fourcc: "hvc1", payload: COLOR }],
  }),
);
add(
  8,
  0,
  tag({
    media: "audio",
    packetType: 0,
    tracks: [{ trackId: 0, fourcc: "Opus", payload: OPUS_HEAD }],
  }),
);
for (let i = 0; i < 10; i++) {
  const ts = i * 40;
  const frameType = i % 5 === 0 ? 1 : 2;
  // many tracks, many codecs: hvc1 track 0 and av01 track 1; legacy players get track 0
  add(
    9,
    ts,
    tag({
      media: "video",
      frameType,
      packetType: 3,
      multitrack: 2,
      tracks: [
        { trackId: 0, fourcc: "hvc1", payload: b(0xa0, i) },
        { trackId: 1, fourcc: "av01", payload: b(0xb0, i) },
      ],
    }),
    tag({
      media: "video",
      frameType,
      packetType: 3,
      tracks: [{ trackId: 0, fourcc: "hvc1", payload: b(0xa0, i) }],
    }),
  );
  // a ModEx nanosecond offset on a plain Opus frame
  add(
    8,
    ts,
    tag({
      media: "audio",
      modEx: [{ type: 0, data: b(0, 0x1f, 0x40) }],
      tracks: [{ trackId: 0, fourcc: "Opus", payload: b(0xfc, i) }],
    }),
  );
  // many tracks of one codec (audio tracks 0 and 1)
  add(
    8,
    ts + 20,
    tag({
      media: "audio",
      multitrack: 1,
      tracks: [{ trackId: 0, fourcc: "Opus", payload: b(0xfc, 0x10, i) }, {
        trackId: 1,
        fourcc: "Opus",
        payload: b(0xfc, 0x20, i),
      }],
    }),
    tag({ media: "audio", tracks: [{ trackId: 0, fourcc: "Opus", payload: b(0xfc, 0x10, i) }] }),
  );
}

Deno.test("E-RTMP from spec vectors: caps negotiated, recorded as received, played per consumer", async () => {
  await using s = await testServer({ config: { playWaitMs: 20_000 } });
  const port = s.server.rtmpPort;
  const player = async (enhanced: boolean) => {
    const c = await RawClient.open(port, { keepMedia: true });
    await c.handshake();
    const r = await c.connect("live", enhanced ? [["fourCcList", ["*"]], ["capsEx", 2]] : []);
    await c.createStream();
    const playing = c.play("et", c.streamId, 20_000);
    return { c, r, playing };
  };
  const ertmp = await player(true);
  const legacy = await player(false);
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/et`, {
    enhanced: {
      fourCcList: ["hvc1", "av01", "Opus", "xxxx"],
      videoFourCcInfoMap: new Map(),
      audioFourCcInfoMap: new Map(),
      capsEx: 0x0e,
    },
  });
  try {
    assert.deepEqual(pub.serverCaps?.fourCcList, ["hvc1", "av01", "Opus"]);
    assert.equal(pub.serverCaps?.capsEx, SERVER_CAPS_EX);
    assert.equal(pub.serverCaps?.videoFourCcInfoMap.get("hvc1"), 0x04); // CanForward
    assert.equal(await ertmp.playing, "NetStream.Play.Start");
    assert.equal(await legacy.playing, "NetStream.Play.Start");
    const answered = ertmp.r.commandObject instanceof Map ? ertmp.r.commandObject : new Map();
    assert.equal(answered.get("capsEx"), SERVER_CAPS_EX);
    assert.equal(
      legacy.r.commandObject instanceof Map && legacy.r.commandObject.has("capsEx"),
      false,
      "a legacy client's _result is as before",
    );
    for (const m of SENT) await pub.sendMedia(m.type, m.ts, m.body);
    const wantLegacy = SENT.filter((m) => m.legacy !== null);
    await until(
      () => ertmp.c.media.length === SENT.length && legacy.c.media.length === wantLegacy.length,
      10_000,
    );
  } finally {
    await pub.close();
    await ertmp.c.close();
    await legacy.c.close();
  }
  // Played: the whole tags to the E-RTMP player, the default tracks to the legacy one.
  assert.deepEqual(
    ertmp.c.media.map((m) => [m.type, m.timestamp, [...m.body]]),
    SENT.map((m) => [m.type, m.ts, [...m.body]]),
  );
  assert.deepEqual(
    legacy.c.media.map((m) => [m.type, [...m.body]]),
    SENT.filter((m) => m.legacy !== null).map((m) => [m.type, [...m.legacy!]]),
  );
  // Recorded as received.
  const [file] = await recordings(s.recordDir);
  assert.ok(file !== undefined);
  const tags = decodeFlvTags(await Deno.readFile(file)).tags.filter((t) => t.type !== 18);
  assert.deepEqual(
    tags.map((t) => [t.type, t.timestamp, [...t.body]]),
    SENT.map((m) => [m.type, m.ts, [...m.body]]),
  );
  // Per-track facts in the session.
  const info = s.server.registry.view().list().find((x) => x.role === "publisher");
  assert.deepEqual(info?.video.tracks?.map((t) => [t.trackId, t.codec, t.frames, t.keyframes]), [
    [0, "h265", 10, 2],
    [1, "av1", 10, 2],
  ]);
  assert.equal(info?.video.tracks?.[0]?.hdr?.transferCharacteristics, 16);
  assert.deepEqual(info?.audio.tracks?.map((t) => [t.trackId, t.codec, t.frames, t.channels]), [
    [0, "opus", 20, 2],
    [1, "opus", 10, null],
  ]);
  assert.deepEqual(info?.enhanced?.fourCcList, ["hvc1", "av01", "Opus", "xxxx"]);
});
