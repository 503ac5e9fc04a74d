/**
 * Hostile players: bad names, plays before connect or on streams never created, names
 * nobody publishes, players over the limit, and a player that never reads. Each gets its
 * onStatus (the connection stays) or is dropped alone: the publisher and other players go on.
 * @module
 */

import type { AmfValue } from "../../src/rtmp/amf_value.ts";
import { MessageType } from "../../src/rtmp/messages.ts";
import { type CaseContext, type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import type { RawClient } from "./raw_client.ts";

const NOT_FOUND = "NetStream.Play.StreamNotFound";
const FAILED = "NetStream.Play.Failed";

/** Connects, creates a stream and plays `name`; the reply is checked by the suite. */
function badPlay(label: string, name: AmfValue, reply: string, app = "live"): HostileCase {
  return {
    name: `${label} gets ${reply.split(".").at(-1)} and the connection stays`,
    expect: { kind: "refused", reply },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect(app);
      await c.createStream();
      await c.play(name, c.streamId, 3_000);
    },
  };
}

/** A connected player with a stream created. */
async function player(ctx: CaseContext, options = {}): Promise<RawClient> {
  const c = await ctx.open(options);
  await c.handshake();
  await c.connect();
  await c.createStream();
  return c;
}

function videoBody(key: boolean, size: number): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = key ? 0x17 : 0x27;
  b[1] = 1;
  return b;
}

const CASES: readonly HostileCase[] = [
  badPlay("play ../x", "../x", NOT_FOUND),
  badPlay("play of an absolute name", "/etc/passwd", NOT_FOUND),
  badPlay("play of a numeric name", 42, NOT_FOUND),
  badPlay("play of a null name", null, NOT_FOUND),
  badPlay("play in an app with ../", "x", NOT_FOUND, "../app"),
  badPlay("play of a name nobody publishes", "nobody-publishes-this", NOT_FOUND),
  {
    name: "play on a stream that was never created gets Failed and the connection stays",
    expect: { kind: "refused", reply: FAILED },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect();
      await c.play("x", 7);
    },
  },
  {
    name: "a third player of one stream gets Failed (max-players-per-stream 2)",
    expect: { kind: "refused", reply: FAILED },
    async run(ctx) {
      for (let i = 0; i < 2; i++) {
        const p = await player(ctx);
        const code = await p.play(ctx.goodName);
        if (code !== "NetStream.Play.Start") throw new Error(`Player ${i} got ${code}`);
      }
      const third = await player(ctx);
      await third.play(ctx.goodName);
    },
  },
  {
    name: "a player that never reads is dropped; its publisher and another player go on",
    expect: { kind: "closed", reason: /^(Player fell behind|Limit max-outgoing-bytes)/ },
    async run(ctx) {
      const key = `${ctx.goodName}-big`;
      const pub = await ctx.open();
      await pub.startPublish(key);
      const watcher = await player(ctx);
      const code = await watcher.play(key);
      if (code !== "NetStream.Play.Start") throw new Error(`The watcher got ${code}`);
      const bad = await ctx.open({ read: "handshake" });
      await bad.handshake();
      await bad.command({
        name: "connect",
        transactionId: 1,
        commandObject: new Map<string, AmfValue>([["app", "live"]]),
        args: [],
      });
      await bad.command({ name: "createStream", transactionId: 2, commandObject: null, args: [] });
      await bad.command({ name: "play", transactionId: 0, commandObject: null, args: [key] }, 1);
      await new Promise((r) => setTimeout(r, 300));
      const frames = 150;
      for (let i = 0; i < frames; i++) {
        const body = videoBody(i % 10 === 0, 64 * 1024);
        const msg = { type: MessageType.Video, csid: 6, streamId: pub.streamId, timestamp: i * 40 };
        if (!await pub.send({ ...msg, body })) throw new Error("The publisher was cut off");
        await new Promise((r) => setTimeout(r, 40));
      }
      const all = await watcher.until(() => watcher.received.video === frames, 5_000);
      if (!all) throw new Error(`The watcher got ${watcher.received.video}/${frames} frames`);
      if (pub.closed) throw new Error("The publisher was closed");
    },
  },
];

Deno.test({
  name: "hostile players are refused or dropped alone",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: {
        playWaitMs: 300,
        maxPlayersPerStream: 2,
        playerQueueBytes: 256 * 1024,
        playerMaxLagMs: 1_000,
      },
    });
  },
});
