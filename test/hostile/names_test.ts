/**
 * Hostile app and stream names: path traversal, encoded slashes, NUL, drive letters,
 * absolute paths, overlong and non-string names. Each gets BadName, no file, and the
 * connection stays open; the longest legal name is served.
 * @module
 */

import type { AmfValue } from "../../src/rtmp/amf_value.ts";
import { sendClip } from "./clip.ts";
import { type HostileCase, noFfmpeg, runGroup } from "./harness.ts";

const BAD_NAME = "NetStream.Publish.BadName";

/** Connects to app `app`, creates a stream and publishes `name`. */
function badName(label: string, name: AmfValue, app = "live"): HostileCase {
  return {
    name: `${label} gets BadName and the connection stays`,
    expect: { kind: "refused", reply: BAD_NAME },
    async run(ctx) {
      const c = await ctx.open();
      await c.handshake();
      await c.connect(app);
      await c.createStream();
      await c.publish(name);
    },
  };
}

const CASES: readonly HostileCase[] = [
  badName("a stream name with ../", "../../hostile-escape"),
  badName("a stream name with %2f", "..%2f..%2fhostile-escape"),
  badName("a stream name with a NUL", "cam\u0000.flv"),
  badName("a stream name with C:\\", "C:\\Windows\\hostile"),
  badName("an absolute stream name", "/tmp/hostile-escape"),
  badName("a 257-byte stream name", "a".repeat(257)),
  badName("an empty stream name", ""),
  badName("a stream name that is only ..", ".."),
  badName("a numeric stream name", 42),
  badName("an object as stream name", new Map<string, AmfValue>([["name", "x"]])),
  badName("a null stream name", null),
  badName("an app with ../", "ok", "../../hostile-app"),
  badName("an absolute app", "ok", "/etc"),
  {
    name: "a 256-byte stream name is served",
    expect: { kind: "accepted", probe: true },
    async run(ctx) {
      const c = await ctx.open();
      await c.startPublish(`b${ctx.goodName}`.padEnd(256, "b"));
      await sendClip(c, ctx.clip);
    },
  },
  {
    name: "a stream name with a query string is served under the bare name",
    expect: { kind: "accepted" },
    async run(ctx) {
      const c = await ctx.open();
      await c.startPublish(`${ctx.goodName}-q?key=hostile-secret`);
      await sendClip(c, ctx.clip);
    },
  },
];

Deno.test({
  name: "hostile names are refused with BadName while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: { handshakeTimeoutMs: 5_000, publishTimeoutMs: 5_000, idleTimeoutMs: 5_000 },
      concurrency: 6,
    });
  },
});
