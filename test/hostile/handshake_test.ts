/**
 * Hostile handshakes and timeouts: wrong versions, other protocols, truncation, silence,
 * slowloris, and the legal but unusual coalesced handshake.
 * @module
 */

import { encodeCommand } from "../../src/rtmp/commands.ts";
import { createC0C1, createC2 } from "../../src/rtmp/handshake.ts";
import { encodeUserControl, MessageType } from "../../src/rtmp/messages.ts";
import { sendClip, tagMessage } from "./clip.ts";
import { type HostileCase, noFfmpeg, runGroup } from "./harness.ts";
import type { RawClient } from "./raw_client.ts";
import { concat, u32 } from "./wire.ts";

const TIMEOUT_MS = 1_000;
const HANDSHAKE = /^HandshakeError: /;
/** Closed by the named limit, e.g. "Limit handshake-timeout: …". */
const limit = (what: string) => new RegExp(`^Limit [\\w-]*(${what})[\\w-]*: `);
/** A timeout must fire within its time plus this slack. */
const SLACK_MS = 2_500;

function c0c1(version = 3): Uint8Array {
  const bytes = createC0C1({ epochMs: 0, random: (b) => b.fill(7) });
  bytes[0] = version;
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Writes `bytes` one at a time every `everyMs` until the server closes or they run out. */
async function trickle(c: RawClient, bytes: Uint8Array, everyMs: number, max: number) {
  for (let i = 0; i < Math.min(bytes.length, max) && !c.closed; i++) {
    if (!(await c.write(bytes.subarray(i, i + 1)))) return;
    await sleep(everyMs);
  }
}

// deno-fmt-ignore
const TLS_CLIENT_HELLO = new Uint8Array([
  0x16, 0x03, 0x01, 0x00, 0x2f,         // record: handshake, TLS 1.0, 47 bytes
  0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,   // ClientHello, 43 bytes, TLS 1.2
  ...new Uint8Array(32).fill(0x42),     // random
  0x00,                                 // session id: none
  0x00, 0x02, 0x13, 0x01,               // one cipher suite
  0x01, 0x00,                           // compression: null
  0x00, 0x00,                           // no extensions
]);

const CASES: readonly HostileCase[] = [
  {
    name: "a C0 with version 4 is closed as a handshake error",
    expect: { kind: "closed", reason: HANDSHAKE },
    async run(ctx) {
      await (await ctx.open()).write(c0c1(4));
    },
  },
  {
    name: "a C0 with version 6 (RTMPE) is closed as a handshake error",
    expect: { kind: "closed", reason: HANDSHAKE },
    async run(ctx) {
      await (await ctx.open()).write(c0c1(6));
    },
  },
  {
    name: "an HTTP request (GET / HTTP/1.1) is closed as a handshake error",
    expect: { kind: "closed", reason: HANDSHAKE },
    async run(ctx) {
      const req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8\r\n\r\n";
      await (await ctx.open()).write(new TextEncoder().encode(req));
    },
  },
  {
    name: "a TLS ClientHello is closed as a handshake error",
    expect: { kind: "closed", reason: HANDSHAKE },
    async run(ctx) {
      await (await ctx.open()).write(TLS_CLIENT_HELLO);
    },
  },
  {
    name: "a connection that sends nothing is closed at the handshake timeout",
    expect: { kind: "closed", reason: limit("handshake|idle"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await ctx.open();
    },
  },
  {
    name: "a truncated C0C1 followed by silence is closed at the handshake timeout",
    expect: { kind: "closed", reason: limit("handshake"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await (await ctx.open()).write(c0c1().subarray(0, 700));
    },
  },
  {
    name: "a client that never sends C2 is closed at the handshake timeout",
    expect: { kind: "closed", reason: limit("handshake"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await (await ctx.open()).handshakeStart();
    },
  },
  {
    name:
      "slowloris: a handshake byte every 400 ms (inside the idle timeout) is cut at the handshake timeout",
    expect: { kind: "closed", reason: limit("handshake"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      await trickle(await ctx.open(), c0c1(), 400, 10);
    },
  },
  {
    name:
      "slowloris: a connect trickled a byte every 400 ms after the handshake is cut at the publish timeout",
    expect: { kind: "closed", reason: limit("publish"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      const body = encodeCommand({
        name: "connect",
        transactionId: 1,
        commandObject: null,
        args: [],
      });
      const msg = c.writer.encode({ type: 20, csid: 3, streamId: 0, timestamp: 0, body });
      await trickle(c, msg, 400, 10);
    },
  },
  {
    name: "a client that connects and only pings is cut at the publish timeout",
    expect: { kind: "closed", reason: limit("publish"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect();
      const ping = encodeUserControl({ event: 6, value: 1 });
      for (let i = 0; i < 15 && !c.closed; i++) {
        await c.control(MessageType.UserControl, ping);
        await sleep(200);
      }
    },
  },
  {
    name: "a publisher that goes silent is cut at the idle timeout",
    expect: { kind: "closed", reason: limit("idle"), withinMs: TIMEOUT_MS + SLACK_MS },
    async run(ctx) {
      const c = await ctx.open();
      await c.startPublish(`${ctx.goodName}-silent`);
      await sendClip(c, ctx.clip);
    },
  },
  {
    name: "handshake bytes coalesced with the first chunks are served in full",
    expect: { kind: "accepted", probe: true },
    async run(ctx) {
      const c = await ctx.open();
      const s0s1s2 = await c.handshakeStart();
      const w = c.writer;
      const cmd = (body: Uint8Array, streamId = 0) =>
        w.encode({ type: 20, csid: 3, streamId, timestamp: 0, body });
      const parts = [
        createC2(s0s1s2),
        w.encode({ type: 1, csid: 2, streamId: 0, timestamp: 0, body: u32(4096) }),
      ];
      w.chunkSize = 4096;
      parts.push(
        cmd(encodeCommand({
          name: "connect",
          transactionId: 1,
          commandObject: new Map([["app", "live"], ["tcUrl", "rtmp://127.0.0.1/live"]]),
          args: [],
        })),
        cmd(
          encodeCommand({ name: "createStream", transactionId: 2, commandObject: null, args: [] }),
        ),
        cmd(
          encodeCommand({
            name: "publish",
            transactionId: 0,
            commandObject: null,
            args: [`${ctx.goodName}-co`, "live"],
          }),
          1,
        ),
      );
      const first = 6;
      for (const tag of ctx.clip.tags.slice(0, first)) {
        parts.push(w.encode(tagMessage(tag, 1, tag.timestamp, tag.type === 9 ? 6 : 4)));
        if (tag.type !== 18 && tag.body[1] === 1) c.sent[tag.type === 9 ? "video" : "audio"]++;
      }
      await c.write(concat(...parts));
      c.streamId = (await c.reply(2, "createStream")).args[0] === 1 ? 1 : -1;
      if (c.streamId !== 1) throw new Error("createStream did not give stream 1");
      await sendClip(c, ctx.clip, { from: first });
    },
  },
];

Deno.test({
  name: "hostile handshakes and timeouts close only the bad client while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: {
        handshakeTimeoutMs: TIMEOUT_MS,
        publishTimeoutMs: TIMEOUT_MS,
        idleTimeoutMs: TIMEOUT_MS,
      },
      concurrency: 6,
    });
  },
});
