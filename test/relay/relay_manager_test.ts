import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeClock } from "../../src/clock.ts";
import { RelayManager } from "../../src/relay/relay_manager.ts";
import type { RelayInfo } from "../../src/session/session_info.ts";
import { LiveStream } from "../../src/stream/live_stream.ts";
import { FakeLink, FakeTimers, msg, settle } from "./fakes.ts";

function stream(app: string, name: string): LiveStream {
  return new LiveStream({
    key: `${app}/${name}`,
    app,
    name,
    publisherId: "p1",
    startedAt: new Date(0).toISOString(),
    gopCacheBytes: 1 << 20,
    codecs: { video: { codec: "h264" }, audio: { codec: null } },
  });
}

function manager(dialed: string[], links: FakeLink[]): RelayManager {
  return new RelayManager({
    targets: ["rtmp://a.example/live", "rtmp://b.example:1940/live", "rtmp://c.example/other"],
    clock: new FakeClock(),
    log: getLogger(["test"]),
    maxQueueBytes: 1 << 20,
    timers: new FakeTimers(),
    random: () => 0,
    dial: (url) => {
      dialed.push(url);
      const link = new FakeLink();
      links.push(link);
      return Promise.resolve(link);
    },
  });
}

Deno.test("RelayManager relays a publish to the targets of its app only", async () => {
  const dialed: string[] = [];
  const links: FakeLink[] = [];
  const relays = manager(dialed, links);
  const s = stream("live", "cam");
  const infos: RelayInfo[] = [];
  relays.attach(s, infos);
  await settle();
  assert.deepEqual(dialed, ["rtmp://a.example:1935/live/cam", "rtmp://b.example:1940/live/cam"]);
  assert.deepEqual(infos.map((i) => i.state), ["live", "live"]);
  assert.equal(s.count("relay"), 2);
  assert.equal(relays.running, 2);
  s.publish(msg("video", 0, { config: true }));
  s.publish(msg("video", 0, { keyframe: true }));
  await settle();
  for (const link of links) assert.equal(link.sent.length, 2);
  s.end("Publisher ended");
  await relays.settled();
  assert.deepEqual(infos.map((i) => i.state), ["stopped", "stopped"]);
  assert.ok(links.every((l) => l.unpublished));
});

Deno.test("RelayManager starts nothing for an app no target pushes", async () => {
  const dialed: string[] = [];
  const relays = manager(dialed, []);
  const infos: RelayInfo[] = [];
  relays.attach(stream("private", "cam"), infos);
  await relays.settled();
  assert.deepEqual(dialed, []);
  assert.deepEqual(infos, []);
});

Deno.test("RelayManager stops a relay at once when its stream already ended", async () => {
  const dialed: string[] = [];
  const relays = manager(dialed, []);
  const s = stream("other", "cam");
  s.end("gone");
  const infos: RelayInfo[] = [];
  relays.attach(s, infos);
  await relays.settled();
  assert.deepEqual(dialed, []);
  assert.equal(infos[0]?.state, "stopped");
});
