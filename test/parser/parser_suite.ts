/**
 * One suite, two parsers: the WASM core and the TypeScript reference run the same cases.
 * @module
 */

import assert from "node:assert/strict";
import { ChunkError } from "../../src/errors.ts";
import type { ChunkParser, ParserLimits } from "../../src/parser/types.ts";
import { ChunkWriter, type OutgoingMessage } from "../../src/rtmp/chunk_writer.ts";
import { body, concat, feed, prng, publishLike, setChunkSizeBody } from "./stream_gen.ts";

/** Makes a parser with optional limits. */
export type MakeParser = (limits?: Partial<ParserLimits>) => ChunkParser;

function expectMessages(got: ReturnType<typeof feed>, want: readonly OutgoingMessage[]): void {
  assert.equal(got.length, want.length, "message count");
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    assert.deepEqual(
      [g.type, g.csid, g.streamId, g.timestamp, g.length],
      [w.type, w.csid, w.streamId, w.timestamp >>> 0, w.body.length],
      `message ${i} header`,
    );
    assert.deepEqual(g.body, w.body, `message ${i} body`);
  }
}

/** Feeds bytes and expects a ChunkError whose message matches `pattern`. */
function expectChunkError(
  make: MakeParser,
  bytes: Uint8Array,
  pattern: RegExp,
  limits?: Partial<ParserLimits>,
) {
  using p = make(limits);
  assert.throws(
    () => feed(p, bytes),
    (e: unknown) => e instanceof ChunkError && pattern.test(e.message),
  );
}

/** Registers the shared parser tests under `name`. */
export function runParserSuite(name: string, make: MakeParser): void {
  const t = (title: string, fn: () => void) => Deno.test(`${name} parser ${title}`, fn);

  t(
    "offers 8 KiB reads first, 16 KiB after a full read, and more only after eight in a row",
    () => {
      using p = make();
      const offered: number[] = [];
      for (let i = 0; i < 6; i++) {
        const w = p.writable();
        offered.push(w.length);
        // 16-byte chunks (a type-0 header and a 4-byte body on csid 3): nothing stays unparsed.
        const msg = [0x03, 0, 0, 0, 0, 0, 4, 0x14, 0, 0, 0, 0, 1, 2, 3, 4];
        for (let o = 0; o + 16 <= w.length; o += 16) w.set(msg, o);
        p.commit(i === 4 ? 160 : w.length);
        p.drain(() => {});
      }
      assert.deepEqual(offered, [8192, 16384, 16384, 16384, 16384, 16384]);
      // A backlog: after eight full reads in a row (one is above) the offer doubles, to 64 KiB.
      for (let i = 0; i < 24; i++) {
        const w = p.writable();
        offered.push(w.length);
        const msg = [0x03, 0, 0, 0, 0, 0, 4, 0x14, 0, 0, 0, 0, 1, 2, 3, 4];
        for (let o = 0; o + 16 <= w.length; o += 16) w.set(msg, o);
        p.commit(w.length);
        p.drain(() => {});
      }
      assert.deepEqual(offered.slice(6, 6 + 7 + 8 + 8), [
        ...Array(7).fill(16384),
        ...Array(8).fill(32768),
        ...Array(8).fill(65536),
      ]);
    },
  );

  t("decodes a golden type-0 header with a one-chunk message", () => {
    // deno-fmt-ignore
    const bytes = new Uint8Array([
      0x03, // fmt 0, csid 3
      0x00, 0x03, 0xe8, // timestamp 1000
      0x00, 0x00, 0x04, // length 4
      0x14, // type 20
      0x01, 0x00, 0x00, 0x00, // stream id 1 (LE)
      0xde, 0xad, 0xbe, 0xef, // body
    ]);
    using p = make();
    const got = feed(p, bytes);
    assert.equal(got.length, 1);
    assert.deepEqual({ ...got[0]!, body: [...got[0]!.body] }, {
      type: 20,
      csid: 3,
      streamId: 1,
      timestamp: 1000,
      length: 4,
      body: [0xde, 0xad, 0xbe, 0xef],
    });
  });

  t("decodes 2- and 3-byte basic headers and type 1/2/3 deltas", () => {
    // deno-fmt-ignore
    const bytes = new Uint8Array([
      0x00, 0x00, // fmt 0, csid 0+64 = 64
      0x00, 0x00, 0x0a, // timestamp 10
      0x00, 0x00, 0x01, // length 1
      0x08, // type 8
      0x01, 0x00, 0x00, 0x00, // stream 1
      0xaa, 0x40, 0x00, // fmt 1, csid 64
      0x00, 0x00, 0x05, // delta 5 → 15
      0x00, 0x00, 0x02, // length 2
      0x09, // type 9
      0xbb, 0xcc, 0x80, 0x00, // fmt 2, csid 64
      0x00, 0x00, 0x07, // delta 7 → 22
      0xdd, 0xee, 0xc0, 0x00, // fmt 3, csid 64: new message, delta 7 → 29
      0xff, 0x11, 0x01, 0xff, 0xff, // fmt 0, csid 65535 + 64 = 65599
      0x00, 0x00, 0x01, // timestamp 1
      0x00, 0x00, 0x00, // length 0
      0x12, // type 18
      0x00, 0x00, 0x00, 0x00, // stream 0
    ]);
    using p = make();
    const got = feed(p, bytes).map((m) => [m.csid, m.type, m.streamId, m.timestamp, [...m.body]]);
    assert.deepEqual(got, [
      [64, 8, 1, 10, [0xaa]],
      [64, 9, 1, 15, [0xbb, 0xcc]],
      [64, 9, 1, 22, [0xdd, 0xee]],
      [64, 9, 1, 29, [0xff, 0x11]],
      [65599, 18, 0, 1, []],
    ]);
  });

  t("repeats a type-0 timestamp for a type-3 new message, as GStreamer sends at t=0", () => {
    // deno-fmt-ignore
    const bytes = new Uint8Array([
      0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00, 0x01, // t=0, 1 byte
      0xc6, 0x02, // type 3: new message at t=0+0
    ]);
    using p = make();
    assert.deepEqual(feed(p, bytes).map((m) => m.timestamp), [0, 0]);
    using q = make();
    // deno-fmt-ignore
    const after1000 = new Uint8Array([
      0x06, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x01, 0x09, 0x01, 0x00, 0x00, 0x00, 0x01, // t=1000
      0xc6, 0x02, // type 3 after type 0: adds the field again (FFmpeg's reading)
    ]);
    assert.deepEqual(feed(q, after1000).map((m) => m.timestamp), [1000, 2000]);
  });

  for (const chunkSize of [128, 4096, 1, 60000]) {
    for (const interleave of [false, true]) {
      t(
        `reassembles a publish at chunk size ${chunkSize}${
          interleave ? ", interleaved" : ""
        } in any split`,
        () => {
          const { bytes, messages } = publishLike({
            chunkSize,
            frames: chunkSize === 1 ? 6 : 40,
            interleave,
          });
          for (const sizes of [[bytes.length], [1], [2, 3, 5, 7], [1460], [65536], [12, 34]]) {
            using p = make();
            expectMessages(feed(p, bytes, sizes), messages);
          }
        },
      );
    }
  }

  t("splits a publish at every byte boundary into two reads", () => {
    const { bytes, messages } = publishLike({ chunkSize: 128, frames: 2 });
    for (let cut = 0; cut <= bytes.length; cut++) {
      using p = make();
      expectMessages(feed(p, bytes, [cut === 0 ? bytes.length : cut, bytes.length]), messages);
    }
  });

  t("handles extended timestamps with and without the type-3 repeat", () => {
    for (const repeatExt of [true, false]) {
      for (const startTs of [0xfffff0, 0xffffff, 0xfffffff0]) {
        const { bytes, messages } = publishLike({ chunkSize: 128, frames: 12, startTs, repeatExt });
        for (const sizes of [[1], [3, 1460], [bytes.length]]) {
          using p = make();
          expectMessages(feed(p, bytes, sizes), messages);
        }
      }
    }
  });

  t("accepts chunk stream ids 63, 64, 319, 320 and 65599", () => {
    for (const videoCsid of [63, 64, 319, 320, 65599]) {
      const { bytes, messages } = publishLike({ chunkSize: 128, frames: 4, videoCsid });
      using p = make();
      expectMessages(feed(p, bytes, [1, 5, 9]), messages);
    }
  });

  t("applies SetChunkSize at the byte where it completes, within one read", () => {
    const w = new ChunkWriter();
    const set = w.encode({
      type: 1,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: setChunkSizeBody(1000),
    });
    w.chunkSize = 1000;
    const big = body(900);
    const msg = w.encode({ type: 9, csid: 6, streamId: 1, timestamp: 0, body: big });
    using p = make();
    const got = feed(p, concat([set, msg]));
    assert.equal(got.length, 2);
    assert.equal(p.chunkSize, 1000);
    assert.deepEqual(got[1]!.body, big);
  });

  t("drops a partial message on Abort and goes on", () => {
    const w = new ChunkWriter();
    const parts = w.encodeChunks({ type: 9, csid: 6, streamId: 1, timestamp: 0, body: body(300) });
    const abortBody = new Uint8Array([0, 0, 0, 6]);
    const abort = w.encode({ type: 2, csid: 2, streamId: 0, timestamp: 0, body: abortBody });
    const next = w.encode({ type: 9, csid: 6, streamId: 1, timestamp: 40, body: body(10) });
    using p = make();
    const got = feed(p, concat([parts[0]!, abort, next]), [1]);
    assert.deepEqual(got.map((m) => [m.type, m.csid, m.length]), [[2, 2, 4], [9, 6, 10]]);
  });

  t("handles 10 000 zero-length messages in one read", () => {
    const w = new ChunkWriter();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 10_000; i++) {
      parts.push(w.encode({ type: 8, csid: 4, streamId: 1, timestamp: i, body: body(0) }));
    }
    using p = make();
    const got = feed(p, concat(parts), [65536]);
    assert.equal(got.length, 10_000);
    assert.equal(got[9_999]!.timestamp, 9_999);
  });

  t("accepts a message of exactly the maximum length and refuses one byte more", () => {
    const w = new ChunkWriter({ chunkSize: 4096 });
    const set = new ChunkWriter().encode({
      type: 1,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: setChunkSizeBody(4096),
    });
    const ok = w.encode({ type: 9, csid: 6, streamId: 1, timestamp: 0, body: body(100_000) });
    using p = make({ maxMessageSize: 100_000 });
    assert.equal(feed(p, concat([set, ok]), [1460]).length, 2);
    const tooBig = new ChunkWriter({ chunkSize: 4096 }).encode({
      type: 9,
      csid: 6,
      streamId: 1,
      timestamp: 0,
      body: body(100_001),
    });
    expectChunkError(make, concat([set, tooBig]), /Message length 100001 .*limit of 100000/, {
      maxMessageSize: 100_000,
    });
  });

  t("refuses more chunk streams than the limit", () => {
    const w = new ChunkWriter();
    const parts: Uint8Array[] = [];
    for (let csid = 3; csid < 3 + 9; csid++) {
      parts.push(w.encode({ type: 8, csid, streamId: 1, timestamp: 0, body: body(4) }));
    }
    using p = make({ maxChunkStreams: 9 });
    assert.equal(feed(p, concat(parts)).length, 9);
    parts.push(w.encode({ type: 8, csid: 100, streamId: 1, timestamp: 0, body: body(4) }));
    expectChunkError(make, concat(parts), /Chunk stream 11 exceeds the limit of 8/, {
      maxChunkStreams: 8,
    });
  });

  t("refuses partial messages over the buffered limit", () => {
    const w = new ChunkWriter();
    const parts: Uint8Array[] = [];
    for (let csid = 3; csid < 10; csid++) {
      parts.push(
        w.encodeChunks({ type: 9, csid, streamId: 1, timestamp: 0, body: body(1000) })[0]!,
      );
    }
    expectChunkError(make, concat(parts), /would buffer 3000 bytes .*limit of 2500/, {
      maxPartialBytes: 2500,
    });
  });

  t("refuses a type-2 or type-3 first chunk on a fresh chunk stream", () => {
    expectChunkError(
      make,
      new Uint8Array([0x85, 0, 0, 1, 0xaa]),
      /Chunk stream 5 starts with a type-2 header/,
    );
    expectChunkError(
      make,
      new Uint8Array([0xc5, 0xaa]),
      /Chunk stream 5 starts with a type-3 header/,
    );
  });

  t("refuses a new header in the middle of a message", () => {
    const w = new ChunkWriter();
    const first = w.encodeChunks({
      type: 9,
      csid: 6,
      streamId: 1,
      timestamp: 0,
      body: body(300),
    })[0]!;
    const type1 = new Uint8Array([0x46, 0, 0, 0, 0, 0x10, 0, 9]); // fmt 1: length 0x100000
    expectChunkError(
      make,
      concat([first, type1]),
      /Chunk stream 6 got a type-1 header with 172 bytes/,
    );
    const type0 = new ChunkWriter().encode({
      type: 9,
      csid: 6,
      streamId: 1,
      timestamp: 0,
      body: body(2),
    });
    expectChunkError(make, concat([first, type0]), /Chunk stream 6 got a type-0 header/);
  });

  t("refuses chunk size 0 and sizes with the top bit set", () => {
    for (const size of [0, 0x80000000, 0xffffffff]) {
      const set = new ChunkWriter().encode({
        type: 1,
        csid: 2,
        streamId: 0,
        timestamp: 0,
        body: setChunkSizeBody(size),
      });
      expectChunkError(make, set, new RegExp(`Chunk size ${size} is outside`));
    }
    const short = new ChunkWriter().encode({
      type: 1,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: body(2),
    });
    expectChunkError(make, short, /Set Chunk Size on chunk stream 2 has 2 bytes/);
  });

  t("parses chunk sizes of 1 and 0x7FFFFFFF", () => {
    for (const size of [1, 0x7fffffff]) {
      const w = new ChunkWriter();
      const set = w.encode({
        type: 1,
        csid: 2,
        streamId: 0,
        timestamp: 0,
        body: setChunkSizeBody(size),
      });
      w.chunkSize = size;
      const m = { type: 9, csid: 6, streamId: 1, timestamp: 5, body: body(3000) };
      using p = make();
      const got = feed(p, concat([set, w.encode(m)]), [777]);
      assert.deepEqual(got[1]!.body, m.body);
    }
  });

  t("hands out the messages completed before an error in the same read", () => {
    const w = new ChunkWriter();
    const video = w.encode({ type: 9, csid: 6, streamId: 1, timestamp: 0, body: body(50) });
    const bad = w.encode({
      type: 1,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: setChunkSizeBody(0),
    });
    using p = make();
    p.push(concat([video, video, bad]));
    const got: number[] = [];
    assert.throws(() => p.drain((rec) => got.push(rec.type)), /Chunk size 0 is outside/);
    assert.deepEqual(got, [9, 9]); // the bad SetChunkSize itself is not handed out
  });

  t("stays failed after an error", () => {
    using p = make();
    p.push(new Uint8Array([0xc5, 0xaa]));
    assert.throws(() => p.drain(() => {}), ChunkError);
    assert.throws(() => p.drain(() => {}), ChunkError);
  });

  t("matches random publishes in random splits (seeded)", () => {
    const seed = 20261124;
    const rnd = prng(seed);
    for (let round = 0; round < 20; round++) {
      const chunkSize = [1, 64, 128, 1000, 4096, 65536][Math.floor(rnd() * 6)]!;
      const { bytes, messages } = publishLike({
        chunkSize,
        frames: 10,
        interleave: rnd() < 0.5,
        startTs: rnd() < 0.3 ? 0xfffffff0 : 0,
        repeatExt: rnd() < 0.5,
        seed: round,
      });
      const sizes = Array.from({ length: 17 }, () => 1 + Math.floor(rnd() ** 3 * 65536));
      using p = make();
      try {
        expectMessages(feed(p, bytes, sizes), messages);
      } catch (e) {
        throw new Error(`seed ${seed} round ${round} chunkSize ${chunkSize}: ${e}`);
      }
    }
  });
}
