/**
 * Hostile Enhanced RTMP: unknown FourCCs, multitrack tags whose tracks overrun or multiply,
 * ModEx chains, and `fourCcList`s of 1 000 and 10 000 entries in connect.
 * @module
 */

import type { AmfValue } from "../../src/rtmp/amf_value.ts";
import { sendClip } from "./clip.ts";
import { type CaseContext, type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import { concat } from "./wire.ts";

const TAG = /^EnhancedTagError: /;
const AT_ONCE_MS = 2_500;
const ascii = (s: string) => new TextEncoder().encode(s);

/** Publishes `<good>-bad`, sends the clip, then `bodies` as video (9) or audio (8) tags. */
async function publishThen(
  ctx: CaseContext,
  tags: readonly { type: 8 | 9; body: Uint8Array }[],
): Promise<void> {
  const c = await ctx.open();
  await c.startPublish(`${ctx.goodName}-bad`);
  await sendClip(c, ctx.clip, { only: "video" });
  let ts = 100_000;
  for (const t of tags) {
    if (
      !await c.send({
        type: t.type,
        csid: t.type === 9 ? 6 : 4,
        streamId: c.streamId,
        timestamp: ts++,
        body: t.body,
      })
    ) return;
  }
}

/** A bad tag after the clip closes the client with an EnhancedTagError. */
function badTag(name: string, type: 8 | 9, body: Uint8Array): HostileCase {
  return {
    name,
    expect: { kind: "closed", reason: TAG, withinMs: AT_ONCE_MS },
    run: (ctx) => publishThen(ctx, [{ type, body }]),
  };
}

/** Multitrack ManyTracks, CodedFramesX, "av01", `n` tracks of one byte each. */
function manyTracks(n: number): Uint8Array {
  const tracks = Array.from({ length: n }, (_, i) => new Uint8Array([i & 0xff, 0, 0, 1, 0x12]));
  return concat(new Uint8Array([0x96, 0x13]), ascii("av01"), ...tracks);
}

/** `n` ModEx entries of one byte each, then CodedFramesX "av01". */
function modExChain(n: number): Uint8Array {
  const links = Array.from(
    { length: n },
    (_, i) => new Uint8Array([0x00, 0x00, i + 1 < n ? 0x07 : 0x03]),
  );
  return concat(new Uint8Array([0x97]), ...links, ascii("av01"), new Uint8Array([0x12]));
}

const CASES: readonly HostileCase[] = [
  {
    name: "unknown video and audio FourCCs are forwarded and counted as frames",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await ctx.open();
      await c.startPublish(`${ctx.goodName}-bad`);
      await sendClip(c, ctx.clip, { only: "video" });
      for (let i = 0; i < 5; i++) {
        const ts = 100_000 + i;
        const video = concat(new Uint8Array([0x91]), ascii("zz99"), new Uint8Array([1, 2, 3]));
        const audio = concat(new Uint8Array([0x91]), ascii("qqqq"), new Uint8Array([4, 5]));
        if (await c.send({ type: 9, csid: 6, streamId: c.streamId, timestamp: ts, body: video })) {
          c.sent.video++;
        }
        if (await c.send({ type: 8, csid: 4, streamId: c.streamId, timestamp: ts, body: audio })) {
          c.sent.audio++;
        }
      }
    },
  },
  badTag(
    "a multitrack video tag whose track size overruns the tag closes",
    9,
    concat(new Uint8Array([0x96, 0x13]), ascii("av01"), new Uint8Array([0, 0xff, 0xff, 0xff, 1])),
  ),
  badTag(
    "a multitrack audio tag whose second track overruns closes",
    8,
    concat(
      new Uint8Array([0x95, 0x11]),
      ascii("Opus"),
      new Uint8Array([0, 0, 0, 1, 0xfc, 1, 0, 0, 9, 0xfc]),
    ),
  ),
  badTag("a multitrack tag of 10 000 one-byte tracks closes", 9, manyTracks(10_000)),
  badTag("a chain of 1 000 ModEx entries closes", 9, modExChain(1_000)),
  badTag(
    "a ModEx whose data runs past the tag closes",
    9,
    new Uint8Array([0x97, 0xff, 0xff, 0xff, 0x01]),
  ),
  badTag(
    "a multitrack tag of multitrack type 15 closes",
    8,
    concat(new Uint8Array([0x95, 0xf1]), ascii("Opus"), new Uint8Array([0, 0xfc])),
  ),
  {
    name: "a connect with a 10 000-entry fourCcList closes (AMF element limit)",
    expect: { kind: "closed", reason: /^AmfError: /, withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.setChunkSize(65536);
      const list: AmfValue[] = Array.from({ length: 10_000 }, () => "hvc1");
      const obj = new Map<string, AmfValue>([["app", "live"], ["fourCcList", list]]);
      await c.command({ name: "connect", transactionId: 1, commandObject: obj, args: [] });
    },
  },
  {
    name: "a connect with a 1 000-entry fourCcList is answered with our FourCCs only, then served",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.setChunkSize(65536);
      const list: AmfValue[] = Array.from(
        { length: 1_000 },
        (_, i) => `x${String(i).padStart(3, "0")}`,
      );
      list.push("hvc1");
      const r = await c.connect("live", [["fourCcList", list], ["capsEx", 0xff]]);
      const answer = r.commandObject instanceof Map ? r.commandObject.get("fourCcList") : null;
      if (!Array.isArray(answer) || answer.length > 16) {
        throw new Error(`fourCcList answer: ${JSON.stringify(answer)}`);
      }
      await c.createStream();
      const code = await c.publish(`${ctx.goodName}-bad`);
      if (code !== "NetStream.Publish.Start") throw new Error(`Publish refused: ${code}`);
      await sendClip(c, ctx.clip);
    },
  },
];

Deno.test({
  name: "hostile Enhanced RTMP: each bad client is closed or served alone, others unharmed",
  ignore: noFfmpeg,
}, async (t) => {
  await runGroup(t, CASES, { limits: { handshakeTimeoutMs: 3_000, publishTimeoutMs: 3_000 } });
});
