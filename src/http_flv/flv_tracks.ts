/**
 * Which tracks an HTTP-FLV header announces for a live stream.
 * @module
 */

import type { FlvHeaderFlags } from "../record/flv.ts";
import { decodeAmf0 } from "../rtmp/amf0.ts";
import type { MediaMessage } from "../stream/media_message.ts";

/** What {@linkcode flvTracks} looks at: the codecs known and the start messages. */
export interface TrackFacts {
  readonly videoCodec: string | null;
  readonly audioCodec: string | null;
  /** The metadata, sequence headers and GOP a new player gets first. */
  readonly start: readonly MediaMessage[];
}

/**
 * The FLV header flags: a track is announced when its codec is known, a message of it is at
 * hand, or the metadata names its codec id. When nothing is known yet, both are announced
 * (players such as flv.js wait for a track the header announces, so the guess errs on
 * announcing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flvTracks } from "./flv_tracks.ts";
 *
 * assert.deepEqual(flvTracks({ videoCodec: "h264", audioCodec: null, start: [] }), { audio: false, video: true });
 * assert.deepEqual(flvTracks({ videoCodec: null, audioCodec: null, start: [] }), { audio: true, video: true });
 * ```
 */
export function flvTracks(facts: TrackFacts): FlvHeaderFlags {
  let video = facts.videoCodec !== null;
  let audio = facts.audioCodec !== null;
  for (const m of facts.start) {
    if (m.kind === "video") video = true;
    else if (m.kind === "audio") audio = true;
    else {
      const meta = metadataKeys(m.body);
      if (meta.has("videocodecid")) video = true;
      if (meta.has("audiocodecid")) audio = true;
    }
  }
  if (!video && !audio) return { audio: true, video: true };
  return { audio, video };
}

/** The keys of an `onMetaData` body's object, lower-cased; empty when it is not one. */
function metadataKeys(body: Uint8Array): Set<string> {
  try {
    const [name, data] = decodeAmf0(body);
    if (name !== "onMetaData" || !(data instanceof Map)) return new Set();
    return new Set([...data.keys()].map((k) => k.toLowerCase()));
  } catch {
    return new Set();
  }
}
