import assert from "node:assert/strict";
import type { MediaMessage } from "../../src/stream/media_message.ts";
import { PlayerGate } from "../../src/stream/player_gate.ts";
import { PlayerSlots } from "../../src/stream/player_slots.ts";

function frame(timestamp: number, key = false, size = 100): MediaMessage {
  return { kind: "video", timestamp, body: new Uint8Array(size), keyframe: key, config: false };
}

Deno.test("PlayerGate skips to the next key frame once the queue is over the limit", () => {
  let now = 0;
  const episodes: number[] = [];
  const gate = new PlayerGate({
    maxQueuedBytes: 1000,
    maxLagMs: 5000,
    clock: { now: () => now },
    onSkipStart: (q) => episodes.push(q),
  });
  assert.equal(gate.admit(frame(0, true), 0), "send");
  assert.equal(gate.admit(frame(40), 950), "skip");
  assert.ok(gate.skipping);
  const header: MediaMessage = { ...frame(41), config: true };
  assert.equal(gate.admit(header, 950), "send", "sequence headers always go");
  assert.equal(gate.admit(frame(80), 0), "skip", "not a key frame: still skipping");
  assert.equal(gate.admit(frame(120, true), 600), "skip", "queue not drained to half yet");
  assert.equal(gate.admit(frame(160, true), 100), "send");
  assert.equal(gate.skipping, false);
  assert.equal(gate.skippedFrames, 3);
  assert.equal(gate.episodes, 1);
  assert.deepEqual(episodes, [950]);
  assert.equal(gate.admit(frame(200), 950), "skip");
  now = 5001;
  assert.equal(gate.admit(frame(240), 950), "drop", "behind for longer than the lag limit");
});

Deno.test("PlayerGate does not drop a player that caught up and waits for a key frame", () => {
  let now = 0;
  const gate = new PlayerGate({ maxQueuedBytes: 1000, maxLagMs: 5000, clock: { now: () => now } });
  assert.equal(gate.admit(frame(0), 950), "skip");
  for (now = 1000; now <= 20_000; now += 1000) {
    assert.equal(gate.admit(frame(now), 0), "skip", "drained, but no key frame yet");
  }
  assert.equal(gate.admit(frame(now, true), 0), "send");
});

Deno.test("PlayerGate resumes an audio-only player at any audio frame once drained", () => {
  const gate = new PlayerGate({ maxQueuedBytes: 1000, maxLagMs: 5000, clock: { now: () => 0 } });
  const audio = (t: number): MediaMessage => ({ ...frame(t), kind: "audio" });
  assert.equal(gate.admit(audio(0), 950), "skip");
  assert.equal(gate.admit(audio(20), 700), "skip");
  assert.equal(gate.admit(audio(40), 100), "send");
});

Deno.test("PlayerSlots limits players per stream and in total, and gives slots back", () => {
  const slots = new PlayerSlots({ maxPlayers: 3, maxPlayersPerStream: 2 });
  assert.equal(slots.take("live/a"), null);
  assert.equal(slots.take("live/a"), null);
  assert.match(slots.take("live/a")!, /^Limit max-players-per-stream: live\/a has 2 players/);
  assert.equal(slots.take("live/b"), null);
  assert.match(slots.take("live/c")!, /^Limit max-players: 3 players already/);
  slots.release("live/a");
  slots.release("live/x");
  assert.equal(slots.total, 2);
  assert.equal(slots.take("live/c"), null);
});
