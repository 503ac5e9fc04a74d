/**
 * Enhanced RTMP v2 capability negotiation in `connect`: what a client announces in its
 * command object and what the server answers in the `_result` properties.
 *
 * ```
 * connect command object (client)     _result properties (server)
 *   fourCcList          strict array    fourCcList          the client's FourCCs we take ("*": all)
 *   videoFourCcInfoMap  object          videoFourCcInfoMap  FourCC -> CanForward for our video FourCCs
 *   audioFourCcInfoMap  object          audioFourCcInfoMap  FourCC -> CanForward for our audio FourCCs
 *   capsEx              number          capsEx              Multitrack | ModEx | TimestampNanoOffset
 * FourCcInfoMask: CanDecode 0x01, CanEncode 0x02, CanForward 0x04
 * CapsExMask: Reconnect 0x01, Multitrack 0x02, ModEx 0x04, TimestampNanoOffset 0x08
 * ```
 * @module
 */

import type { AmfObject, AmfValue } from "./amf_value.ts";

/** FourCcInfoMask bits. */
export const FourCcInfo = { CanDecode: 0x01, CanEncode: 0x02, CanForward: 0x04 } as const;
/** CapsExMask bits. */
export const CapsEx = {
  Reconnect: 0x01,
  Multitrack: 0x02,
  ModEx: 0x04,
  TimestampNanoOffset: 0x08,
} as const;

/** Video FourCCs this server forwards. */
export const VIDEO_FOURCCS: readonly string[] = ["avc1", "hvc1", "av01", "vp09", "vp08"];
/** Audio FourCCs this server forwards. */
export const AUDIO_FOURCCS: readonly string[] = ["Opus", "fLaC", "ac-3", "ec-3", "mp4a", ".mp3"];
/** What the server announces in `capsEx`. */
export const SERVER_CAPS_EX = CapsEx.Multitrack | CapsEx.ModEx | CapsEx.TimestampNanoOffset;
/** Most FourCCs kept from one list or map (the rest are ignored). */
export const MAX_FOURCCS = 64;

/** The Enhanced RTMP fields of a connect command object or its `_result`. */
export interface EnhancedCaps {
  /** FourCCs, "*" for all. */
  readonly fourCcList: readonly string[];
  readonly videoFourCcInfoMap: ReadonlyMap<string, number>;
  readonly audioFourCcInfoMap: ReadonlyMap<string, number>;
  /** CapsExMask bits. */
  readonly capsEx: number;
}

function isFourcc(s: string): boolean {
  return s === "*" || /^[\x20-\x7e]{4}$/.test(s);
}

function infoMap(v: AmfValue | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!(v instanceof Map)) return out;
  for (const [k, flags] of v) {
    if (out.size === MAX_FOURCCS) break;
    if (isFourcc(k) && typeof flags === "number" && Number.isFinite(flags)) {
      out.set(k, flags & 0xff);
    }
  }
  return out;
}

/**
 * Reads the Enhanced RTMP fields of a connect command object; null when it has none (a
 * legacy client). Keeps at most {@linkcode MAX_FOURCCS} well-formed FourCCs of each field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { AmfValue } from "./amf_value.ts";
 * import { decodeEnhancedCaps } from "./enhanced_caps.ts";
 * const obj = new Map<string, AmfValue>([["fourCcList", ["hvc1", "av01"]], ["capsEx", 2]]);
 * const caps = decodeEnhancedCaps(obj);
 * assert.deepEqual(caps?.fourCcList, ["hvc1", "av01"]);
 * ```
 */
export function decodeEnhancedCaps(obj: AmfObject): EnhancedCaps | null {
  const list = obj.get("fourCcList");
  const video = obj.get("videoFourCcInfoMap");
  const audio = obj.get("audioFourCcInfoMap");
  const caps = obj.get("capsEx");
  if (list === undefined && video === undefined && audio === undefined && caps === undefined) {
    return null;
  }
  const fourCcList: string[] = [];
  if (Array.isArray(list)) {
    for (const v of list) {
      if (fourCcList.length === MAX_FOURCCS) break;
      if (typeof v === "string" && isFourcc(v) && !fourCcList.includes(v)) fourCcList.push(v);
    }
  }
  return {
    fourCcList,
    videoFourCcInfoMap: infoMap(video),
    audioFourCcInfoMap: infoMap(audio),
    capsEx: typeof caps === "number" && Number.isFinite(caps) ? caps & 0xff : 0,
  };
}

/**
 * The server's answer to a client's caps: of the FourCCs the client listed (or of all ours
 * for "*" or an empty list), those we forward; CanForward for each of ours in the info maps;
 * and our `capsEx`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerEnhancedCaps } from "./enhanced_caps.ts";
 * const answer = answerEnhancedCaps({
 *   fourCcList: ["hvc1", "xxxx"], videoFourCcInfoMap: new Map(), audioFourCcInfoMap: new Map(), capsEx: 0,
 * });
 * assert.deepEqual(answer.fourCcList, ["hvc1"]);
 * ```
 */
export function answerEnhancedCaps(client: EnhancedCaps): EnhancedCaps {
  const ours = [...VIDEO_FOURCCS, ...AUDIO_FOURCCS];
  const takesAll = client.fourCcList.length === 0 || client.fourCcList.includes("*");
  return {
    fourCcList: takesAll ? ours : client.fourCcList.filter((f) => ours.includes(f)),
    videoFourCcInfoMap: new Map(VIDEO_FOURCCS.map((f) => [f, FourCcInfo.CanForward])),
    audioFourCcInfoMap: new Map(AUDIO_FOURCCS.map((f) => [f, FourCcInfo.CanForward])),
    capsEx: SERVER_CAPS_EX,
  };
}

/**
 * The caps as AMF properties, in the order the spec lists them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEnhancedCaps } from "./enhanced_caps.ts";
 * const props = encodeEnhancedCaps({
 *   fourCcList: ["av01"], videoFourCcInfoMap: new Map(), audioFourCcInfoMap: new Map(), capsEx: 2,
 * });
 * assert.deepEqual(props.map(([k]) => k), ["fourCcList", "videoFourCcInfoMap", "audioFourCcInfoMap", "capsEx"]);
 * ```
 */
export function encodeEnhancedCaps(caps: EnhancedCaps): [string, AmfValue][] {
  return [
    ["fourCcList", [...caps.fourCcList]],
    ["videoFourCcInfoMap", new Map<string, AmfValue>(caps.videoFourCcInfoMap)],
    ["audioFourCcInfoMap", new Map<string, AmfValue>(caps.audioFourCcInfoMap)],
    ["capsEx", caps.capsEx],
  ];
}

/** Whether a client with `caps` takes multitrack tags (it announced E-RTMP at all). */
export function takesEnhanced(caps: EnhancedCaps | null): boolean {
  return caps !== null;
}
