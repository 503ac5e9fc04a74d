import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { systemClock } from "../../src/clock.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import { RecordingFactory } from "../../src/record/recording.ts";
import { ChunkWriter } from "../../src/rtmp/chunk_writer.ts";
import type { AmfValue } from "../../src/rtmp/amf_value.ts";
import { encodeCommand } from "../../src/rtmp/commands.ts";
import { C2_SIZE, createC0C1 } from "../../src/rtmp/handshake.ts";
import { MessageType } from "../../src/rtmp/messages.ts";
import { type RtmpConn, serveConnection } from "../../src/session/connection.ts";
import type { NapHolds } from "../../src/session/loop_nap.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import { PlayerSlots } from "../../src/stream/player_slots.ts";

/** A client in memory: sends `script` one read at a time, then EOF; takes every write. */
class ScriptedConn implements RtmpConn {
  #script: Uint8Array[];
  readonly #onRead: (left: number) => void;
  constructor(script: Uint8Array[], onRead: (left: number) => void) {
    this.#script = script;
    this.#onRead = onRead;
  }
  async read(p: Uint8Array): Promise<number | null> {
    await new Promise((r) => setTimeout(r, 1)); // a turn of the loop between reads
    const next = this.#script.shift();
    this.#onRead(this.#script.length);
    if (next === undefined) return null;
    p.set(next);
    return next.length;
  }
  write(p: Uint8Array): Promise<number> {
    return Promise.resolve(p.length);
  }
  close(): void {}
}

/** Holds that note when they are taken and released, and what the session was doing then. */
class HoldLog implements NapHolds {
  readonly events: string[] = [];
  constructor(readonly state: () => string) {}
  hold(): Disposable {
    this.events.push(`hold in ${this.state()}`);
    let open = true;
    return {
      [Symbol.dispose]: () => {
        if (open) this.events.push(`release in ${this.state()}`);
        open = false;
      },
    };
  }
}

function command(w: ChunkWriter, name: string, tid: number, streamId: number, args: AmfValue[]) {
  const obj = name === "connect" ? new Map([["app", "live"], ["type", "nonprivate"]]) : null;
  return w.encode({
    type: MessageType.CommandAmf0,
    csid: streamId === 0 ? 3 : 8,
    streamId,
    timestamp: 0,
    body: encodeCommand({ name, transactionId: tid, commandObject: obj, args }),
  });
}

/** Serves `script`; returns the hold events and how many reads were left at the release. */
async function serve(script: Uint8Array[]) {
  const registry = new SessionRegistry({ clock: systemClock });
  const state = () => registry.view().list()[0]?.state ?? "none";
  const holds = new HoldLog(state);
  let left = -1;
  const reads: number[] = [];
  const conn = new ScriptedConn(script, (n) => {
    left = n;
    reads.push(n);
  });
  await serveConnection(conn, "127.0.0.1:1", {
    registry,
    hub: new StreamHub(),
    recordings: new RecordingFactory({ recordDir: null, pipe: null }),
    makeParser: () => createJsParser(),
    clock: systemClock,
    log: getLogger(["naps-test"]),
    slots: new PlayerSlots({ maxPlayers: 10, maxPlayersPerStream: 10 }),
    loopNap: holds,
  });
  return { events: holds.events, left };
}

const c0c1 = createC0C1({ epochMs: 0, random: (b) => b.fill(7) });
const c2 = new Uint8Array(C2_SIZE);

/** connect and createStream, then `last` on stream 1, then `idle` empty reads. */
function script(last: "publish" | "play", idle: number): Uint8Array[] {
  const w = new ChunkWriter();
  return [
    c0c1,
    c2,
    command(w, "connect", 1, 0, []),
    command(w, "createStream", 2, 0, []),
    command(w, last, 0, 1, last === "publish" ? ["cam", "live"] : ["cam"]),
    ...Array.from({ length: idle }, () => new Uint8Array(0)),
  ].filter((b) => b.length > 0 || idle > 0);
}

Deno.test("a publisher holds the loop's naps from its accept until its publish reply is written", async () => {
  const { events } = await serve(script("publish", 0));
  assert.deepEqual(events, ["hold in handshake", "release in publishing"]);
});

Deno.test("a player holds the loop's naps until it asks to play, not while it waits for the stream", async () => {
  const { events } = await serve(script("play", 0));
  // Released at the play command (the session is "playing" right after), not at its close.
  assert.deepEqual(events, ["hold in handshake", "release in connected"]);
});

Deno.test("a connection that ends during its handshake releases its hold", async () => {
  const { events } = await serve([c0c1.subarray(0, 100)]);
  assert.deepEqual(events, ["hold in handshake", "release in closed"]);
});
