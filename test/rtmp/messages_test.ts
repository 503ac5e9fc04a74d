import assert from "node:assert/strict";
import { MessageError } from "../../src/errors.ts";
import {
  decodeSetChunkSize,
  decodeSetPeerBandwidth,
  decodeUserControl,
  decodeWindowAckSize,
  encodeSetPeerBandwidth,
  encodeU32Message,
  encodeUserControl,
  type UserControl,
} from "../../src/rtmp/messages.ts";

// deno-fmt-ignore
const userControlVectors: { name: string; decoded: UserControl; encoded: number[] }[] = [
  {
    name: "StreamBegin 1",
    decoded: { event: 0, value: 1 },
    encoded: [
      0x00, 0x00, // event 0 StreamBegin
      0x00, 0x00, 0x00, 0x01, // stream id 1
    ],
  },
  {
    name: "PingRequest",
    decoded: { event: 6, value: 0x01020304 },
    encoded: [
      0x00, 0x06, // event 6 PingRequest
      0x01, 0x02, 0x03, 0x04, // timestamp
    ],
  },
  {
    name: "SetBufferLength",
    decoded: { event: 3, value: 1, extra: 3000 },
    encoded: [
      0x00, 0x03, // event 3 SetBufferLength
      0x00, 0x00, 0x00, 0x01, // stream id 1
      0x00, 0x00, 0x0b, 0xb8, // 3000 ms
    ],
  },
];

for (const v of userControlVectors) {
  Deno.test(`encodeUserControl() writes ${v.name}`, () => {
    assert.deepEqual([...encodeUserControl(v.decoded)], v.encoded);
  });
  Deno.test(`decodeUserControl() reads ${v.name}`, () => {
    assert.deepEqual(decodeUserControl(new Uint8Array(v.encoded)), v.decoded);
  });
}

Deno.test("encodeU32Message() writes big-endian u32 bodies", () => {
  assert.deepEqual([...encodeU32Message(4096)], [0x00, 0x00, 0x10, 0x00]);
  assert.equal(decodeSetChunkSize(encodeU32Message(4096)), 4096);
  assert.equal(decodeWindowAckSize(encodeU32Message(2_500_000)), 2_500_000);
});

Deno.test("encodeSetPeerBandwidth() round-trips window and limit type", () => {
  const body = encodeSetPeerBandwidth(2_500_000, 2);
  assert.deepEqual([...body], [0x00, 0x26, 0x25, 0xa0, 0x02]);
  assert.deepEqual(decodeSetPeerBandwidth(body), { window: 2_500_000, limitType: 2 });
});

Deno.test("control message decoders refuse short bodies with the length", () => {
  assert.throws(() => decodeWindowAckSize(new Uint8Array(3)), /got 3/);
  assert.throws(() => decodeUserControl(new Uint8Array(2)), MessageError);
  assert.throws(() => decodeUserControl(new Uint8Array([0, 3, 0, 0, 0, 1])), /Set Buffer Length/);
});
