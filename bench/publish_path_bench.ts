/**
 * The publish path's own JavaScript per message at many small streams: N publishing sessions
 * (real `PublishFlow`s over one `StreamHub` with the server's GOP budget, each with its
 * publication's health), fed round robin one 200 ms read each (6 video frames at 30 fps and 9
 * AAC frames, a key frame every 2 s), the read's time held as the connection does. No socket
 * and no chunk parser: what is left is the media path from `PublishFlow.media()` down. Run with
 * `deno bench --allow-all bench/publish_path_bench.ts`; the figure is per round (one read of
 * every stream), divide by the messages per round printed first.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { systemClock } from "../src/clock.ts";
import type { MessageRecord } from "../src/parser/types.ts";
import { RecordingFactory } from "../src/record/recording.ts";
import { MessageType } from "../src/rtmp/messages.ts";
import { Outbox } from "../src/session/outbox.ts";
import { PublishFlow } from "../src/session/publish_flow.ts";
import { ReadClock } from "../src/session/read_clock.ts";
import { SessionRegistry } from "../src/session/registry.ts";
import { GopBudget } from "../src/stream/gop_budget.ts";
import { StreamHub } from "../src/stream/hub.ts";

/** One stream's state: its flow, the read clock it publishes by, and its media clock. */
interface Publisher {
  readonly flow: PublishFlow;
  readonly clock: ReadClock;
  frame: number;
}

const VIDEO_PER_READ = 6;
const AUDIO_PER_READ = 9;
const KEY_EVERY = 60;

/** N publishing sessions, as the server sets them up (recording off, 32 MiB GOP budget). */
function setup(streams: number): Publisher[] {
  const hub = new StreamHub({
    gopCacheBytes: 16 * 1024 * 1024,
    gopBudget: new GopBudget(32 * 1024 * 1024),
  });
  const registry = new SessionRegistry({ clock: systemClock });
  const recordings = new RecordingFactory({ recordDir: null, pipe: null });
  const log = getLogger(["bench"]);
  const out: Publisher[] = [];
  for (let i = 0; i < streams; i++) {
    const session = registry.open({ remoteAddr: "127.0.0.1:1935", parser: "wasm", drop: () => {} });
    const outbox = new Outbox({ write: (p) => Promise.resolve(p.length) }, { onError: () => {} });
    const clock = new ReadClock(systemClock);
    const flow = new PublishFlow({ session, outbox, hub, recordings, clock, log });
    const cmd = { name: "publish", transactionId: 0, commandObject: null, args: [`s${i}`, "live"] };
    const rec = { type: MessageType.CommandAmf0, csid: 3, streamId: 1, timestamp: 0, length: 0 };
    flow.publish(cmd, rec, { app: "live", hasStream: (id: number) => id === 1 });
    out.push({ flow, clock, frame: 0 });
  }
  return out;
}

/** An AVC frame body of `size` bytes (a key frame or not). */
function avc(size: number, key: boolean): Uint8Array {
  const b = new Uint8Array(size);
  b.set([key ? 0x17 : 0x27, 0x01, 0, 0, 0]);
  return b;
}

const keyFrame = avc(30_000, true);
const interFrame = avc(3_000, false);
const aacFrame = new Uint8Array(250).fill(0x21, 2);
aacFrame.set([0xaf, 0x01]);

/** One 200 ms read of `p`: its frames in timestamp order, at one arrival time. */
function read(p: Publisher, now: number): void {
  const video: MessageRecord = {
    type: MessageType.Video,
    csid: 6,
    streamId: 1,
    timestamp: 0,
    length: 0,
  };
  p.clock.hold(now);
  for (let i = 0; i < VIDEO_PER_READ; i++) {
    const n = p.frame++;
    const body = n % KEY_EVERY === 0 ? keyFrame : interFrame;
    const ts = Math.round(n * 1000 / 30);
    p.flow.media({ ...video, timestamp: ts, length: body.length }, body);
    for (let a = 0; a < (i % 2 === 0 ? 2 : 1) && i * 1.5 + a < AUDIO_PER_READ; a++) {
      const rec = {
        type: MessageType.Audio,
        csid: 4,
        streamId: 1,
        timestamp: ts + a * 23,
        length: 250,
      };
      p.flow.media(rec, aacFrame);
    }
  }
  p.clock.release();
  p.flow.readDone();
}

for (const streams of [1000]) {
  const all = setup(streams);
  let now = Date.now();
  // Warm up past the first GOPs, so the budget has settled on which streams cache.
  for (let r = 0; r < 30; r++) {
    now += 200;
    for (const p of all) read(p, now);
  }
  console.log(
    `${streams} streams: ${streams * (VIDEO_PER_READ + AUDIO_PER_READ)} messages a round`,
  );
  const name = `${streams} streams, one 200 ms read each`;
  Deno.bench({ name, group: "publish path", n: 300, warmup: 60 }, () => {
    now += 200;
    for (const p of all) read(p, now);
  });
}
