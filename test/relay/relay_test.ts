import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeClock } from "../../src/clock.ts";
import { Relay } from "../../src/relay/relay.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";
import { FakeLink, FakeTimers, msg, settle } from "./fakes.ts";

const URL = "rtmp://origin:1935/live/cam";

/** A relay on fakes; `dials` says what each dial does (a link, or an error to throw). */
function setup(dials: (FakeLink | Error)[], start: () => MediaMessage[] = defaultStart) {
  const timers = new FakeTimers();
  const clock = new FakeClock();
  const urls: string[] = [];
  const relay = new Relay({
    url: URL,
    startMessages: start,
    dial: (url) => {
      urls.push(url);
      const next = dials.shift();
      if (next === undefined) return Promise.reject(new Error("No more fake dials"));
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    clock,
    timers,
    random: () => 0,
    log: getLogger(["test"]),
    maxQueueBytes: 1000,
  });
  return { relay, timers, clock, urls };
}

function defaultStart(): MediaMessage[] {
  return [
    msg("data", 0),
    msg("video", 0, { config: true }),
    msg("video", 1000, { keyframe: true }),
    msg("audio", 1010),
  ];
}

function stamps(link: FakeLink): string[] {
  return link.sent.map((m) => `${m.kind[0]}${m.timestamp}`);
}

Deno.test("a relay replays the stream's start, then sends live messages in order", async () => {
  const link = new FakeLink();
  const { relay } = setup([link]);
  relay.take(msg("video", 900)); // before it is live: left to the start replay
  relay.start();
  await settle();
  assert.equal(relay.info.state, "live");
  relay.take(msg("video", 1033));
  relay.take(msg("audio", 1040));
  await settle();
  assert.deepEqual(stamps(link), ["d0", "v0", "v1000", "a1010", "v1033", "a1040"]);
  assert.equal(relay.info.bytesOut, 6 * 22);
  relay.end("done");
  await relay.done;
});

Deno.test("a refused relay retries after 1, 2 and 4 s, then goes live from the key frame", async () => {
  const link = new FakeLink();
  const refused = () => new Deno.errors.ConnectionRefused("Connection refused (os error 111)");
  const { relay, timers, urls } = setup([refused(), refused(), refused(), link]);
  relay.start();
  for (const delay of [1000, 2000, 4000]) {
    await settle();
    assert.equal(relay.info.state, "retrying");
    assert.equal(timers.pending, 1);
    assert.deepEqual(timers.asked.at(-1), delay);
    timers.fire();
  }
  await settle();
  assert.equal(relay.info.state, "live");
  assert.equal(relay.info.reconnects, 3);
  assert.match(relay.info.lastError ?? "", /ConnectionRefused/);
  assert.deepEqual(urls, [URL, URL, URL, URL]);
  assert.deepEqual(stamps(link), ["d0", "v0", "v1000", "a1010"]);
  relay.end("done");
  await relay.done;
});

Deno.test("a relay that loses its origin reconnects and replays the start before live messages", async () => {
  const first = new FakeLink();
  const second = new FakeLink();
  let start = defaultStart();
  const { relay, timers } = setup([first, second], () => start);
  relay.start();
  await settle();
  relay.take(msg("video", 1033));
  await settle();
  first.drop();
  await settle();
  assert.equal(relay.info.state, "retrying");
  assert.equal(relay.info.lastError, "Origin closed the connection");
  relay.take(msg("video", 1066)); // while away: not queued
  assert.equal(relay.queuedBytes, 0);
  start = [msg("video", 0, { config: true }), msg("video", 2000, { keyframe: true })];
  timers.fire(1000);
  await settle();
  relay.take(msg("video", 2033));
  await settle();
  assert.deepEqual(stamps(first), ["d0", "v0", "v1000", "a1010", "v1033"]);
  assert.deepEqual(stamps(second), ["v0", "v2000", "v2033"]);
  assert.equal(relay.info.reconnects, 1);
  relay.end("done");
  await relay.done;
});

Deno.test("a relay whose stream ends writes out its queue, unpublishes and stops", async () => {
  const link = new FakeLink();
  const { relay, timers } = setup([link]);
  relay.start();
  await settle();
  link.stall = Promise.withResolvers();
  relay.take(msg("video", 1033));
  relay.take(msg("video", 1066));
  relay.end("Publisher ended");
  assert.equal(link.unpublished, false);
  link.stall.resolve();
  link.stall = null;
  await relay.done;
  assert.deepEqual(stamps(link).slice(-2), ["v1033", "v1066"]);
  assert.equal(link.unpublished, true);
  assert.equal(relay.info.state, "stopped");
  assert.equal(timers.pending, 0);
});

Deno.test("a relay whose stream ends while it waits to retry stops at once", async () => {
  const { relay, timers, urls } = setup([new Error("Publish refused: NetStream.Publish.BadName")]);
  relay.start();
  await settle();
  assert.equal(relay.info.state, "retrying");
  relay.end("Publisher ended");
  await relay.done;
  assert.equal(relay.info.state, "stopped");
  assert.equal(timers.pending, 0);
  assert.equal(urls.length, 1);
});

Deno.test("a relay whose origin stops reading skips frames and never queues past its bound", async () => {
  const link = new FakeLink();
  const { relay, timers } = setup([link]);
  relay.start();
  await settle();
  link.stall = Promise.withResolvers();
  for (let i = 1; i <= 300; i++) {
    relay.take(msg("video", 1000 + i * 33, { keyframe: i % 30 === 0, size: 100 }));
    assert.ok(relay.queuedBytes <= 1000, `${relay.queuedBytes} bytes queued`);
  }
  assert.ok(relay.framesSkipped > 200);
  relay.end("Publisher ended");
  timers.fire(5000); // the drain timeout cuts the stalled link
  await relay.done;
  assert.equal(link.closed, true);
  assert.equal(relay.info.state, "stopped");
});

Deno.test("a relay that stayed live a while retries from the first delay again", async () => {
  const links = [new FakeLink(), new FakeLink(), new FakeLink()];
  const { relay, timers, clock } = setup([new Error("down"), ...links]);
  relay.start();
  await settle();
  timers.fire(1000);
  await settle();
  links[0]!.drop();
  await settle();
  assert.equal(timers.asked.at(-1), 2000, "a quick loss keeps doubling");
  timers.fire();
  await settle();
  clock.advance(60_000);
  links[1]!.drop();
  await settle();
  assert.equal(timers.asked.at(-1), 1000, "after a minute live it starts over");
  relay.end("done");
  await relay.done;
});
