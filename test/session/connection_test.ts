import assert from "node:assert/strict";
import { configure, getLogger, type LogRecord, reset } from "@logtape/logtape";
import { systemClock } from "../../src/clock.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import { RecordingFactory } from "../../src/record/recording.ts";
import { ChunkWriter } from "../../src/rtmp/chunk_writer.ts";
import { encodeCommand } from "../../src/rtmp/commands.ts";
import { C2_SIZE, createC0C1 } from "../../src/rtmp/handshake.ts";
import { MessageType } from "../../src/rtmp/messages.ts";
import { type RtmpConn, serveConnection } from "../../src/session/connection.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { StreamHub } from "../../src/stream/hub.ts";

/** A client in memory: sends `script` (bytes, then an error or EOF) and ignores replies. */
class ScriptedConn implements RtmpConn {
  #script: (Uint8Array | Error | null)[];
  constructor(script: (Uint8Array | Error | null)[]) {
    this.#script = script;
  }
  read(p: Uint8Array): Promise<number | null> {
    const next = this.#script.shift();
    if (next === undefined || next === null) return Promise.resolve(null);
    if (next instanceof Error) return Promise.reject(next);
    p.set(next.subarray(0, p.length));
    if (next.length > p.length) this.#script.unshift(next.subarray(p.length));
    return Promise.resolve(Math.min(p.length, next.length));
  }
  write(p: Uint8Array): Promise<number> {
    return Promise.resolve(p.length);
  }
  close(): void {}
}

function command(w: ChunkWriter, name: string, tid: number, obj: Map<string, string> | null) {
  return w.encode({
    type: MessageType.CommandAmf0,
    csid: 3,
    streamId: 0,
    timestamp: 0,
    body: encodeCommand({ name, transactionId: tid, commandObject: obj, args: [] }),
  });
}

async function serve(script: (Uint8Array | Error | null)[]) {
  const logs: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { capture: (r: LogRecord) => void logs.push(r) },
    loggers: [
      { category: ["conn-test"], lowestLevel: "debug", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  const registry = new SessionRegistry({ clock: systemClock });
  try {
    await serveConnection(new ScriptedConn(script), "127.0.0.1:1", {
      registry,
      hub: new StreamHub(),
      recordings: new RecordingFactory({ recordDir: null, pipe: null }),
      makeParser: () => createJsParser(),
      clock: systemClock,
      log: getLogger(["conn-test"]),
    });
  } finally {
    await reset();
  }
  const session = registry.view().list()[0] as SessionInfo;
  const lines = logs.map((r) => `${r.level} ${r.message.map(String).join("")}`);
  return { session, lines };
}

const c0c1 = createC0C1({ epochMs: 0, random: (b) => b.fill(7) });
const c2 = new Uint8Array(C2_SIZE);

Deno.test("a reset by the client is a normal close: one info line, no error, no stack", async () => {
  const w = new ChunkWriter();
  const connect = command(w, "connect", 1, new Map([["app", "live"], ["type", "nonprivate"]]));
  const { session, lines } = await serve([
    c0c1,
    c2,
    connect,
    new Deno.errors.ConnectionReset("Connection reset by peer (os error 104)"),
  ]);
  assert.equal(session.closeReason, "Connection reset by peer");
  assert.equal(lines.filter((l) => l.startsWith("error")).length, 0, lines.join("\n"));
  assert.equal(lines.filter((l) => / closed \(Connection reset by peer\)/.test(l)).length, 1);
});

Deno.test("a connect without flashVer names the encoder by its type, never null", async () => {
  const w = new ChunkWriter();
  const connect = command(w, "connect", 1, new Map([["app", "live"], ["type", "nonprivate"]]));
  const { session, lines } = await serve([c0c1, c2, connect, null]);
  assert.equal(session.encoder, "nonprivate");
  assert.ok(lines.some((l) => /app live, encoder nonprivate$/.test(l)), lines.join("\n"));
  const bare = command(new ChunkWriter(), "connect", 1, new Map([["app", "live"]]));
  assert.equal((await serve([c0c1, c2, bare, null])).session.encoder, "unknown");
});

Deno.test("unknown commands are counted and logged once per name: debug for harmless ones", async () => {
  const w = new ChunkWriter();
  const { session, lines } = await serve([
    c0c1,
    c2,
    command(w, "connect", 1, new Map([["app", "live"], ["flashVer", "FMLE/3.0"]])),
    command(w, "play", 2, null),
    command(w, "play", 3, null),
    command(w, "setPeerInfo", 4, null),
    null,
  ]);
  assert.equal(session.unknownCommands, 3);
  const about = lines.filter((l) => /which this server does not support/.test(l));
  assert.deepEqual(about.map((l) => l.split(" ")[0]), ["info", "debug"], about.join("\n"));
});
