/**
 * Resource attacks, one at a time so each case's RSS is its own: thousands of partial
 * chunk streams, partial bytes past the cap, the largest legal message, metadata bombs
 * and floods, a 1 MiB connect object, and a client that never reads.
 * @module
 */

import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { encodeCommand } from "../../src/rtmp/commands.ts";
import { sendClip } from "./clip.ts";
import { type CaseContext, type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import type { RawClient } from "./raw_client.ts";
import { bigEcmaArray, chunkHeader, concat, connectWith, member, wideObject } from "./wire.ts";

const MIB = 1024 * 1024;
const MAX_MESSAGE = 8 * MIB;
const AT_ONCE_MS = 3_000;
/** Closed by the parser or by the named limit. */
const chunkOrLimit = (what: string) =>
  new RegExp(`^(ChunkError: |Limit [\\w-]*(${what})[\\w-]*: )`);

async function publisher(ctx: CaseContext): Promise<RawClient> {
  const c = await ctx.open();
  await c.startPublish(`${ctx.goodName}-bad`);
  return c;
}

/** `n` headers of video messages declaring `length`, each followed by one 128-byte chunk. */
function partials(firstCsid: number, n: number, length: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(chunkHeader({ fmt: 0, csid: firstCsid + i, length, type: 9 }), new Uint8Array(128));
  }
  return concat(...parts);
}

/** Writes `bytes` in 64 KiB pieces until done or the server hangs up. */
async function writeAll(c: RawClient, bytes: Uint8Array): Promise<void> {
  for (let o = 0; o < bytes.length && !c.closed; o += 65536) {
    if (!(await c.write(bytes.subarray(o, o + 65536)))) return;
  }
}

function metadata(ecmaArray: Uint8Array): Uint8Array {
  return concat(encodeAmf0(["@setDataFrame", "onMetaData"]), ecmaArray);
}

const CASES: readonly HostileCase[] = [
  {
    name: "5 000 chunk streams each holding a partial message close at the chunk stream limit",
    expect: { kind: "closed", reason: chunkOrLimit("chunk"), withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await writeAll(c, partials(320, 5_000, 100_000));
    },
  },
  {
    name: "partial messages declaring more than 8 MiB in all close at the partial limit",
    expect: { kind: "closed", reason: chunkOrLimit("partial"), withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await writeAll(c, partials(10, 40, MIB));
    },
  },
  {
    name: "a message of exactly the 8 MiB limit is served",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx);
      await sendClip(c, ctx.clip);
      const body = new Uint8Array(MAX_MESSAGE);
      body.set([0x27, 0x01]); // AVC inter frame, NALU
      const ts = ctx.clip.durationMs;
      if (await c.send({ type: 9, csid: 6, streamId: c.streamId, timestamp: ts, body })) {
        c.sent.video++;
      }
    },
  },
  {
    name: "a message one byte over the 8 MiB limit closes at its header",
    expect: { kind: "closed", reason: chunkOrLimit("message"), withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await publisher(ctx);
      await c.write(
        concat(
          chunkHeader({ fmt: 0, csid: 6, length: MAX_MESSAGE + 1, type: 9 }),
          new Uint8Array(4096),
        ),
      );
    },
  },
  {
    name: "a metadata bomb (one onMetaData of 200 000 entries) is dropped and the publish goes on",
    expect: { kind: "dropped" },
    async run(ctx) {
      const c = await publisher(ctx);
      const body = metadata(bigEcmaArray(200_000));
      await c.send({ type: 18, csid: 4, streamId: c.streamId, timestamp: 0, body });
      await sendClip(c, ctx.clip);
    },
  },
  {
    name: "a metadata flood (300 onMetaData of 1 000 entries) is served with bounded memory",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await publisher(ctx);
      const body = metadata(bigEcmaArray(1_000));
      let n = 0;
      await sendClip(c, ctx.clip, {
        async before() {
          for (let k = 0; k < 4 && n < 300; k++, n++) {
            await c.send({ type: 18, csid: 5, streamId: c.streamId, timestamp: 0, body });
          }
        },
      });
    },
  },
  {
    name: "a 1 MiB connect object closes",
    expect: { kind: "closed", reason: /^(AmfError|CommandError): /, withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.setChunkSize(65536);
      const body = connectWith(member("big", wideObject(16_384, 58)));
      if (body.length < MIB) throw new Error(`The connect is only ${body.length} bytes`);
      await c.sendCommandBody(body);
    },
  },
  {
    name: "a client that never reads is cut once its replies pass the outgoing limit",
    expect: { kind: "closed", reason: /^Limit [\w-]*(outgoing|write)[\w-]*: /i, withinMs: 15_000 },
    async run(ctx) {
      const c = await ctx.open({ read: "handshake" });
      await c.handshake();
      await c.setChunkSize(65536);
      const app = new Map([["app", "live"]]);
      await c.command({ name: "connect", transactionId: 1, commandObject: app, args: [] });
      const long = "x".repeat(60_000);
      const end = Date.now() + 12_000;
      for (let i = 0; i < 1_000 && Date.now() < end; i++) {
        const ask = (name: string, args: string[]) =>
          c.writer.encode({
            type: 20,
            csid: 3,
            streamId: 0,
            timestamp: 0,
            body: encodeCommand({ name, transactionId: i + 2, commandObject: null, args }),
          });
        if (!(await c.write(concat(ask(long, []), ask("FCPublish", [long]))))) return;
      }
    },
  },
];

Deno.test({
  name:
    "resource attacks stay bounded and close only the bad client while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: { handshakeTimeoutMs: 5_000, publishTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
      concurrency: 1,
    });
  },
});
