import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { FakeClock } from "../../src/clock.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import { RecordingFactory } from "../../src/record/recording.ts";
import { ChunkWriter } from "../../src/rtmp/chunk_writer.ts";
import { encodeCommand } from "../../src/rtmp/commands.ts";
import { C2_SIZE, createC0C1 } from "../../src/rtmp/handshake.ts";
import { MessageType } from "../../src/rtmp/messages.ts";
import {
  DEFAULT_CONNECTION_LIMITS,
  type RtmpConn,
  serveConnection,
} from "../../src/session/connection.ts";
import { LoopMonitor } from "../../src/session/loop_monitor.ts";
import { ReadPacer } from "../../src/session/read_pacer.ts";
import { ReadScratch } from "../../src/session/read_scratch.ts";
import { loadWasmParser } from "../../src/parser/wasm_parser.ts";
import type { ChunkParser } from "../../src/parser/types.ts";
import { PaceTicker } from "../../src/session/pace_ticker.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import type { ConsumerKind, StreamConsumer } from "../../src/stream/consumer.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import type { MediaMessage } from "../../src/stream/media_message.ts";

/** Lets pending promise reactions run (several hops: read → parse → loop → next read). */
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
}

Deno.test("PaceTicker: a slot ends on the last tick within its wait, shared by waits ending there", async () => {
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  const ended: string[] = [];
  const a = ticker.slotFor(30);
  const b = ticker.slotFor(39);
  const c = ticker.slotFor(5);
  assert.equal(a, b);
  assert.equal(c, 1, "a wait shorter than a period still ends on the next tick");
  void ticker.done(a).then(() => ended.push("a"));
  void ticker.done(b).then(() => ended.push("b"));
  void ticker.done(c).then(() => ended.push("c"));
  assert.equal(ticker.pending, 2);
  for (const want of [["c"], ["c"], ["c", "a", "b"]]) {
    ticker.tick();
    await settle();
    assert.deepEqual(ended, want);
  }
  assert.equal(ticker.pending, 0);
  await ticker.done(a); // a past slot resolves at once
});

Deno.test("PaceTicker: release() ends one slot early; dispose ends all and later waits at once", async () => {
  const ticker = new PaceTicker({ periodMs: 10, manual: true });
  const ended: number[] = [];
  const near = ticker.slotFor(10);
  const far = ticker.slotFor(50);
  void ticker.done(near).then(() => ended.push(near));
  void ticker.done(far).then(() => ended.push(far));
  ticker.release(far);
  ticker.release(far);
  await settle();
  assert.deepEqual(ended, [far]);
  ticker[Symbol.dispose]();
  await settle();
  assert.deepEqual(ended, [far, near]);
  await ticker.done(ticker.slotFor(1000));
  assert.equal(ticker.pending, 0);
});

Deno.test("PaceTicker: its timer runs only while a slot is taken", async () => {
  using ticker = new PaceTicker({ periodMs: 5 });
  const t0 = performance.now();
  await ticker.done(ticker.slotFor(20));
  const waited = performance.now() - t0;
  assert.ok(waited >= 10, `waited ${waited} ms`);
  assert.equal(ticker.pending, 0);
  // No timer left behind: the test's op sanitizer fails on a leaked interval.
});

Deno.test("ReadPacer: waits only when allowed and the read did not fill the space", async () => {
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  const pacer = new ReadPacer({ ticker, waitMs: 20 });
  assert.equal(pacer.shouldWait(100, 65536), false);
  pacer.allow(true);
  assert.equal(pacer.shouldWait(100, 65536), true);
  assert.equal(pacer.shouldWait(65536, 65536), false);
  let done = false;
  void pacer.wait().then(() => done = true);
  ticker.tick();
  await settle();
  assert.equal(done, false);
  pacer.allow(false);
  await settle();
  assert.equal(done, true, "turning pacing off ends the wait at once");
  assert.equal(pacer.waits, 1);
  assert.throws(() => new ReadPacer({ ticker, waitMs: 0 }), RangeError);
});

Deno.test("ReadPacer: the reads after a wait are its backlog; under 64 KiB in all the next read waits", async () => {
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  const pacer = new ReadPacer({ ticker, waitMs: 200 });
  pacer.allow(true);
  assert.equal(pacer.shouldWait(2400, 32768), false);
  assert.equal(pacer.shouldWait(2400, 32768), true);
  void pacer.wait();
  // 200 ms of a 1 Mbit/s publisher: over 16 KiB, but what the wait let accumulate.
  assert.equal(pacer.shouldWait(25_000, 32768), true, "waits again");
  void pacer.wait();
  // The same backlog read into 16 KiB views: one full read, then the rest.
  assert.equal(pacer.shouldWait(16384, 16384), false, "a full read: read on at once");
  assert.equal(pacer.shouldWait(8616, 16384), true, "the backlog is drained: wait again");
  void pacer.wait();
  // A heavier publisher: the wait let more than 64 KiB pile up.
  for (let i = 0; i < 4; i++) assert.equal(pacer.shouldWait(16384, 16384), false);
  assert.equal(pacer.shouldWait(9000, 16384), false, "over 64 KiB since the wait: no wait");
  assert.equal(pacer.shouldWait(25_000, 65536), false, "large, and not after a wait");
  assert.equal(pacer.shouldWait(2400, 65536), false, "small after a large one");
  assert.equal(pacer.shouldWait(2400, 65536), true);
  ticker.tick();
  await settle();
});

/** A client in memory whose bytes the test pushes; counts the reads the server issues. */
class PushConn implements RtmpConn {
  reads = 0;
  readSizes: number[] = [];
  written: Uint8Array[] = [];
  #queue: Uint8Array[] = [];
  #waiting: { p: Uint8Array; resolve: (n: number | null) => void } | null = null;
  #ended = false;

  push(bytes: Uint8Array | null): void {
    if (bytes === null) this.#ended = true;
    else this.#queue.push(bytes);
    const w = this.#waiting;
    if (w !== null) {
      this.#waiting = null;
      w.resolve(this.#take(w.p));
    }
  }

  /** Whether the server has a read outstanding. */
  get reading(): boolean {
    return this.#waiting !== null;
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.#queue.length > 0 || this.#ended) return Promise.resolve(this.#take(p));
    return new Promise((resolve) => this.#waiting = { p, resolve });
  }

  #take(p: Uint8Array): number | null {
    if (this.#queue.length === 0) return null;
    let n = 0;
    while (n < p.length && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const k = Math.min(head.length, p.length - n);
      p.set(head.subarray(0, k), n);
      n += k;
      if (k === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(k);
    }
    this.readSizes.push(n);
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    this.written.push(p.slice());
    return Promise.resolve(p.length);
  }

  close(): void {
    this.push(null);
  }

  text(): string {
    return this.written.map((b) => new TextDecoder("latin1").decode(b)).join("");
  }
}

class FakeConsumer implements StreamConsumer {
  readonly queuedBytes = 0;
  taken: MediaMessage[] = [];
  /** How many messages each flush() closed. */
  flushes: number[] = [];
  constructor(readonly kind: ConsumerKind, readonly id: string) {}
  take(msg: MediaMessage): void {
    this.taken.push(msg);
  }
  flush(): void {
    this.flushes.push(this.taken.length - this.flushes.reduce((a, b) => a + b, 0));
  }
  end(): void {}
}

function cmd(w: ChunkWriter, streamId: number, name: string, tid: number, args: unknown[]) {
  const commandObject = name === "connect" ? new Map([["app", "live"]]) : null;
  return w.encode({
    type: MessageType.CommandAmf0,
    csid: 3,
    streamId,
    timestamp: 0,
    body: encodeCommand({ name, transactionId: tid, commandObject, args: args as never }),
  });
}

/** A connection that has published live/x, paced (30 ms) by a manual ticker of 10 ms. */
async function publishing(
  ticker: PaceTicker,
  monitor: LoopMonitor,
  clock: FakeClock,
  limits: Partial<typeof DEFAULT_CONNECTION_LIMITS> = {},
  extra: { readScratch?: ReadScratch; makeParser?: () => ChunkParser } = {},
) {
  const hub = new StreamHub({ gopCacheBytes: 0 });
  const conn = new PushConn();
  const served = serveConnection(conn, "127.0.0.1:1", {
    registry: new SessionRegistry({ clock }),
    hub,
    recordings: new RecordingFactory({ recordDir: null, pipe: null }),
    makeParser: extra.makeParser ?? (() => createJsParser()),
    clock,
    log: getLogger(["pacer-test"]),
    loopMonitor: monitor,
    paceTicker: ticker,
    limits: { ...DEFAULT_CONNECTION_LIMITS, readMergeMs: 30, ...limits },
    ...(extra.readScratch === undefined ? {} : { readScratch: extra.readScratch }),
  });
  const w = new ChunkWriter();
  // Handshake and commands: no read waits before the publish starts.
  conn.push(createC0C1({ epochMs: 0, random: (b) => b.fill(7) }));
  conn.push(new Uint8Array(C2_SIZE));
  conn.push(cmd(w, 0, "connect", 1, []));
  conn.push(cmd(w, 0, "createStream", 2, []));
  conn.push(cmd(w, 1, "publish", 3, ["x", "live"]));
  await settle();
  assert.match(conn.text(), /NetStream\.Publish\.Start/, "no tick needed to get here");
  // The read that brought the publish was small: the connection waits from now on.
  ticker.tick();
  ticker.tick();
  ticker.tick();
  await settle();
  const frame = (ts: number, size: number) =>
    w.encode({
      type: MessageType.Video,
      csid: 6,
      streamId: 1,
      timestamp: ts,
      body: new Uint8Array(size).fill(ts & 0xff).fill(0x17, 0, 1),
    });
  return { hub, conn, served, w, frame };
}

Deno.test("a publisher nobody plays reads after a tick; a player attaching ends the wait at once", async () => {
  const clock = new FakeClock(0);
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  using monitor = new LoopMonitor({ clock, manual: true });
  const { hub, conn, served, frame } = await publishing(ticker, monitor, clock);
  // A small read after the publish: the next read waits for the ticker.
  conn.push(frame(0, 600));
  await settle();
  assert.equal(conn.reading, false, "the connection waits before its next read");
  assert.equal(ticker.pending, 1);
  const reads = conn.reads;
  conn.push(frame(20, 600));
  conn.push(frame(40, 600));
  ticker.tick();
  ticker.tick();
  await settle();
  assert.equal(conn.reads, reads, "no read before the slot ends (30 ms: 3 ticks of 10)");
  ticker.tick();
  await settle();
  assert.equal(conn.reads, reads + 1);
  assert.ok(conn.readSizes.at(-1)! > 1200, `one read took both frames: ${conn.readSizes}`);
  assert.equal(ticker.pending, 1, "waiting again after that small read");
  // A player attaches while the connection waits: the wait ends without a tick.
  const player = new FakeConsumer("rtmp-player", "p1");
  const stream = hub.get("live/x")!;
  stream.attach(player);
  await settle();
  assert.equal(conn.reading, true, "a read is outstanding at once");
  for (let ts = 60; ts < 200; ts += 20) {
    conn.push(frame(ts, 600));
    await settle();
    assert.equal(conn.reading, true, `no wait while a player watches (frame ${ts})`);
  }
  assert.deepEqual(player.taken.map((m) => m.timestamp), [60, 80, 100, 120, 140, 160, 180]);
  assert.deepEqual(player.taken[0]!.body, new Uint8Array(600).fill(60).fill(0x17, 0, 1));
  // A recording does not need the low latency; the player leaving turns pacing on again.
  stream.attach(new FakeConsumer("recording", "r1"));
  stream.detach("p1");
  conn.push(frame(200, 600));
  await settle();
  assert.equal(conn.reading, false, "paced again once only a recording consumes");
  // Reads that fill the space offered never wait: a big backlog is read in one go.
  for (let i = 0; i < 3; i++) ticker.tick();
  await settle();
  const before = conn.readSizes.length;
  conn.push(frame(220, 180_000));
  for (let i = 0; i < 5; i++) await settle();
  const sizes = conn.readSizes.slice(before);
  assert.ok(sizes.length >= 3, `several reads without a tick: ${sizes}`);
  // Full reads: the parser's offer starts at 8 KiB, doubles to 16 KiB after a full read and
  // beyond that after eight in a row.
  assert.deepEqual(sizes.slice(0, -1), [8192, ...Array(8).fill(16384), 32768], `${sizes}`);
  assert.equal(conn.reading, true, "a partial read right after full ones does not wait");
  // The burst's small tail and then another small read: two in a row, so it waits.
  assert.ok(sizes.at(-1)! < 16384, `a small tail: ${sizes}`);
  conn.push(frame(240, 600));
  await settle();
  assert.equal(conn.reading, false, "a second small read in a row waits");
  conn.push(null);
  for (let i = 0; i < 5; i++) ticker.tick();
  await served;
});

Deno.test("each read is flushed to the players once; with --play-merge-players players, at the --play-merge-ms slot", async () => {
  const clock = new FakeClock(0);
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  using monitor = new LoopMonitor({ clock, manual: true });
  const { hub, conn, served, frame } = await publishing(ticker, monitor, clock, {
    playMergeMs: 20,
    playMergePlayers: 2,
  });
  const stream = hub.get("live/x")!;
  const a = new FakeConsumer("rtmp-player", "a");
  stream.attach(a);
  await settle();
  conn.push(frame(0, 600));
  await settle();
  conn.push(frame(20, 600));
  await settle();
  assert.deepEqual(a.flushes, [1, 1], "one player: a flush at the end of each read");
  const b = new FakeConsumer("rtmp-player", "b");
  stream.attach(b);
  for (const ts of [40, 60, 80]) {
    conn.push(frame(ts, 600));
    await settle();
    assert.equal(conn.reading, true, "the publisher's reads are not held");
  }
  assert.deepEqual(b.flushes, [], "two players: the flush waits for the slot");
  ticker.tick();
  await settle();
  assert.deepEqual(b.flushes, [], "20 ms: two ticks of 10");
  ticker.tick();
  await settle();
  assert.deepEqual(b.flushes, [3], "three reads, one flush");
  assert.deepEqual(a.flushes, [1, 1, 3]);
  stream.detach("b");
  conn.push(frame(100, 600));
  await settle();
  assert.deepEqual(a.flushes, [1, 1, 3, 1], "below the threshold again: at the read's end");
  conn.push(null);
  for (let i = 0; i < 5; i++) ticker.tick();
  await served;
});

Deno.test("a read that brought an acknowledgement's worth is followed by a read at once", async () => {
  const clock = new FakeClock(0);
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  using monitor = new LoopMonitor({ clock, manual: true });
  const { conn, served, w, frame } = await publishing(ticker, monitor, clock);
  const windowAck = w.encode({
    type: MessageType.WindowAckSize,
    csid: 2,
    streamId: 0,
    timestamp: 0,
    body: new Uint8Array([0, 0, 0x0b, 0xb8]), // 3000 bytes
  });
  conn.push(windowAck);
  for (let i = 0; i < 3; i++) ticker.tick();
  await settle();
  assert.equal(conn.reading, false, "a small read without an acknowledgement waits");
  conn.push(frame(0, 3500));
  for (let i = 0; i < 3; i++) ticker.tick();
  await settle();
  assert.equal(conn.reading, true, "acknowledged: the client may wait for it, so no wait");
  conn.push(null);
  await served;
});

for (const kind of ["js", "wasm"] as const) {
  Deno.test(`a wait's backlog comes in one read into a shared buffer, parsed in pieces (${kind} parser)`, async () => {
    const makeParser = kind === "js" ? () => createJsParser() : await loadWasmParser();
    const clock = new FakeClock(0);
    using ticker = new PaceTicker({ periodMs: 10, manual: true });
    using monitor = new LoopMonitor({ clock, manual: true });
    const scratch = new ReadScratch({ maxBuffers: 1 });
    const { hub, conn, served, frame } = await publishing(ticker, monitor, clock, {}, {
      readScratch: scratch,
      makeParser: () => makeParser(),
    });
    const rec = new FakeConsumer("recording", "r1");
    hub.get("live/x")!.attach(rec);
    conn.push(frame(0, 600));
    await settle();
    const taken = scratch.taken;
    // A wait is on: 40 KB arrive meanwhile, more than the parser's 16 KiB view.
    assert.equal(conn.reading, false, "waiting");
    const sizes = [9000, 12000, 600, 18000];
    const wire = sizes.map((size, i) => frame(20 * (i + 1), size));
    for (const bytes of wire) conn.push(bytes);
    const reads = conn.reads;
    for (let i = 0; i < 3; i++) ticker.tick();
    await settle();
    assert.equal(conn.reads, reads + 1, `one read took the whole backlog: ${conn.readSizes}`);
    assert.equal(conn.readSizes.at(-1), wire.reduce((n, b) => n + b.length, 0));
    assert.equal(scratch.taken, taken + 1);
    assert.equal(scratch.made, 1, "given back after the read");
    assert.deepEqual(rec.taken.map((m) => m.timestamp), [0, 20, 40, 60, 80]);
    for (const [i, m] of rec.taken.slice(1).entries()) {
      const ts = 20 * (i + 1);
      assert.deepEqual(m.body, new Uint8Array(sizes[i]!).fill(ts).fill(0x17, 0, 1), `frame ${ts}`);
    }
    assert.equal(conn.reading, false, "a light backlog: waiting again");
    // All buffers out: the read after the wait lands in the parser's view, as without them.
    const held = scratch.take()!;
    conn.push(frame(100, 30_000));
    for (let i = 0; i < 3; i++) ticker.tick();
    await settle();
    const after = conn.readSizes.slice(-2);
    assert.ok(after.every((n) => n <= 16384), `reads of the view's size: ${after}`);
    assert.deepEqual(rec.taken.at(-1)!.body, new Uint8Array(30_000).fill(100).fill(0x17, 0, 1));
    scratch.give(held);
    conn.push(null);
    for (let i = 0; i < 5; i++) ticker.tick();
    await served;
    assert.equal(scratch.made, 1);
  });
}
