/**
 * A relay to an origin that answers no Enhanced RTMP caps (nginx-rtmp) sends each
 * multitrack tag's default track only, as a player of the origin sees (nginx's recorder
 * waits for a legacy key frame, so its files are no oracle for enhanced tags).
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { testServer } from "../interop/harness.ts";
import { RawClient } from "../hostile/raw_client.ts";
import { noNginx, startNginx } from "../relay/nginx.ts";
import { SENT } from "./vectors.ts";

Deno.test({
  name: "a relay to a legacy origin (nginx-rtmp) sends the default track of multitrack tags",
  ignore: noNginx,
}, async () => {
  await using origin = await startNginx();
  await using s = await testServer({ config: { push: [origin.url], record: false } });
  // A player of the origin, waiting before the stream exists (nginx-rtmp allows that).
  const player = await RawClient.open(origin.port, { keepMedia: true });
  try {
    await player.handshake();
    await player.connect("live");
    await player.createStream();
    await player.play("legacy");
    const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/legacy`);
    try {
      for (const m of SENT) await pub.sendMedia(m.type, m.ts, m.body);
      await player.until(() => player.media.length >= 5, 10_000);
    } finally {
      await pub.close();
    }
  } finally {
    await player.close();
  }
  // nginx-rtmp forwards no enhanced video to its players (it waits for a legacy key frame)
  // and audio only once the stream is set up: judge the audio it passed on.
  const key = (type: number, body: Uint8Array) => `${type}:${[...body]}`;
  const legacyAudio = new Set(
    SENT.filter((m) => m.type === 8 && m.legacy !== null).map((m) => key(8, m.legacy!)),
  );
  const multitrackAudio = SENT.filter((m) => m.type === 8 && m.legacy !== m.body);
  const got = player.media.filter((m) => m.type === 8).map((m) => key(8, m.body));
  assert.ok(got.length >= 5, `${got.length} audio tags reached the origin's player`);
  for (const g of got) assert.ok(legacyAudio.has(g), `not a legacy form: ${g}`);
  assert.ok(
    got.some((g) => multitrackAudio.some((m) => g === key(8, m.legacy!))),
    "a multitrack tag arrived as its default track",
  );
});
