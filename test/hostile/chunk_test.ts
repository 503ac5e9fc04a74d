/**
 * Hostile chunk streams: chunk sizes, message lengths, headers out of place, chunk stream
 * id boundaries, timestamps, unknown types and malformed control messages.
 * @module
 */

import { encodeUserControl, MessageType } from "../../src/rtmp/messages.ts";
import { sendClip } from "./clip.ts";
import { type CaseContext, type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import type { RawClient, RawClientOptions, StartPublishOptions } from "./raw_client.ts";
import { chunkHeader, concat, u32 } from "./wire.ts";

const CHUNK = /^ChunkError: /;
const CHUNK_OR_MESSAGE = /^(ChunkError|MessageError): /;
const MESSAGE = /^MessageError: /;
/** Refusals must come at once, well before the 5 s idle timeout could explain a close. */
const AT_ONCE_MS = 2_500;

/** Opens the bad client and publishes `<good>-bad`. */
async function publisher(
  ctx: CaseContext,
  options: StartPublishOptions & RawClientOptions = {},
): Promise<RawClient> {
  const c = await ctx.open(options);
  await c.startPublish(`${ctx.goodName}-bad`, options);
  return c;
}

/** Opens the bad client and completes the handshake. */
async function shaken(ctx: CaseContext): Promise<RawClient> {
  const c = await ctx.open();
  await c.handshake();
  return c;
}

function closedAtOnce(reason: RegExp): HostileCase["expect"] {
  return { kind: "closed", reason, withinMs: AT_ONCE_MS };
}

/** A publish whose media goes on chunk stream `csid` (both tracks). */
function onCsid(csid: number): HostileCase {
  return {
    name: `chunk stream id ${csid} carries a whole publish`,
    expect: { kind: "accepted" },
    async run(ctx) {
      await sendClip(await publisher(ctx), ctx.clip, { csid: { video: csid, audio: csid } });
    },
  };
}

/** A publish whose client sends `type` control message `body` first. */
function controlFirst(name: string, type: number, body: Uint8Array): HostileCase {
  return {
    name,
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx);
      await c.control(type, body);
      await sendClip(c, ctx.clip);
    },
  };
}

/** A control message `type` with `body`, after the handshake. */
function badControl(name: string, type: number, body: Uint8Array, reason: RegExp): HostileCase {
  return {
    name,
    expect: closedAtOnce(reason),
    async run(ctx) {
      await (await shaken(ctx)).control(type, body);
    },
  };
}

/** A video message of `length` on csid 6: its header and `sent` bytes of its body. */
function partial(length: number, sent: number, fmt: 0 | 1 = 0): Uint8Array {
  return concat(chunkHeader({ fmt, csid: 6, length, type: 9 }), new Uint8Array(sent));
}

const CASES: readonly HostileCase[] = [
  badControl("Set Chunk Size 0 closes the connection", 1, u32(0), CHUNK_OR_MESSAGE),
  {
    name: "Set Chunk Size 1 is honoured for a whole publish",
    expect: { kind: "accepted" },
    async run(ctx) {
      await sendClip(await publisher(ctx, { chunkSize: 1 }), ctx.clip);
    },
  },
  {
    name: "Set Chunk Size 0x7FFFFFFF is honoured without allocating for it",
    expect: { kind: "accepted" },
    async run(ctx) {
      await sendClip(await publisher(ctx, { chunkSize: 0x7fffffff }), ctx.clip);
    },
  },
  badControl("Set Chunk Size with the top bit set closes", 1, u32(0x80001000), CHUNK_OR_MESSAGE),
  badControl("a 2-byte Set Chunk Size closes", 1, new Uint8Array([0x10, 0x00]), CHUNK_OR_MESSAGE),
  {
    name: "zero-length audio and video messages are ignored",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx);
      const empty = new Uint8Array(0);
      await sendClip(c, ctx.clip, {
        async before(i) {
          if (i % 7 !== 3) return;
          await c.send({ type: 9, csid: 6, streamId: c.streamId, timestamp: i, body: empty });
          await c.send({ type: 8, csid: 4, streamId: c.streamId, timestamp: i, body: empty });
        },
      });
    },
  },
  {
    name: "a message length of 0xFFFFFF closes at its header",
    expect: closedAtOnce(/^(ChunkError: |Limit [\w-]*message[\w-]*: )/),
    async run(ctx) {
      await (await shaken(ctx)).write(partial(0xffffff, 128));
    },
  },
  {
    name: "a type-1 header that changes the length of a half-received message closes",
    expect: closedAtOnce(CHUNK),
    async run(ctx) {
      await (await shaken(ctx)).write(concat(partial(1000, 128), partial(5000, 128, 1)));
    },
  },
  {
    name: "a type-0 header arriving mid-message closes",
    expect: closedAtOnce(CHUNK),
    async run(ctx) {
      await (await shaken(ctx)).write(concat(partial(1000, 128), partial(1000, 128)));
    },
  },
  {
    name: "a type-2 first chunk on a fresh chunk stream closes",
    expect: closedAtOnce(CHUNK),
    async run(ctx) {
      const bytes = concat(chunkHeader({ fmt: 2, csid: 7, timestamp: 40 }), new Uint8Array(64));
      await (await shaken(ctx)).write(bytes);
    },
  },
  {
    name: "a type-3 first chunk on a fresh chunk stream closes",
    expect: closedAtOnce(CHUNK),
    async run(ctx) {
      await (await shaken(ctx)).write(concat(chunkHeader({ fmt: 3, csid: 7 }), new Uint8Array(64)));
    },
  },
  onCsid(63),
  onCsid(64),
  onCsid(319),
  onCsid(320),
  onCsid(65599),
  {
    name: "extended timestamps not repeated on type-3 continuations are read",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx, {
        chunkSize: 128,
        writer: { repeatExtendedTimestamp: false },
      });
      await sendClip(c, ctx.clip, { timestamp: (ts) => 0xffff00 + ts });
    },
  },
  {
    name: "extended timestamps repeated on type-3 continuations (as FFmpeg does) are read",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx, { chunkSize: 128 });
      await sendClip(c, ctx.clip, { timestamp: (ts) => 0xffff00 + ts });
    },
  },
  {
    name: "timestamps going backwards are accepted",
    expect: { kind: "accepted" },
    async run(ctx) {
      await sendClip(await publisher(ctx), ctx.clip, { timestamp: (ts) => 100_000 - ts * 3 });
    },
  },
  {
    name: "timestamps wrapping past 2^32 are accepted",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx, { chunkSize: 128 });
      await sendClip(c, ctx.clip, { timestamp: (ts) => (2 ** 32 - 500 + ts) >>> 0 });
    },
  },
  {
    name: "unknown message types are ignored",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx);
      const types = [7, 10, 11, 12, 13, 14, 21, 23, 30, 127, 255];
      await sendClip(c, ctx.clip, {
        async before(i) {
          const type = types[i % 5 === 0 ? (i / 5) % types.length : -1];
          if (type === undefined) return;
          const body = new Uint8Array(37).fill(type);
          await c.send({ type, csid: 9, streamId: c.streamId, timestamp: i, body });
        },
      });
    },
  },
  badControl("a 2-byte Window Acknowledgement Size closes", 5, new Uint8Array(2), MESSAGE),
  badControl("a 1-byte User Control message closes", 4, new Uint8Array(1), MESSAGE),
  badControl("a ping request without its timestamp closes", 4, new Uint8Array([0, 6, 0]), MESSAGE),
  badControl("a 2-byte Abort closes", 2, new Uint8Array(2), CHUNK_OR_MESSAGE),
  controlFirst("a Window Acknowledgement Size of 0 is accepted", 5, u32(0)),
  controlFirst("a Window Acknowledgement Size of 0xFFFFFFFF is accepted", 5, u32(0xffffffff)),
  controlFirst(
    "a ping request mid-publish is answered and the publish goes on",
    MessageType.UserControl,
    encodeUserControl({ event: 6, value: 77 }),
  ),
];

Deno.test({
  name: "hostile chunk streams close only the bad client while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: { handshakeTimeoutMs: 5_000, publishTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
      concurrency: 6,
    });
  },
});
