/**
 * Enhanced RTMP spec vectors to publish: every packet type and multitrack form, and what a
 * consumer that does not take multitrack should get of each.
 * @module
 */

import { encodeEnhancedTag, type EnhancedTag } from "../../src/media/enhanced_tag.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";

/** Bytes from numbers. */
export const b = (...xs: number[]): Uint8Array => new Uint8Array(xs);

/** One enhanced tag: a coded frame (packet type 1) of one track unless told otherwise. */
export function tag(t: Partial<EnhancedTag> & Pick<EnhancedTag, "media" | "tracks">): Uint8Array {
  return encodeEnhancedTag({
    frameType: t.media === "video" ? 1 : 0,
    packetType: 1,
    multitrack: null,
    modEx: [],
    command: null,
    ...t,
  });
}

/** OpusHead: 2 channels, 48 kHz. */
export const OPUS_HEAD: Uint8Array = b(
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

/** What a publisher sends, and what a legacy player should get of each (null: nothing). */
export const SENT: { type: 8 | 9; ts: number; body: Uint8Array; legacy: Uint8Array | null }[] = [];
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
