import type { PlayDecision } from "../../src/auth/authorizer.ts";
import { MAX_PLAYS_ASKING } from "../../src/play/play_flow.ts";
import assert from "node:assert/strict";
import { fixture, liveStream, msg, tick } from "./play_fixture.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import { PlayerSlots } from "../../src/stream/player_slots.ts";
import { ChunkCache } from "../../src/play/chunk_cache.ts";

Deno.test("play of a live stream sends StreamBegin, Reset, Start, sample access, then metadata, headers and the GOP", async () => {
  const f = fixture();
  const stream = liveStream(f.hub);
  f.play("x?token=1");
  await tick();
  stream.publish(msg("audio", 90));
  assert.deepEqual(f.out.lines(), [
    "4/2/0 uc 0 1",
    "20/5/1 onStatus NetStream.Play.Reset",
    "20/5/1 onStatus NetStream.Play.Start",
    "18/5/1 |RtmpSampleAccess",
    "18/4/1 onMetaData",
    "9/7/1 @0 10",
    "8/6/1 @0 10",
    "9/7/1 @40 500",
    "8/6/1 @45 10",
    "9/7/1 @73 10",
    "8/6/1 @90 10",
  ]);
  assert.equal(f.session.role, "player");
  assert.equal(f.session.streamName, "x");
  assert.equal(f.session.player?.key, "live/x");
  assert.equal(f.session.player?.framesSent, 4);
  assert.equal(stream.count("rtmp-player"), 1);
  assert.equal(f.slots.total, 1);
});

Deno.test("two players of one stream share the chunked bytes of every message", async () => {
  const hub = new StreamHub();
  const chunks = new ChunkCache();
  const a = fixture({ hub, chunks, id: "a" });
  const b = fixture({ hub, chunks, id: "b" });
  const stream = liveStream(hub);
  a.play("x");
  b.play("x");
  await tick();
  stream.publish(msg("video", 100, { keyframe: true, size: 9000 }));
  const lastA = a.out.bytes.at(-1)!;
  const lastB = b.out.bytes.at(-1)!;
  assert.equal(lastA, lastB, "the very same bytes");
  assert.equal(lastA.length > 9000, true);
  assert.equal(chunks.encoded, 7, "each message chunked once: 6 at the start, then 1");
});

Deno.test("a player holds the media of its publisher's read until the stream's flush, its start never", async () => {
  const hub = new StreamHub();
  const a = fixture({ hub, id: "a" });
  const stream = liveStream(hub);
  a.play("x");
  await tick();
  assert.deepEqual(a.out.holds, [false, false, false, false, false, false], "the start at once");
  stream.publish(msg("audio", 100));
  stream.publish(msg("video", 133));
  assert.equal(stream.unflushed, true);
  assert.deepEqual(a.out.holds.slice(6), [true, true]);
  stream.flush();
  assert.equal(stream.unflushed, false);
  assert.deepEqual(a.out.holds.slice(8), ["release"]);
  stream.flush();
  assert.equal(a.out.holds.length, 9, "a flush with nothing published releases nothing");
  const b = fixture({ hub, id: "b", slots: a.slots });
  b.play("x");
  await tick();
  assert.ok(b.out.holds.every((h) => h === false), "a joining player's start is not held");
});

/** A live stream `live/x` with nothing published yet. */
function bareStream(hub: StreamHub, video: "h264" | null) {
  return hub.claim({
    key: "live/x",
    app: "live",
    name: "x",
    publisherId: "p",
    startedAt: "",
    codecs: { video: { codec: video }, audio: { codec: null } },
  })!;
}

Deno.test("a player joining without a GOP waits for a key frame before any video", async () => {
  const f = fixture();
  const stream = bareStream(f.hub, null);
  f.play("x");
  await tick();
  stream.publish(msg("video", 10));
  stream.publish(msg("audio", 12));
  stream.publish(msg("video", 20, { keyframe: true }));
  stream.publish(msg("video", 30));
  const media = f.out.lines().filter((l) => l.startsWith("9/") || l.startsWith("8/"));
  assert.deepEqual(media, ["8/6/1 @12 10", "9/7/1 @20 10", "9/7/1 @30 10"]);
});

Deno.test("a sequence header (flagged key frame in FLV) does not count as the first key frame", async () => {
  const f = fixture();
  const stream = bareStream(f.hub, "h264");
  stream.publish(msg("video", 0, { config: true, keyframe: true }));
  f.play("x");
  await tick();
  stream.publish(msg("video", 10));
  stream.publish(msg("video", 20, { keyframe: true }));
  stream.publish(msg("video", 30));
  const media = f.out.lines().filter((l) => l.startsWith("9/"));
  assert.deepEqual(media, ["9/7/1 @0 10", "9/7/1 @20 10", "9/7/1 @30 10"]);
});

Deno.test("play before publish waits for the publisher, then starts", async () => {
  const f = fixture({ limits: { playWaitMs: 2_000 } });
  f.play("later");
  await tick(20);
  assert.deepEqual(f.out.lines(), []);
  liveStream(f.hub, "later");
  await tick();
  assert.ok(f.out.lines().includes("20/5/1 onStatus NetStream.Play.Start"));
  f.flow.close();
});

Deno.test("play of a name nobody publishes gets StreamNotFound after the wait and frees its slot", async () => {
  const f = fixture({ limits: { playWaitMs: 30 } });
  f.play("nobody");
  assert.equal(f.slots.total, 1);
  await tick(80);
  assert.deepEqual(f.out.lines(), ["20/5/1 onStatus NetStream.Play.StreamNotFound"]);
  assert.equal(f.slots.total, 0);
});

Deno.test("play of ../x gets StreamNotFound at once", () => {
  const f = fixture();
  f.play("../x");
  f.play(42);
  assert.deepEqual(f.out.lines(), [
    "20/5/1 onStatus NetStream.Play.StreamNotFound",
    "20/5/1 onStatus NetStream.Play.StreamNotFound",
  ]);
  assert.equal(f.slots.total, 0);
});

Deno.test("play on a stream that was not created gets Play.Failed", () => {
  const f = fixture();
  f.play("x", 9);
  assert.deepEqual(f.out.lines(), ["20/5/9 onStatus NetStream.Play.Failed"]);
});

Deno.test("a player over the per-stream limit gets Play.Failed with the limit", async () => {
  const slots = new PlayerSlots({ maxPlayers: 10, maxPlayersPerStream: 1 });
  const hub = new StreamHub();
  liveStream(hub);
  const a = fixture({ hub, slots, id: "a" });
  const b = fixture({ hub, slots, id: "b" });
  a.play("x");
  b.play("x");
  await tick();
  assert.deepEqual(b.out.lines(), ["20/5/1 onStatus NetStream.Play.Failed"]);
  assert.equal(slots.total, 1);
  a.flow.stop(1, "deleteStream from client");
  assert.equal(slots.total, 0);
});

Deno.test("when the publisher ends the player gets StreamEOF and UnpublishNotify and may play again", async () => {
  const f = fixture({ limits: { playWaitMs: 1_000 } });
  const stream = liveStream(f.hub);
  f.play("x");
  await tick();
  f.hub.release(stream, "Publisher ended (deleteStream from client)");
  assert.deepEqual(f.out.lines().slice(-2), [
    "4/2/0 uc 1 1",
    "20/5/1 onStatus NetStream.Play.UnpublishNotify",
  ]);
  assert.equal(f.slots.total, 0);
  assert.equal(f.flow.playing(1), false);
  f.play("x");
  liveStream(f.hub);
  await tick();
  assert.equal(f.out.lines().filter((l) => l.endsWith("Play.Start")).length, 2);
  f.flow.close();
});

Deno.test("a player that stays behind past the lag limit is dropped with the reason", async () => {
  const f = fixture({ limits: { playerQueueBytes: 1_000, playerMaxLagMs: 500 } });
  const stream = liveStream(f.hub);
  f.play("x");
  await tick();
  f.out.queuedBytes = 5_000; // the client stopped reading
  stream.publish(msg("video", 100, { size: 100 }));
  assert.equal(f.session.player?.skipEpisodes, 1);
  f.clock.advance(600);
  stream.publish(msg("video", 133, { size: 100 }));
  assert.deepEqual(f.ended, ["Player fell behind: skipping for over 500 ms"]);
  assert.equal(stream.count("rtmp-player"), 0);
  assert.equal(f.slots.total, 0);
  assert.equal(f.session.player?.framesSkipped, 1);
});

Deno.test("deleteStream while waiting aborts the wait and says nothing", async () => {
  const f = fixture({ limits: { playWaitMs: 5_000 } });
  f.play("x");
  f.flow.stop(1, "deleteStream from client");
  await tick(10);
  liveStream(f.hub);
  await tick();
  assert.deepEqual(f.out.lines(), []);
  assert.equal(f.slots.total, 0);
});

Deno.test("FCSubscribe, getStreamLength, receiveAudio and pause are taken without a reply", () => {
  const f = fixture();
  for (const name of ["FCSubscribe", "getStreamLength", "receiveAudio", "receiveVideo", "pause"]) {
    const handled = f.flow.command(
      { name, transactionId: 3, commandObject: null, args: ["x"] },
      { csid: 3, type: 20, streamId: 1, timestamp: 0, length: 0 } as never,
      f.ctx,
    );
    assert.equal(handled, true, name);
  }
  assert.deepEqual(f.out.lines(), []);
});

Deno.test("plays waiting for the authorizer are bounded per connection, superseded ones included", async () => {
  const answers: ((d: PlayDecision) => void)[] = [];
  const f = fixture({ authorize: () => new Promise<PlayDecision>((r) => answers.push(r)) });
  for (let i = 0; i < MAX_PLAYS_ASKING; i++) f.play("x"); // each supersedes the last
  f.play("x");
  assert.equal(answers.length, MAX_PLAYS_ASKING, "no question past the bound");
  assert.ok(f.out.lines().some((l) => l.endsWith("onStatus NetStream.Play.Failed")));
  for (const answer of answers) answer({ allow: false, reason: "no" });
  await new Promise((r) => setTimeout(r, 0));
  f.play("x");
  assert.equal(answers.length, MAX_PLAYS_ASKING + 1, "answers free room");
  f.flow.close();
});
