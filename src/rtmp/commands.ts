/**
 * The RTMP command layer over AMF: command and data message bodies, and the replies a
 * server sends. Replies follow what FFmpeg (`libavformat/rtmpproto.c`) and GStreamer
 * (`rtmp2`) read: `_result`/`_error` are matched by transaction id; the createStream
 * `_result` carries the stream id as a number after a null command object (GStreamer
 * refuses id 0); `onStatus` has transaction id 0, a null command object and an info object
 * whose `level` and `code` the clients check.
 *
 * ```
 * command (type 20):  name string | transaction id number | command object | args...
 * command (type 17):  0x00 | the same, in AMF0
 * data (type 18):     AMF0 values, e.g. "@setDataFrame" "onMetaData" {...}
 * data (type 15):     0x00 | the same, in AMF0
 * ```
 * @module
 */

import { AmfError, CommandError } from "../errors.ts";
import { type AmfLimits, decodeAmf0, encodeAmf0 } from "./amf0.ts";
import type { AmfObject, AmfValue } from "./amf_value.ts";
import { encodeEnhancedCaps, type EnhancedCaps } from "./enhanced_caps.ts";

/** A NetConnection/NetStream command or reply. */
export interface Command {
  /** Command name, e.g. `connect`, `publish`, `_result`. */
  name: string;
  /** Transaction id; 0 when no reply is expected. */
  transactionId: number;
  /** Command object: a Map for `connect` and `_result` of connect, else usually null. */
  commandObject: AmfValue;
  /** The values after the command object. */
  args: AmfValue[];
}

/** The `info` object of an `onStatus` reply. */
export interface StatusInfo {
  /** `status` on success, `error` on failure. */
  readonly level: "status" | "warning" | "error";
  /** Status code, e.g. `NetStream.Publish.Start`. */
  readonly code: string;
  /** Human-readable description. */
  readonly description: string;
  /** Optional details, e.g. the stream name. */
  readonly details?: string;
}

function kind(v: AmfValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (v instanceof Map) return "object";
  if (v instanceof Date) return "date";
  if (v instanceof Uint8Array) return "byte array";
  return typeof v;
}

/** Strips the 0x00 format byte of AMF3 command (17) and data (15) messages. */
function amf0Part(body: Uint8Array, amf3: boolean, what: string): Uint8Array {
  if (!amf3) return body;
  if (body.length === 0 || body[0] !== 0) {
    const got = body.length === 0 ? "an empty body" : `0x${body[0]!.toString(16)}`;
    throw new AmfError(`AMF3 ${what} message must start with format byte 0x00: got ${got}`);
  }
  return body.subarray(1);
}

/**
 * Decodes a command message body (type 20 AMF0, or 17 AMF3 with its 0x00 format byte).
 * A missing command object decodes as null. Throws AmfError on malformed AMF and
 * CommandError when the name is not a string or the transaction id not a finite number.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "./commands.ts";
 * const body = encodeCommand({ name: "createStream", transactionId: 4, commandObject: null, args: [] });
 * decodeCommand(body, 20).name; // "createStream"
 * ```
 */
export function decodeCommand(
  body: Uint8Array,
  type: 20 | 17,
  limits?: Partial<AmfLimits>,
): Command {
  const values = decodeAmf0(amf0Part(body, type === 17, "command"), limits);
  const name = values[0];
  if (typeof name !== "string") {
    throw new CommandError(
      `Command name must be a string: got ${values.length === 0 ? "nothing" : kind(name)}`,
    );
  }
  const transactionId = values[1];
  if (typeof transactionId !== "number" || !Number.isFinite(transactionId)) {
    const got = values.length < 2 ? "nothing" : String(transactionId);
    throw new CommandError(`Command ${name} transaction id must be a finite number: got ${got}`);
  }
  const commandObject = values.length > 2 ? values[2] : null;
  return { name, transactionId, commandObject, args: values.slice(3) };
}

/**
 * Encodes a command as an AMF0 command message body (type 20).
 *
 * @example
 * ```ts
 * import { encodeCommand, resultNull } from "./commands.ts";
 * encodeCommand(resultNull(2)); // "_result", 2, null
 * ```
 */
export function encodeCommand(cmd: Command): Uint8Array {
  return encodeAmf0([cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args]);
}

/**
 * Decodes a data message body (type 18 AMF0, or 15 AMF3 with its 0x00 format byte).
 *
 * @example
 * ```ts
 * import { decodeData } from "./commands.ts";
 * decodeData(new Uint8Array([0x02, 0x00, 0x01, 0x78]), 18); // ["x"]
 * ```
 */
export function decodeData(
  body: Uint8Array,
  type: 18 | 15,
  limits?: Partial<AmfLimits>,
): AmfValue[] {
  return decodeAmf0(amf0Part(body, type === 15, "data"), limits);
}

/**
 * Returns the metadata object of `["@setDataFrame", "onMetaData", obj]` or
 * `["onMetaData", obj]` (a Map or AmfEcmaArray), else null.
 *
 * @example
 * ```ts
 * import { metadataFromDataMessage } from "./commands.ts";
 * metadataFromDataMessage(["onMetaData", new Map([["width", 1280]])]); // Map { width: 1280 }
 * ```
 */
export function metadataFromDataMessage(values: readonly AmfValue[]): AmfObject | null {
  const at = values[0] === "@setDataFrame" ? 1 : 0;
  if (values[at] !== "onMetaData") return null;
  const obj = values[at + 1];
  return obj instanceof Map ? obj : null;
}

/**
 * The `_result` of `connect`: fmsVer and capabilities, then a
 * `NetConnection.Connect.Success` info object echoing `objectEncoding` (default 0). With
 * `enhanced`, the properties also carry the Enhanced RTMP answer (fourCcList, info maps, capsEx).
 *
 * @example
 * ```ts
 * import { connectResult } from "./commands.ts";
 * connectResult({ transactionId: 1, objectEncoding: 0 }).name; // "_result"
 * ```
 */
export function connectResult(
  opts: {
    readonly transactionId: number;
    readonly objectEncoding?: number;
    readonly enhanced?: EnhancedCaps;
  },
): Command {
  return {
    name: "_result",
    transactionId: opts.transactionId,
    commandObject: new Map<string, AmfValue>([
      ["fmsVer", "FMS/3,0,1,123"],
      ["capabilities", 31],
      ...(opts.enhanced === undefined ? [] : encodeEnhancedCaps(opts.enhanced)),
    ]),
    args: [
      new Map<string, AmfValue>([
        ["level", "status"],
        ["code", "NetConnection.Connect.Success"],
        ["description", "Connection succeeded."],
        ["objectEncoding", opts.objectEncoding ?? 0],
      ]),
    ],
  };
}

/**
 * The `_result` of `createStream`: null, then the stream id. Throws CommandError for an
 * id below 1 (GStreamer refuses 0).
 *
 * @example
 * ```ts
 * import { createStreamResult } from "./commands.ts";
 * createStreamResult(4, 1).args; // [1]
 * ```
 */
export function createStreamResult(transactionId: number, streamId: number): Command {
  if (!Number.isInteger(streamId) || streamId < 1) {
    throw new CommandError(`Stream id must be a positive integer: got ${streamId}`);
  }
  return { name: "_result", transactionId, commandObject: null, args: [streamId] };
}

/**
 * An `onStatus` message: transaction id 0, null, then `{ level, code, description, details? }`.
 *
 * @example
 * ```ts
 * import { onStatus } from "./commands.ts";
 * onStatus({ level: "status", code: "NetStream.Publish.Start", description: "Publishing t" });
 * ```
 */
export function onStatus(info: StatusInfo): Command {
  const obj = new Map<string, AmfValue>([
    ["level", info.level],
    ["code", info.code],
    ["description", info.description],
  ]);
  if (info.details !== undefined) obj.set("details", info.details);
  return { name: "onStatus", transactionId: 0, commandObject: null, args: [obj] };
}

/**
 * An `onFCPublish` message (answer to `FCPublish` for FMLE-style encoders):
 * transaction id 0, null, then `{ level: "status", code, description }`.
 *
 * @example
 * ```ts
 * import { onFCPublish } from "./commands.ts";
 * onFCPublish("NetStream.Publish.Start", "t").name; // "onFCPublish"
 * ```
 */
export function onFCPublish(code: string, description: string): Command {
  const info = new Map<string, AmfValue>([
    ["level", "status"],
    ["code", code],
    ["description", description],
  ]);
  return { name: "onFCPublish", transactionId: 0, commandObject: null, args: [info] };
}

/**
 * An `_error` reply: null, then `{ level: "error", code: "NetConnection.Call.Failed",
 * description }`. FFmpeg logs the description and ignores it for releaseStream/FCPublish.
 *
 * @example
 * ```ts
 * import { errorResult } from "./commands.ts";
 * errorResult(5, "Unknown command").name; // "_error"
 * ```
 */
export function errorResult(transactionId: number, description: string): Command {
  const info = new Map<string, AmfValue>([
    ["level", "error"],
    ["code", "NetConnection.Call.Failed"],
    ["description", description],
  ]);
  return { name: "_error", transactionId, commandObject: null, args: [info] };
}

/**
 * A bare `_result` with a null command object and no arguments, for releaseStream,
 * FCPublish, _checkbw and unknown calls.
 *
 * @example
 * ```ts
 * import { resultNull } from "./commands.ts";
 * resultNull(2); // { name: "_result", transactionId: 2, commandObject: null, args: [] }
 * ```
 */
export function resultNull(transactionId: number): Command {
  return { name: "_result", transactionId, commandObject: null, args: [] };
}

/**
 * `onBWDone` (transaction id 0, null), sent after the connect `_result`; FFmpeg answers
 * it with `_checkbw`.
 *
 * @example
 * ```ts
 * import { onBWDone } from "./commands.ts";
 * onBWDone().name; // "onBWDone"
 * ```
 */
export function onBWDone(): Command {
  return { name: "onBWDone", transactionId: 0, commandObject: null, args: [] };
}
