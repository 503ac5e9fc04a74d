/**
 * Test helpers: a tiny FLV tag walker (FLV 10.1 Annex E) and a fixture loader, so the media
 * tests can pull tag bodies out of real ffmpeg output without depending on the recorder.
 *
 * ```
 * header   "FLV" version u8, flags u8, header size u32 (9)
 * then     PreviousTagSize0 u32, and per tag:
 *          type u8 (8 audio, 9 video, 18 script), data size u24, timestamp u24 + u8 extension,
 *          stream id u24 (0), data, PreviousTagSize u32
 * ```
 * @module
 */

/** One FLV tag. */
export interface FlvTag {
  /** 8 audio, 9 video, 18 script data. */
  readonly type: number;
  /** Timestamp in milliseconds. */
  readonly timestamp: number;
  /** The tag body: what an RTMP audio or video message carries. */
  readonly body: Uint8Array;
}

/** Walks the tags of an FLV file; throws on a file that is not FLV or is cut short. */
export function flvTags(file: Uint8Array): FlvTag[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.length < 13 || file[0] !== 0x46 || file[1] !== 0x4c || file[2] !== 0x56) {
    throw new Error(`Not an FLV file: ${file.length} bytes`);
  }
  const tags: FlvTag[] = [];
  let at = view.getUint32(5) + 4;
  while (at + 11 <= file.length) {
    const type = file[at] ?? 0;
    const size = view.getUint32(at) & 0xffffff;
    const timestamp = ((view.getUint32(at + 4) >>> 8) | ((file[at + 7] ?? 0) << 24)) >>> 0;
    const start = at + 11;
    if (start + size + 4 > file.length) throw new Error(`FLV tag at ${at} is cut short`);
    tags.push({ type, timestamp, body: file.subarray(start, start + size) });
    at = start + size + 4;
  }
  return tags;
}

/** Reads `test/fixtures/media/<name>.bin`. */
export function fixture(name: string): Uint8Array {
  return Deno.readFileSync(new URL(`../fixtures/media/${name}.bin`, import.meta.url));
}

/** Finds an ISO BMFF box (e.g. "hvcC", "av1C") by its type and returns its payload. */
export function findBox(file: Uint8Array, type: string): Uint8Array {
  const code = [...type].map((c) => c.charCodeAt(0));
  for (let i = 4; i + 4 <= file.length; i++) {
    if (code.every((c, k) => file[i + k] === c)) {
      const size = new DataView(file.buffer, file.byteOffset + i - 4, 4).getUint32(0);
      return file.subarray(i + 4, i - 4 + size);
    }
  }
  throw new Error(`No ${type} box in ${file.length} bytes`);
}

/** Finds the first occurrence of an ASCII marker and returns the bytes from it on. */
export function fromMarker(file: Uint8Array, marker: string, length: number): Uint8Array {
  const code = [...marker].map((c) => c.charCodeAt(0));
  for (let i = 0; i + code.length <= file.length; i++) {
    if (code.every((c, k) => file[i + k] === c)) return file.subarray(i, i + length);
  }
  throw new Error(`No ${marker} in ${file.length} bytes`);
}
