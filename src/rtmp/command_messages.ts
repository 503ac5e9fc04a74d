/**
 * Commands, onStatus and user control events as outgoing messages on the chunk streams a
 * server uses for them (as nginx-rtmp does: control on 2, command replies on 3, NetStream
 * status and data on 5).
 * @module
 */

import type { OutgoingMessage } from "./chunk_writer.ts";
import { type Command, encodeCommand, onStatus, type StatusInfo } from "./commands.ts";
import { encodeAmf0 } from "./amf0.ts";
import type { AmfValue } from "./amf_value.ts";
import { encodeUserControl, MessageType } from "./messages.ts";

/** Chunk stream of protocol control and user control messages. */
export const CSID_CONTROL = 2;
/** Chunk stream of command replies (`_result`, `_error`). */
export const CSID_RESULT = 3;
/** Chunk stream of NetStream status and data messages sent with `send()`. */
export const CSID_STATUS = 5;

/**
 * A command (usually a reply) as a type-20 message on {@linkcode CSID_RESULT}.
 *
 * @example
 * ```ts
 * import { commandMessage } from "./command_messages.ts";
 * import { resultNull } from "./commands.ts";
 * commandMessage(resultNull(2)).csid; // 3
 * ```
 */
export function commandMessage(cmd: Command, streamId = 0): OutgoingMessage {
  return {
    type: MessageType.CommandAmf0,
    csid: CSID_RESULT,
    streamId,
    timestamp: 0,
    body: encodeCommand(cmd),
  };
}

/**
 * An `onStatus` on message stream `streamId`, on {@linkcode CSID_STATUS}.
 *
 * @example
 * ```ts
 * import { statusMessage } from "./command_messages.ts";
 * statusMessage(1, { level: "status", code: "NetStream.Play.Start", description: "x" }).streamId; // 1
 * ```
 */
export function statusMessage(streamId: number, info: StatusInfo): OutgoingMessage {
  return {
    type: MessageType.CommandAmf0,
    csid: CSID_STATUS,
    streamId,
    timestamp: 0,
    body: encodeCommand(onStatus(info)),
  };
}

/**
 * An AMF0 data message (type 18) on message stream `streamId`, on {@linkcode CSID_STATUS}.
 *
 * @example
 * ```ts
 * import { dataMessage } from "./command_messages.ts";
 * dataMessage(1, ["|RtmpSampleAccess", true, true]).type; // 18
 * ```
 */
export function dataMessage(streamId: number, values: readonly AmfValue[]): OutgoingMessage {
  return {
    type: MessageType.DataAmf0,
    csid: CSID_STATUS,
    streamId,
    timestamp: 0,
    body: encodeAmf0(values),
  };
}

/**
 * A user control event with one u32 (StreamBegin, StreamEOF: the stream id), on
 * {@linkcode CSID_CONTROL}, message stream 0.
 *
 * @example
 * ```ts
 * import { userControlMessage } from "./command_messages.ts";
 * import { UserControlEvent } from "./messages.ts";
 * userControlMessage(UserControlEvent.StreamBegin, 1).body; // [0, 0, 0, 0, 0, 1]
 * ```
 */
export function userControlMessage(event: number, value: number): OutgoingMessage {
  return {
    type: MessageType.UserControl,
    csid: CSID_CONTROL,
    streamId: 0,
    timestamp: 0,
    body: encodeUserControl({ event, value }),
  };
}

/**
 * Splits `name?query` into its parts.
 *
 * @example
 * ```ts
 * import { splitQuery } from "./command_messages.ts";
 * splitQuery("cam?key=1"); // { name: "cam", query: "key=1" }
 * ```
 */
export function splitQuery(value: string): { name: string; query: string | null } {
  const at = value.indexOf("?");
  return at < 0 ? { name: value, query: null } : {
    name: value.slice(0, at),
    query: value.slice(at + 1),
  };
}
