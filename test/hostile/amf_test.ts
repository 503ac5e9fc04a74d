/**
 * Hostile AMF in commands: nesting at and past the limit, deep bombs, truncation,
 * absurd counts, missing end markers and AMF0/AMF3 references that point nowhere.
 * @module
 */

import assert from "node:assert/strict";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { decodeCommand } from "../../src/rtmp/commands.ts";
import { sendClip } from "./clip.ts";
import { type CaseContext, type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import {
  concat,
  connectPrefix,
  connectWith,
  deepConnect,
  member,
  nestedAmf3Arrays,
  nestedObjects,
  rawConnect,
} from "./wire.ts";

const AMF = /^AmfError: /;
const AT_ONCE_MS = 2_500;

/** After the handshake, sends `body` as a command message. */
function badCommand(name: string, body: Uint8Array, reason = AMF): HostileCase {
  return {
    name,
    expect: { kind: "closed", reason, withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.setChunkSize(65536);
      await c.sendCommandBody(body);
    },
  };
}

/** Publishes `<good>-bad` after a hand-built connect `body`, then the clip. */
async function publishAfter(ctx: CaseContext, body: Uint8Array): Promise<void> {
  const c = await ctx.open();
  await c.handshake();
  await c.setChunkSize(4096);
  await c.sendCommandBody(body);
  const r = await c.reply(1, "connect");
  if (r.name !== "_result") throw new Error(`connect got ${r.name}`);
  await c.createStream();
  const code = await c.publish(`${ctx.goodName}-bad`);
  if (code !== "NetStream.Publish.Start") throw new Error(`Publish refused: ${code}`);
  await sendClip(c, ctx.clip);
}

const string = (s: string) => encodeAmf0([s]);

const CASES: readonly HostileCase[] = [
  {
    name: "a connect object nested 64 deep is served",
    expect: { kind: "accepted" },
    run: (ctx) => publishAfter(ctx, deepConnect(64)),
  },
  badCommand("a connect object nested 65 deep closes", deepConnect(65)),
  badCommand(
    "100 000 nested AMF0 objects close without exhausting the stack",
    rawConnect(nestedObjects(100_000)),
  ),
  badCommand(
    "100 000 nested AMF3 arrays close without exhausting the stack",
    rawConnect(nestedAmf3Arrays(100_000)),
  ),
  badCommand(
    "a string declaring 1 000 bytes with 4 present closes",
    rawConnect(
      concat(
        new Uint8Array([0x03]),
        member("app", new Uint8Array([0x02, 0x03, 0xe8])),
        string("live").subarray(3),
      ),
    ),
  ),
  badCommand(
    "a long string declaring 0xFFFFFFFF bytes closes",
    connectWith(member("tcUrl", new Uint8Array([0x0c, 0xff, 0xff, 0xff, 0xff, 0x61]))),
  ),
  badCommand(
    "a strict array declaring 0xFFFFFFFF elements closes",
    connectWith(member("list", new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x05]))),
  ),
  badCommand(
    "an object without its end marker closes",
    rawConnect(concat(new Uint8Array([0x03]), member("app", string("live")))),
  ),
  badCommand(
    "an AMF3 array that references itself closes",
    connectWith(member("self", new Uint8Array([0x11, 0x09, 0x03, 0x01, 0x09, 0x00]))),
  ),
  badCommand(
    "an AMF3 object reference past the table closes",
    connectWith(member("ref", new Uint8Array([0x11, 0x09, 0x0a]))),
  ),
  badCommand(
    "an AMF3 string reference past the table closes",
    connectWith(member("ref", new Uint8Array([0x11, 0x06, 0x08]))),
  ),
  badCommand(
    "an AMF0 reference to an object not yet seen closes",
    connectWith(member("ref", new Uint8Array([0x07, 0x00, 0x05]))),
  ),
  badCommand(
    "an unknown AMF0 marker closes",
    connectWith(member("odd", new Uint8Array([0x42, 0x00]))),
  ),
  badCommand(
    "a command whose name is a number closes",
    encodeAmf0([5, 1, null]),
    /^(CommandError|AmfError): /,
  ),
  badCommand(
    "a command with no transaction id closes",
    encodeAmf0(["connect"]),
    /^(CommandError|AmfError): /,
  ),
  {
    name: "an AMF3 command (type 17) without its format byte closes",
    expect: { kind: "closed", reason: AMF, withinMs: AT_ONCE_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.send({ type: 17, csid: 3, streamId: 0, timestamp: 0, body: connectPrefix() });
    },
  },
  {
    name: "a data message with a truncated string is dropped and the publish goes on",
    expect: { kind: "dropped" },
    async run(ctx) {
      const c = await ctx.open();
      await c.startPublish(`${ctx.goodName}-bad`);
      const body = concat(
        encodeAmf0(["@setDataFrame", "onMetaData"]),
        new Uint8Array([0x02, 0x03, 0xe8]),
      );
      await c.send({ type: 18, csid: 4, streamId: c.streamId, timestamp: 0, body });
      await sendClip(c, ctx.clip);
    },
  },
];

Deno.test("the depth-64 connect decodes and the depth-65 one does not, by default limits", () => {
  const ok = decodeCommand(deepConnect(64), 20);
  assert.equal(ok.name, "connect");
  assert.throws(() => decodeCommand(deepConnect(65), 20), /depth 65/);
});

Deno.test({
  name: "hostile AMF closes only the bad client while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: { handshakeTimeoutMs: 5_000, publishTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
      concurrency: 6,
    });
  },
});
