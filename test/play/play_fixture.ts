/**
 * A play flow over a fake output, a real hub and slots: what the flow sent, decoded.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { PlayAuthorizer } from "../../src/auth/authorizer.ts";
import { FakeClock } from "../../src/clock.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { MessageRecord } from "../../src/parser/types.ts";
import { ChunkCache } from "../../src/play/chunk_cache.ts";
import { type PlayContext, PlayFlow, type PlayLimits } from "../../src/play/play_flow.ts";
import type { PlayerOutput } from "../../src/play/player_output.ts";
import { ChunkWriter, type OutgoingMessage } from "../../src/rtmp/chunk_writer.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { decodeCommand, decodeData } from "../../src/rtmp/commands.ts";
import type { PlayerStats } from "../../src/session/session_info.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import type { LiveStream } from "../../src/stream/live_stream.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";
import { PlayerSlots } from "../../src/stream/player_slots.ts";

/** An outbox stand-in: chunks `send()` like the real one, keeps every byte. */
export class FakeOutput implements PlayerOutput {
  queuedBytes = 0;
  readonly chunkSize = 4096;
  readonly bytes: Uint8Array[] = [];
  /** The `hold` of each `sendRaw()`, in order; a release adds "release". */
  readonly holds: (boolean | "release")[] = [];
  #writer = new ChunkWriter({ chunkSize: 4096 });

  send(msg: OutgoingMessage): void {
    this.bytes.push(this.#writer.encode(msg));
  }

  sendRaw(bytes: Uint8Array, hold = false): void {
    this.bytes.push(bytes);
    this.holds.push(hold);
  }

  release(): void {
    this.holds.push("release");
  }

  /** Every message sent, as `type csid stream: what` lines (commands by name and code). */
  lines(): string[] {
    using parser = createJsParser({ maxChunkStreams: 64, maxPartialBytes: 1 << 24 });
    // The real outbox sent SetChunkSize 4096 at connect.
    parser.push(new Uint8Array([2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]));
    parser.drain(() => {});
    const out: string[] = [];
    const onMessage = (rec: MessageRecord, body: Uint8Array) => out.push(describe(rec, body));
    for (const b of this.bytes) {
      for (let o = 0; o < b.length;) {
        o += parser.push(b.subarray(o));
        parser.drain(onMessage);
      }
    }
    return out;
  }
}

/** One message as a line: `type/csid/stream name code` or `type/csid/stream @ts len`. */
export function describe(rec: MessageRecord, body: Uint8Array): string {
  const head = `${rec.type}/${rec.csid}/${rec.streamId}`;
  if (rec.type === 20) {
    const c = decodeCommand(body, 20);
    const info = c.args[0];
    const code = info instanceof Map ? info.get("code") : undefined;
    return `${head} ${c.name}${typeof code === "string" ? ` ${code}` : ""}`;
  }
  if (rec.type === 18) return `${head} ${String(decodeData(body, 18)[0])}`;
  if (rec.type === 4) return `${head} uc ${body[1]} ${body[5]}`;
  return `${head} @${rec.timestamp} ${body.length}`;
}

/** A play flow with its parts. */
export interface Fixture {
  readonly flow: PlayFlow;
  readonly out: FakeOutput;
  readonly hub: StreamHub;
  readonly slots: PlayerSlots;
  readonly chunks: ChunkCache;
  readonly clock: FakeClock;
  readonly session: { player: PlayerStats | null; role: string | null; streamName: string | null };
  readonly ended: string[];
  readonly ctx: PlayContext;
  /** Sends `play name` on stream 1. */
  play(name: unknown, streamId?: number): void;
}

/** Builds a fixture; the hub, slots and chunk cache may be shared between fixtures. */
export function fixture(
  opts: {
    limits?: Partial<PlayLimits>;
    slots?: PlayerSlots;
    hub?: StreamHub;
    chunks?: ChunkCache;
    id?: string;
    authorize?: PlayAuthorizer;
  } = {},
): Fixture {
  const out = new FakeOutput();
  const hub = opts.hub ?? new StreamHub({ gopCacheBytes: 1 << 20 });
  const slots = opts.slots ?? new PlayerSlots({ maxPlayers: 10, maxPlayersPerStream: 10 });
  const chunks = opts.chunks ?? new ChunkCache();
  const clock = new FakeClock();
  const session = {
    player: null as PlayerStats | null,
    role: null as string | null,
    streamName: null as string | null,
  };
  const ended: string[] = [];
  const flow = new PlayFlow({
    session: {
      id: opts.id ?? "s1",
      update(p) {
        if (p.player !== undefined) session.player = p.player;
        if (p.role !== undefined) session.role = p.role;
        if (p.streamName !== undefined) session.streamName = p.streamName;
      },
    },
    output: out,
    hub,
    slots,
    chunks,
    limits: { playWaitMs: 100, playerQueueBytes: 10_000, playerMaxLagMs: 1_000, ...opts.limits },
    clock,
    log: getLogger(["rtmp-edge-test"]),
    end: (why) => ended.push(why),
    ...(opts.authorize === undefined ? {} : { authorize: opts.authorize }),
  });
  const ctx: PlayContext = { app: "live", hasStream: (id) => id === 1 || id === 2 };
  return {
    flow,
    out,
    hub,
    slots,
    chunks,
    clock,
    session,
    ended,
    ctx,
    play(name, streamId = 1) {
      flow.command(
        { name: "play", transactionId: 4, commandObject: null, args: [name as string, -2000] },
        { csid: 8, type: 20, streamId, timestamp: 0, length: 0 } as MessageRecord,
        ctx,
      );
    },
  };
}

/** Opens `live/name` in `hub` with metadata, both sequence headers and a GOP of 3 frames. */
export function liveStream(hub: StreamHub, name = "x"): LiveStream {
  const stream = hub.claim({
    key: `live/${name}`,
    app: "live",
    name,
    publisherId: "pub",
    startedAt: "2024-01-01T00:00:00.000Z",
    codecs: { video: { codec: "h264" }, audio: { codec: "aac" } },
  })!;
  for (const m of startOf()) stream.publish(m);
  stream.flush(); // the publisher's read is done
  return stream;
}

/** A media message with a body of `size` bytes. */
export function msg(
  kind: MediaMessage["kind"],
  timestamp: number,
  opts: { size?: number; keyframe?: boolean; config?: boolean } = {},
): MediaMessage {
  const body = kind === "data"
    ? encodeAmf0(["onMetaData", new Map([["width", 320]])])
    : new Uint8Array(opts.size ?? 10).fill(timestamp & 0xff);
  return { kind, timestamp, body, keyframe: opts.keyframe ?? false, config: opts.config ?? false };
}

function startOf(): MediaMessage[] {
  return [
    msg("data", 0, { size: 30 }),
    msg("video", 0, { config: true, keyframe: true }),
    msg("audio", 0, { config: true }),
    msg("video", 40, { keyframe: true, size: 500 }),
    msg("audio", 45),
    msg("video", 73),
  ];
}

/** Waits for timers and promises to settle. */
export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
