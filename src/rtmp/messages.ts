/**
 * RTMP message types and the protocol/user control messages, as plain data with
 * encode/decode pairs.
 *
 * ```
 * SetChunkSize (1)      size u32 BE (top bit 0)
 * Abort (2)             csid u32 BE
 * Acknowledgement (3)   sequence number (bytes received) u32 BE
 * UserControl (4)       event u16 BE, then event data (stream id u32 BE, ...)
 * WindowAckSize (5)     window u32 BE
 * SetPeerBandwidth (6)  window u32 BE, limit type u8 (0 hard, 1 soft, 2 dynamic)
 * ```
 * @module
 */

import { MessageError } from "../errors.ts";

/** RTMP message type ids. */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/** User control event types. */
export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

/** A user control message (type 4). */
export interface UserControl {
  readonly event: number;
  /** First u32 of the event data: stream id, or ping timestamp. */
  readonly value: number;
  /** Second u32, for SetBufferLength (buffer length in ms). */
  readonly extra?: number;
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

function readU32(body: Uint8Array, name: string): number {
  if (body.length < 4) throw new MessageError(`${name} body must be 4 bytes: got ${body.length}`);
  return new DataView(body.buffer, body.byteOffset, body.length).getUint32(0);
}

/**
 * Encodes a body holding one u32 (SetChunkSize, Abort, Acknowledgement, WindowAckSize).
 *
 * @example
 * ```ts
 * import { encodeU32Message } from "./messages.ts";
 * encodeU32Message(4096); // Uint8Array [0, 0, 16, 0]
 * ```
 */
export function encodeU32Message(value: number): Uint8Array {
  return u32(value);
}

/** Decodes a SetChunkSize body; the parser has already applied it. */
export function decodeSetChunkSize(body: Uint8Array): number {
  return readU32(body, "Set Chunk Size");
}

/** Decodes an Acknowledgement body (the peer's byte count). */
export function decodeAcknowledgement(body: Uint8Array): number {
  return readU32(body, "Acknowledgement");
}

/** Decodes a Window Acknowledgement Size body. */
export function decodeWindowAckSize(body: Uint8Array): number {
  return readU32(body, "Window Acknowledgement Size");
}

/** Encodes a Set Peer Bandwidth body. */
export function encodeSetPeerBandwidth(window: number, limitType: 0 | 1 | 2): Uint8Array {
  const out = new Uint8Array(5);
  new DataView(out.buffer).setUint32(0, window >>> 0);
  out[4] = limitType;
  return out;
}

/** Decodes a Set Peer Bandwidth body. */
export function decodeSetPeerBandwidth(body: Uint8Array): { window: number; limitType: number } {
  if (body.length < 5) {
    throw new MessageError(`Set Peer Bandwidth body must be 5 bytes: got ${body.length}`);
  }
  return { window: readU32(body, "Set Peer Bandwidth"), limitType: body[4]! };
}

/** Encodes a user control message body. */
export function encodeUserControl(msg: UserControl): Uint8Array {
  const out = new Uint8Array(msg.extra === undefined ? 6 : 10);
  const view = new DataView(out.buffer);
  view.setUint16(0, msg.event);
  view.setUint32(2, msg.value >>> 0);
  if (msg.extra !== undefined) view.setUint32(6, msg.extra >>> 0);
  return out;
}

/** Decodes a user control message body. */
export function decodeUserControl(body: Uint8Array): UserControl {
  if (body.length < 6) {
    throw new MessageError(`User control body must be at least 6 bytes: got ${body.length}`);
  }
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const event = view.getUint16(0);
  const value = view.getUint32(2);
  if (event === UserControlEvent.SetBufferLength) {
    if (body.length < 10) {
      throw new MessageError(`Set Buffer Length body must be 10 bytes: got ${body.length}`);
    }
    return { event, value, extra: view.getUint32(6) };
  }
  return { event, value };
}
