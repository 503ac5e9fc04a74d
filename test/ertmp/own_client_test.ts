/**
 * Enhanced RTMP from spec vectors with our own client: connect caps negotiated both ways,
 * every packet type (ModEx with a nanosecond offset, CodedFramesX, Metadata,
 * MPEG2TSSequenceStart, multitrack of one track, many tracks and many codecs) recorded as
 * received, played whole to an E-RTMP player and as default tracks to a legacy one.
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { decodeFlvTags } from "../../src/record/flv.ts";
import { SERVER_CAPS_EX } from "../../src/rtmp/enhanced_caps.ts";
import { recordings, testServer, until } from "../interop/harness.ts";
import { RawClient } from "../hostile/raw_client.ts";
import { SENT } from "./vectors.ts";

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
