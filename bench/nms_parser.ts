/**
 * node-media-server v4's chunk parser, driven on its own for the parser benchmark: its `Rtmp`
 * class (`src/protocol/rtmp.js`) with the handshake marked done and the message handler
 * replaced, so only chunk parsing and reassembly run. Its own handler would go on to decode
 * commands, write replies and copy every audio/video body into an `AVPacket`; none of that is
 * measured.
 * @module
 */

import type { Buffer } from "node:buffer";
import Rtmp from "node-media-server/src/protocol/rtmp.js";

/** `handshakeState` value after C2 (`RTMP_HANDSHAKE_2`): `parserData()` goes straight to chunks. */
const HANDSHAKE_DONE = 3;
const SET_CHUNK_SIZE = 1;

/** The parts of the reassembled packet the handler reads. */
interface NmsPacket {
  readonly header: { readonly type: number; readonly length: number };
  readonly payload: Uint8Array;
}

/** The fields and methods of node-media-server's `Rtmp` the benchmark touches. */
interface NmsRtmp {
  handshakeState: number;
  readonly inChunkSize: number;
  readonly parserPacket: NmsPacket;
  packetHandler: () => void;
  controlHandler(): void;
  parserData(buffer: Buffer): string | null;
}

/** Called once per complete message with its type id and body length. */
export type NmsMessageHandler = (type: number, length: number) => void;

/** node-media-server's parser, reset to the first chunk after the handshake. */
export interface NmsParser {
  /** Parses one socket read; a message completes inside the call. */
  feed(data: Buffer): void;
  /** The chunk size currently in force for incoming chunks. */
  readonly chunkSize: number;
}

/**
 * Makes a fresh node-media-server parser that calls `onMessage` for each message. A Set Chunk
 * Size is still applied by its own code (`controlHandler()`), as in the server.
 */
export function createNmsParser(onMessage: NmsMessageHandler): NmsParser {
  const rtmp = construct(Rtmp);
  rtmp.handshakeState = HANDSHAKE_DONE;
  rtmp.packetHandler = () => {
    const packet = rtmp.parserPacket;
    if (packet.header.type === SET_CHUNK_SIZE) rtmp.controlHandler();
    onMessage(packet.header.type, packet.header.length);
  };
  return {
    feed(data: Buffer): void {
      rtmp.parserData(data);
    },
    get chunkSize(): number {
      return rtmp.inChunkSize;
    },
  };
}

/** Constructs `Rtmp` and checks it has what this file relies on (the package has no types). */
function construct(ctor: unknown): NmsRtmp {
  if (typeof ctor !== "function") {
    throw new TypeError(`node-media-server's Rtmp export is a ${typeof ctor}, not a class`);
  }
  const rtmp: unknown = Reflect.construct(ctor, []);
  const want = ["parserData", "controlHandler", "packetHandler"] as const;
  if (typeof rtmp !== "object" || rtmp === null) {
    throw new TypeError("node-media-server's Rtmp constructor returned no object");
  }
  for (const name of want) {
    if (typeof Reflect.get(rtmp, name) !== "function") {
      throw new TypeError(`node-media-server's Rtmp has no method ${name}()`);
    }
  }
  if (typeof Reflect.get(rtmp, "handshakeState") !== "number") {
    throw new TypeError("node-media-server's Rtmp has no handshakeState");
  }
  return rtmp as NmsRtmp;
}
