/**
 * FLV files for the walk and repair tests: onMetaData with duration and filesize, video
 * tags 40 ms apart, and optionally the first bytes of one more tag (a torn tail).
 * @module
 */

import { encodeFlvHeader, encodeFlvTag } from "../../src/record/flv.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { AmfEcmaArray } from "../../src/rtmp/amf_value.ts";

/** An FLV file: metadata, `tags` video tags of `bodySize` bytes, then `tornBytes` of one more. */
export function flvFile(tags: number, tornBytes: number, bodySize = 6): Uint8Array {
  const meta = new AmfEcmaArray([["duration", 0], ["filesize", 0], ["width", 320]]);
  const parts = [
    encodeFlvHeader({ audio: true, video: true }),
    encodeFlvTag({ type: 18, timestamp: 0, body: encodeAmf0(["onMetaData", meta]) }),
  ];
  for (let i = 0; i < tags; i++) {
    const body = new Uint8Array(bodySize).fill(i);
    body.set([0x27, 1, 0, 0, 0].slice(0, bodySize));
    parts.push(encodeFlvTag({ type: 9, timestamp: i * 40, body }));
  }
  const torn = encodeFlvTag({ type: 9, timestamp: tags * 40, body: new Uint8Array(100) });
  parts.push(torn.subarray(0, tornBytes));
  return concat(parts);
}

/** The parts one after another. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The onMetaData number stored under `key` in a script tag body. */
export function metaNumber(body: Uint8Array, key: string): number {
  const text = new TextDecoder("latin1").decode(body);
  const at = text.indexOf(key) + key.length + 1;
  return new DataView(body.buffer, body.byteOffset).getFloat64(at);
}
