import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeClock } from "../../src/clock.ts";
import type { MessageRecord } from "../../src/parser/types.ts";
import { RecordingFactory } from "../../src/record/recording.ts";
import { MessageType } from "../../src/rtmp/messages.ts";
import { Outbox } from "../../src/session/outbox.ts";
import {
  MAX_CLAIMS_WAITING,
  PublishFlow,
  type PublishFlowOptions,
} from "../../src/session/publish_flow.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import { StreamHub } from "../../src/stream/hub.ts";

const log = getLogger(["rtmp-edge-test"]);

function rec(streamId: number): MessageRecord {
  return { type: MessageType.CommandAmf0, csid: 3, streamId, timestamp: 0, length: 0 };
}

function publishCmd(name: string) {
  return { name: "publish", transactionId: 0, commandObject: null, args: [name, "live"] };
}

/** A flow over a real hub and registry, its cluster claims answered by hand. */
function setup(extra: Partial<PublishFlowOptions> = {}, cluster = true) {
  const clock = new FakeClock();
  const hub = new StreamHub();
  const session = new SessionRegistry({ clock }).open({
    remoteAddr: "127.0.0.1:1935",
    parser: "js",
    drop: () => {},
  });
  const claims: ((denied: string | null) => void)[] = [];
  const outbox = new Outbox({ write: (p) => Promise.resolve(p.length) }, { onError: () => {} });
  const flow = new PublishFlow({
    session,
    outbox,
    hub,
    recordings: new RecordingFactory({ recordDir: null, pipe: null }),
    clock,
    log,
    ...(cluster ? { clusterClaim: () => new Promise<string | null>((r) => claims.push(r)) } : {}),
    ...extra,
  });
  const ctx = { app: "live", hasStream: (id: number) => id === 1 || id === 2 };
  return { hub, flow, claims, ctx, session, clock };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("PublishFlow: deleteStream while the cluster claim is pending leaves nothing claimed", async () => {
  const { hub, flow, claims, ctx } = setup();
  flow.publish(publishCmd("cam"), rec(1), ctx);
  assert.equal(claims.length, 1);
  flow.unpublish(1, "deleteStream from client");
  claims[0]!(null);
  await tick();
  assert.equal(hub.get("live/cam"), undefined, "the hub's claim is released");
  flow.close();
});

Deno.test("PublishFlow: a second publish on a stream whose cluster claim is pending is refused", async () => {
  const { hub, flow, claims, ctx } = setup();
  flow.publish(publishCmd("a"), rec(1), ctx);
  flow.publish(publishCmd("b"), rec(1), ctx);
  assert.equal(claims.length, 1, "no second claim on the same message stream");
  assert.equal(hub.get("live/b"), undefined);
  claims[0]!(null);
  await tick();
  assert.ok(hub.get("live/a") !== undefined, "the first publish went live");
  flow.close();
  assert.equal(hub.get("live/a"), undefined, "close releases it");
});

Deno.test("PublishFlow: closing while the cluster claim is pending leaves nothing claimed", async () => {
  const { hub, flow, claims, ctx } = setup();
  flow.publish(publishCmd("cam"), rec(1), ctx);
  flow.close();
  claims[0]!(null);
  await tick();
  assert.equal(hub.get("live/cam"), undefined);
});

Deno.test("PublishFlow: a cluster claim that rejects refuses the publish and frees the name", async () => {
  const { hub, flow, ctx } = setup({ clusterClaim: () => Promise.reject(new Error("boom")) });
  flow.publish(publishCmd("cam"), rec(1), ctx);
  await tick();
  await tick();
  assert.equal(hub.get("live/cam"), undefined);
  assert.match(flow.refusal ?? "", /cluster/i);
  flow.close();
});

Deno.test("PublishFlow: a name the authorizer refused (it may be a stream key) is not shown in the session", async () => {
  const { flow, ctx, session } = setup({
    authorize: () => Promise.resolve({ allow: false, reason: "Webhook did not answer" }),
  }, false);
  flow.publish(publishCmd("sk_live_secret"), rec(1), ctx);
  await tick();
  assert.match(flow.refusal ?? "", /did not answer/);
  assert.equal(session.info.streamName, null);
  flow.close();
});

Deno.test("PublishFlow: cluster claims waiting are bounded per connection, cancelled ones included", async () => {
  const { hub, flow, claims, ctx } = setup();
  for (let i = 0; i < MAX_CLAIMS_WAITING; i++) {
    flow.publish(publishCmd(`n${i}`), rec(1), ctx);
    flow.unpublish(1, "deleteStream from client");
  }
  flow.publish(publishCmd("last"), rec(1), ctx);
  assert.equal(claims.length, MAX_CLAIMS_WAITING, "no claim past the bound");
  assert.equal(hub.get("live/last"), undefined);
  assert.match(flow.refusal ?? "", /Too many publishes/);
  for (const c of claims) c(null);
  await tick();
  assert.equal(hub.size, 0, "every cancelled claim was released");
  flow.publish(publishCmd("last"), rec(1), ctx);
  assert.equal(claims.length, MAX_CLAIMS_WAITING + 1, "answers free room");
  flow.close();
});

Deno.test("PublishFlow: a silent publish of this session is not taken over by this session", () => {
  const dropped: string[] = [];
  const { hub, flow, ctx, session, clock } = setup({
    takeoverAfterMs: 1_000,
    dropSession: (id) => {
      dropped.push(id);
      return true;
    },
  }, false);
  flow.publish(publishCmd("cam"), rec(1), ctx);
  assert.equal(hub.get("live/cam")?.publisherId, session.id);
  clock.advance(5_000);
  flow.publish(publishCmd("cam"), rec(2), ctx);
  assert.deepEqual(dropped, [], "the session did not drop itself");
  assert.match(flow.refusal ?? "", /already publishing/);
  flow.close();
});

Deno.test("PublishFlow: media goes to its message stream's publication, and nowhere once it ended", () => {
  const { flow, ctx, session } = setup({}, false);
  const media = (streamId: number) =>
    flow.media(
      { type: MessageType.Video, csid: 6, streamId, timestamp: 40, length: 6 },
      new Uint8Array([0x27, 0x01, 0, 0, 0, 0x41]), // AVC inter frame
    );
  flow.publish(publishCmd("a"), rec(1), ctx);
  media(1);
  media(2); // not publishing on 2
  assert.equal(session.info.video.frames, 1);
  flow.unpublish(1, "test");
  media(1);
  assert.equal(session.info.video.frames, 1, "the ended publication takes nothing");
  flow.publish(publishCmd("b"), rec(2), ctx);
  media(2);
  media(1);
  assert.equal(session.info.video.frames, 2);
  flow.close();
});
