/**
 * Commands out of order and in floods: publish before connect or createStream, a
 * createStream flood, a duplicate publish to a live name.
 * @module
 */

import { encodeCommand } from "../../src/rtmp/commands.ts";
import { type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import { concat } from "./wire.ts";

const FAILED = "NetStream.Publish.Failed";
const BAD_NAME = "NetStream.Publish.BadName";
const FLOOD = 5_000;
/** Streams one connection may create (MAX_STREAMS in command_flow.ts). */
const MOST_STREAMS = 16;

const CASES: readonly HostileCase[] = [
  {
    name: "publish before connect gets Publish.Failed and the connection stays",
    expect: { kind: "refused", reply: FAILED },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.publish(`${ctx.goodName}-bad`, 1);
    },
  },
  {
    name: "publish without createStream gets Publish.Failed and the connection stays",
    expect: { kind: "refused", reply: FAILED },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect();
      await c.publish(`${ctx.goodName}-bad`, 1);
    },
  },
  {
    name: "publish on message stream 0 gets Publish.Failed and the connection stays",
    expect: { kind: "refused", reply: FAILED },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect();
      await c.createStream();
      await c.publish(`${ctx.goodName}-bad`, 0);
    },
  },
  {
    name: `a flood of ${FLOOD} createStream calls gets _error past ${MOST_STREAMS} streams`,
    expect: { kind: "refused", reply: "_error" },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.setChunkSize(4096);
      await c.connect();
      const calls = Array.from({ length: FLOOD }, (_, i) =>
        c.writer.encode({
          type: 20,
          csid: 3,
          streamId: 0,
          timestamp: 0,
          body: encodeCommand({
            name: "createStream",
            transactionId: i + 2,
            commandObject: null,
            args: [],
          }),
        }));
      await c.write(concat(...calls));
      await c.until(() => c.commands.length > FLOOD || c.closed, 8_000);
      const results = c.commands.filter((x) => x.name === "_result" && x.transactionId > 1);
      if (results.length > MOST_STREAMS) {
        throw new Error(`${results.length} streams created, at most ${MOST_STREAMS} allowed`);
      }
    },
  },
  {
    name: "a duplicate publish to a live name gets BadName and the first publisher goes on",
    expect: { kind: "refused", reply: BAD_NAME },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect();
      await c.createStream();
      await c.publish(ctx.goodName);
    },
  },
];

Deno.test({
  name: "commands out of order or in floods are refused while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: { handshakeTimeoutMs: 5_000, publishTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
      concurrency: 6,
    });
  },
});
