/**
 * The fan-out's own JavaScript per publisher read: one live stream, N RTMP players (real
 * `RtmpPlayer`s, `Outbox`es and one `JoinMemo`), each read one video and one audio message
 * published and flushed, every player writing to a socket stand-in that takes all at once.
 * No socket, so what the runtime costs per write (the op, the kernel) is left out: this is
 * the part our code decides. Run with `deno bench --allow-all bench/fanout_bench.ts`.
 * @module
 */

import { JoinMemo } from "../src/bytes.ts";
import { systemClock } from "../src/clock.ts";
import { ChunkCache } from "../src/play/chunk_cache.ts";
import { RtmpPlayer } from "../src/play/rtmp_player.ts";
import { Outbox } from "../src/session/outbox.ts";
import { newPlayerStats } from "../src/session/session_info.ts";
import { LiveStream } from "../src/stream/live_stream.ts";
import type { MediaMessage } from "../src/stream/media_message.ts";

/** A socket that takes every write at once. */
const sink = { write: (p: Uint8Array) => Promise.resolve(p.length) };

function setup(players: number): { stream: LiveStream; read: () => Promise<void> } {
  const stream = new LiveStream({
    key: "live/b",
    app: "live",
    name: "b",
    publisherId: "p",
    startedAt: new Date(0).toISOString(),
    gopCacheBytes: 8 * 1024 * 1024,
    codecs: { video: { codec: "H264" }, audio: { codec: "AAC" } },
  });
  const chunks = new ChunkCache();
  const joins = new JoinMemo();
  const media = (kind: "audio" | "video", ts: number, size: number, keyframe: boolean) => ({
    kind,
    timestamp: ts,
    body: new Uint8Array(size),
    keyframe,
    config: false,
  } satisfies MediaMessage);
  stream.publish(media("video", 0, 30_000, true));
  stream.flush();
  const all: RtmpPlayer[] = [];
  for (let i = 0; i < players; i++) {
    const output = new Outbox(sink, { onError: () => {}, joins, maxQueuedBytes: 64 << 20 });
    const player = new RtmpPlayer({
      id: `p${i}`,
      streamId: 1,
      output,
      chunks,
      stats: newPlayerStats("live/b"),
      maxQueuedBytes: 32 << 20,
      maxLagMs: 60_000,
      clock: systemClock,
      unflushed: () => stream.unflushed,
      onDrop: () => {},
      onEnd: () => {},
    });
    all.push(player);
    stream.attach(player);
  }
  let ts = 0;
  let reads = 0;
  return {
    stream,
    read: async () => {
      ts += 20;
      // A key frame every 2 s of reads, and the players' figures brought up to date once a
      // second, as the server does: the GOP cache and the lag rings stay bounded.
      reads++;
      if (reads % 50 === 0) { for (const p of all) p.refresh(); }
      stream.publish(media("video", ts, 9_000, reads % 100 === 0));
      stream.publish(media("audio", ts, 370, false));
      stream.flush();
      await Promise.resolve(); // the writes settle
      await Promise.resolve();
    },
  };
}

for (const players of [100, 500]) {
  const { read } = setup(players);
  Deno.bench({
    group: "fan-out read",
    name: `${players} players: 2 messages, 1 flush`,
    baseline: players === 100,
    async fn() {
      await read();
    },
  });
}
