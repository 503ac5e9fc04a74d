/**
 * Writes one published stream as an FLV file: header, one onMetaData script tag,
 * then every audio and video tag in the order given, with timestamps rebased to 0.
 * `end()` tells where `duration` and `filesize` sit in the metadata, for an output that
 * can seek to patch.
 * @module
 */

import { MediaError } from "../errors.ts";
import { encodeAmf0 } from "../rtmp/amf0.ts";
import { AmfEcmaArray, type AmfObject, type AmfValue } from "../rtmp/amf_value.ts";
import {
  encodeFlvHeader,
  encodeFlvTagHeaderTo,
  FLV_PREVIOUS_TAG_SIZE,
  FLV_TAG_HEADER_SIZE,
  FlvTagType,
  type FlvTagTypeNumber,
} from "./flv.ts";
import { TimestampRebase } from "./timestamp_rebase.ts";

/** A byte sink for {@linkcode FlvWriter}: a recording file or the pipe. */
export interface FlvOutput {
  /**
   * Takes one whole tag (or the file header) as one or more parts, so the output can keep
   * tags whole; the parts are valid only during the call, so copy or consume them.
   */
  write(...parts: Uint8Array[]): void;
  /** Bytes taken by `write` so far: the offset the next tag lands at. */
  readonly bytesWritten: number;
}

/** Which tracks the FLV header announces. */
export interface FlvWriterOptions {
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
}

/** What {@linkcode FlvWriter.end} reports: the figures and where to patch them. */
export interface FlvWriterResult {
  /** Total bytes written, header included. */
  readonly bytes: number;
  /** Highest rebased media timestamp, in milliseconds. */
  readonly durationMs: number;
  /** Offset of onMetaData's 8-byte `duration` number, or -1 when no metadata was written. */
  readonly durationAt: number;
  /** Offset of onMetaData's 8-byte `filesize` number, or -1. */
  readonly filesizeAt: number;
  /** FLV header type flags of the tracks that came (4 audio, 1 video), 0 for none. */
  readonly flags: number;
}

/**
 * Records one stream into an {@linkcode FlvOutput}. Not reusable: after `end()`
 * writes fail with `Deno.errors.BadResource`.
 */
export class FlvWriter {
  #out: FlvOutput;
  #header = new Uint8Array(FLV_TAG_HEADER_SIZE);
  #trailer = new Uint8Array(FLV_PREVIOUS_TAG_SIZE);
  #trailerView = new DataView(this.#trailer.buffer);
  #metaWritten = false;
  #durationAt = -1;
  #filesizeAt = -1;
  #timeline = new TimestampRebase();
  #result: FlvWriterResult | null = null;
  /** FLV header flags of the tracks seen: 4 audio, 1 video. */
  #seen = 0;

  /** Writes the FLV header to `out` at once. */
  constructor(out: FlvOutput, options: FlvWriterOptions) {
    this.#out = out;
    out.write(encodeFlvHeader({ audio: options.hasAudio, video: options.hasVideo }));
  }

  /**
   * Writes the client's onMetaData (from `@setDataFrame`) as the first tag, minus the
   * `duration`/`filesize` it carries, plus those two as numbers patched on close.
   * Returns false, writing nothing, once metadata (given or synthesized) is written.
   */
  writeMetadata(meta: AmfObject | AmfEcmaArray): boolean {
    this.#assertOpen();
    if (this.#metaWritten) return false;
    this.#writeMetadataTag(meta);
    return true;
  }

  /** Writes one audio tag; `timestamp` is the RTMP timestamp (ms, mod 2^32). */
  writeAudio(timestamp: number, body: Uint8Array): void {
    this.#writeMedia(FlvTagType.Audio, timestamp, body);
  }

  /** Writes one video tag; `timestamp` is the RTMP timestamp (ms, mod 2^32). */
  writeVideo(timestamp: number, body: Uint8Array): void {
    this.#writeMedia(FlvTagType.Video, timestamp, body);
  }

  /**
   * Ends the stream: what was written and where its duration, filesize and header flags
   * are to be patched (an output that can seek does that). Writes fail after this;
   * calling it again returns the first result.
   */
  end(): FlvWriterResult {
    this.#result ??= {
      bytes: this.#out.bytesWritten,
      durationMs: this.#timeline.maxTime,
      durationAt: this.#metaWritten ? this.#durationAt : -1,
      filesizeAt: this.#metaWritten ? this.#filesizeAt : -1,
      flags: this.#seen,
    };
    return this.#result;
  }

  #writeMedia(type: FlvTagTypeNumber, timestamp: number, body: Uint8Array): void {
    this.#assertOpen();
    if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) {
      throw new MediaError(`Media timestamp must be an integer in 0..4294967295: got ${timestamp}`);
    }
    if (!this.#metaWritten) this.#writeMetadataTag(new AmfEcmaArray());
    this.#seen |= type === FlvTagType.Audio ? 4 : 1;
    this.#writeTag(type, this.#timeline.rebase(timestamp) % 0x100000000, body);
  }

  #writeMetadataTag(meta: AmfObject | AmfEcmaArray): void {
    const data: AmfObject = meta instanceof AmfEcmaArray
      ? new AmfEcmaArray()
      : new Map<string, AmfValue>();
    data.set("duration", 0);
    data.set("filesize", 0);
    for (const [key, value] of meta) {
      const lower = key.toLowerCase();
      if (lower !== "duration" && lower !== "filesize") data.set(key, value);
    }
    const body = encodeAmf0(["onMetaData", data]);
    const bodyAt = this.#out.bytesWritten + FLV_TAG_HEADER_SIZE;
    this.#durationAt = bodyAt + numberOffset(body, "duration");
    this.#filesizeAt = bodyAt + numberOffset(body, "filesize");
    this.#writeTag(FlvTagType.Script, 0, body);
    this.#metaWritten = true;
  }

  /** Writes header, body and PreviousTagSize as one tag, without copying the body here. */
  #writeTag(type: FlvTagTypeNumber, timestamp: number, body: Uint8Array): void {
    encodeFlvTagHeaderTo(this.#header, 0, { type, timestamp, bodyLength: body.length });
    this.#trailerView.setUint32(0, FLV_TAG_HEADER_SIZE + body.length);
    this.#out.write(this.#header, body, this.#trailer);
  }

  #assertOpen(): void {
    if (this.#result !== null) throw new Deno.errors.BadResource("FLV writer is closed");
  }
}

/** Offset in an encoded AMF0 object of the 8-byte number stored under `key` (the first match). */
export function numberOffset(body: Uint8Array, key: string): number {
  const pattern = [0, key.length, ...new TextEncoder().encode(key), 0x00]; // u16 length, key, number marker
  outer: for (let i = 0; i + pattern.length + 8 <= body.length; i++) {
    for (let j = 0; j < pattern.length; j++) {
      if (body[i + j] !== pattern[j]) continue outer;
    }
    return i + pattern.length;
  }
  throw new MediaError(`Encoded onMetaData of ${body.length} bytes has no number "${key}"`);
}

/** A big-endian IEEE 754 double, as AMF0 numbers are stored. */
export function float64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, value);
  return out;
}
