/**
 * A little AAC for our own publisher, so a publish has frames to record and relay.
 * @module
 */

import type { RtmpPublisher } from "../../src/client/publisher.ts";

/** Sends an AAC sequence header and `frames` AAC frames (enough for a recording to keep). */
export async function sendAudio(p: RtmpPublisher, frames: number): Promise<void> {
  await p.sendMedia(8, 0, new Uint8Array([0xaf, 0x00, 0x12, 0x10]));
  for (let i = 0; i < frames; i++) {
    await p.sendMedia(8, i * 23, new Uint8Array([0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c]));
  }
}
