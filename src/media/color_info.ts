/**
 * The HDR and colour facts of an Enhanced RTMP video `Metadata` packet: AMF0
 * `"colorInfo", { colorConfig: { bitDepth, colorPrimaries, transferCharacteristics,
 * matrixCoefficients }, hdrCll: { maxFall, maxCLL }, hdrMdcv: {...} }` (what FFmpeg's flvenc
 * writes before the first frame).
 * @module
 */

import { decodeAmf0 } from "../rtmp/amf0.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";

/** Colour facts; null where the packet does not say. */
export interface ColorInfo {
  readonly bitDepth: number | null;
  readonly colorPrimaries: number | null;
  readonly transferCharacteristics: number | null;
  readonly matrixCoefficients: number | null;
  readonly maxCLL: number | null;
  readonly maxFALL: number | null;
}

function num(obj: AmfValue | undefined, ...keys: string[]): number | null {
  if (!(obj instanceof Map)) return null;
  for (const k of keys) {
    const v = obj.get(k);
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * Reads a `colorInfo` metadata payload; null when the payload is another metadata kind or
 * malformed AMF (decoded within small limits: 8 deep, 64 elements, 1 KiB strings).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeAmf0 } from "../rtmp/amf0.ts";
 * import { parseColorInfo } from "./color_info.ts";
 * const payload = encodeAmf0(["colorInfo", new Map([["colorConfig", new Map([["transferCharacteristics", 16]])]])]);
 * assert.equal(parseColorInfo(payload)?.transferCharacteristics, 16);
 * ```
 */
export function parseColorInfo(payload: Uint8Array): ColorInfo | null {
  let values: AmfValue[];
  try {
    values = decodeAmf0(payload, { maxDepth: 8, maxElements: 64, maxStringBytes: 1024 });
  } catch {
    return null;
  }
  if (values[0] !== "colorInfo" || !(values[1] instanceof Map)) return null;
  const info = values[1];
  const config = info.get("colorConfig");
  const cll = info.get("hdrCll");
  return {
    bitDepth: num(config, "bitDepth"),
    colorPrimaries: num(config, "colorPrimaries"),
    transferCharacteristics: num(config, "transferCharacteristics"),
    matrixCoefficients: num(config, "matrixCoefficients"),
    maxCLL: num(cll, "maxCLL", "maxCll"),
    maxFALL: num(cll, "maxFall", "maxFALL"),
  };
}
