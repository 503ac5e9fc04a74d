import assert from "node:assert/strict";
import { decodeAmf0 } from "../../src/rtmp/amf0.ts";
import { AmfEcmaArray } from "../../src/rtmp/amf_value.ts";
import {
  FILE_BATCH_BYTES,
  FileSink,
  MAX_WRITE_BYTES,
  type SinkFile,
} from "../../src/record/file_sink.ts";
import { BodyPool } from "../../src/body_pool.ts";
import { decodeFlvTags } from "../../src/record/flv.ts";
import { FlvWriter } from "../../src/record/flv_writer.ts";

/** A file in memory that can run out of space after `capacity` bytes or stall its writes. */
class MemoryFile implements SinkFile {
  data = new Uint8Array(0);
  pos = 0;
  syncs = 0;
  closed = false;
  stalled: Promise<void> | null = null;

  constructor(readonly capacity = Infinity) {}

  async write(p: Uint8Array): Promise<number> {
    if (this.stalled) await this.stalled;
    this.writes.push(p.length);
    const room = this.capacity - this.pos;
    if (room <= 0) throw new Error("No space left on device (os error 28)");
    const n = Math.min(room, p.length);
    if (this.pos + n > this.data.length) {
      const grown = new Uint8Array(this.pos + n);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(p.subarray(0, n), this.pos);
    this.pos += n;
    return n;
  }

  /** Sizes of the writes made, in order. */
  writes: number[] = [];

  seek(offset: number, whence: Deno.SeekMode): Promise<number> {
    this.pos = whence === Deno.SeekMode.Start ? offset : this.data.length + offset;
    return Promise.resolve(this.pos);
  }

  truncate(len = 0): Promise<void> {
    this.data = this.data.slice(0, len);
    return Promise.resolve();
  }

  syncData(): Promise<void> {
    this.syncs++;
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }
}

function record(sink: FileSink, frames: number, size: number): FlvWriter {
  const writer = new FlvWriter(sink, { hasAudio: false, hasVideo: true });
  writer.writeMetadata(new AmfEcmaArray([["width", 320]]));
  for (let i = 0; i < frames; i++) {
    const body = new Uint8Array(size);
    body[0] = i % 30 === 0 ? 0x17 : 0x27;
    writer.writeVideo(i * 40, body);
  }
  return writer;
}

function metadata(bytes: Uint8Array): Map<string, unknown> {
  const tag = decodeFlvTags(bytes).tags[0]!;
  const [, data] = decodeAmf0(tag.body);
  assert.ok(data instanceof Map);
  return data;
}

Deno.test("FileSink writes every tag, patches metadata and syncs on finish", async () => {
  const file = new MemoryFile();
  const sink = new FileSink(file, { maxQueuedBytes: 1 << 24, onError: (e) => assert.fail(e) });
  const writer = record(sink, 100, 5000);
  sink.sync();
  const result = await sink.finish(writer.end());
  assert.equal(result.bytes, file.data.length);
  assert.equal(result.salvaged, false);
  assert.equal(sink.durableBytes, file.data.length);
  const { tags, end } = decodeFlvTags(file.data);
  assert.equal(end, file.data.length);
  assert.equal(tags.length, 101);
  assert.equal(metadata(file.data).get("duration"), 3.96);
  assert.equal(metadata(file.data).get("filesize"), file.data.length);
  assert.equal(file.data[4], 0x01);
  assert.ok(file.syncs >= 2, `${file.syncs} syncs`);
  assert.ok(file.closed);
});

Deno.test("FileSink on a full disk fails once and keeps only whole tags, patched to what is there", async () => {
  const file = new MemoryFile(3 * FILE_BATCH_BYTES + 1000);
  const errors: Error[] = [];
  const sink = new FileSink(file, { maxQueuedBytes: 1 << 24, onError: (e) => errors.push(e) });
  const writer = record(sink, 20, 1000);
  sink.sync();
  await new Promise((r) => setTimeout(r, 10));
  for (let i = 20; i < 300; i++) writer.writeVideo(i * 40, new Uint8Array(1000).fill(0x27, 0, 1));
  const result = await sink.finish(writer.end());
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /No space left/);
  assert.equal(result.salvaged, true);
  assert.equal(result.bytes, file.data.length);
  const { tags, end } = decodeFlvTags(file.data);
  assert.equal(end, file.data.length, "the file ends on a whole tag");
  const lastTs = tags[tags.length - 1]!.timestamp;
  assert.equal(result.durationMs, lastTs);
  assert.equal(metadata(file.data).get("filesize"), file.data.length);
  assert.equal(metadata(file.data).get("duration"), lastTs / 1000);
  assert.ok(file.closed);
});

Deno.test("FileSink whose disk stalls fails at its queue limit without blocking", async () => {
  const file = new MemoryFile();
  const stall = Promise.withResolvers<void>();
  file.stalled = stall.promise;
  const errors: Error[] = [];
  const sink = new FileSink(file, { maxQueuedBytes: 256 * 1024, onError: (e) => errors.push(e) });
  const writer = record(sink, 200, 4000);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.name, "SinkLimitError");
  assert.match(
    errors[0]!.message,
    /fell behind the disk: \d+ bytes waiting, over the limit of 262144/,
  );
  stall.resolve();
  const result = await sink.finish(writer.end());
  assert.equal(result.bytes, file.data.length);
  assert.equal(decodeFlvTags(file.data).end, file.data.length);
});

Deno.test("FileSink reports an empty result when not even the header reached the disk", async () => {
  const file = new MemoryFile(0);
  const errors: Error[] = [];
  const sink = new FileSink(file, { maxQueuedBytes: 1 << 24, onError: (e) => errors.push(e) });
  const writer = record(sink, 3, 100);
  sink.sync();
  const result = await sink.finish(writer.end());
  assert.equal(errors.length, 1);
  assert.deepEqual(result, { bytes: 0, durationMs: 0, salvaged: true, empty: true });
});

Deno.test("FileSink.backlog() holds its writer past half its limit until a quarter is left", async () => {
  const file = new MemoryFile();
  const stall = Promise.withResolvers<void>();
  file.stalled = stall.promise;
  const limit = 1024 * 1024;
  const sink = new FileSink(file, { maxQueuedBytes: limit, onError: (e) => assert.fail(e) });
  const writer = record(sink, 100, 4000);
  assert.ok(sink.queuedBytes < limit / 2);
  assert.equal(sink.backlog(), null, "under half: no wait");
  let i = 100;
  while (sink.queuedBytes <= limit / 2) {
    writer.writeVideo(i++ * 40, new Uint8Array(4000).fill(0x27, 0, 1));
  }
  const wait = sink.backlog();
  assert.ok(wait !== null, "past half: a wait");
  assert.equal(sink.backlog(), wait, "one wait at a time");
  let caughtUp = false;
  void wait.then(() => caughtUp = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(caughtUp, false, "the disk took nothing yet");
  file.stalled = null;
  stall.resolve();
  await wait;
  assert.ok(sink.queuedBytes <= limit / 4, `${sink.queuedBytes} bytes still queued`);
  assert.equal(sink.error, null);
  assert.equal(sink.backlog(), null);
  const result = await sink.finish(writer.end());
  const { tags, end } = decodeFlvTags(file.data);
  assert.equal(end, file.data.length);
  assert.equal(tags.length, i + 1, "every tag written");
  assert.equal(result.bytes, file.data.length);
});

Deno.test("FileSink.backlog() fails the sink when the disk does not catch up in time", async () => {
  const file = new MemoryFile();
  const stall = Promise.withResolvers<void>();
  file.stalled = stall.promise;
  const errors: Error[] = [];
  const sink = new FileSink(file, {
    maxQueuedBytes: 256 * 1024,
    maxBacklogWaitMs: 30,
    onError: (e) => errors.push(e),
  });
  const writer = record(sink, 40, 4000);
  const wait = sink.backlog();
  assert.ok(wait !== null);
  await wait;
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.name, "SinkLimitError");
  assert.match(errors[0]!.message, /fell behind the disk: \d+ bytes still waiting after 30 ms/);
  assert.equal(sink.backlog(), null, "a failed sink holds nobody");
  stall.resolve();
  const result = await sink.finish(writer.end());
  assert.equal(result.salvaged, true);
  assert.equal(decodeFlvTags(file.data).end, file.data.length);
});

Deno.test("FileSink.finish() ends a backlog wait and still writes everything", async () => {
  const file = new MemoryFile();
  const stall = Promise.withResolvers<void>();
  file.stalled = stall.promise;
  const sink = new FileSink(file, {
    maxQueuedBytes: 256 * 1024,
    maxBacklogWaitMs: 60_000,
    onError: (e) => assert.fail(e),
  });
  const writer = record(sink, 40, 4000);
  const wait = sink.backlog();
  assert.ok(wait !== null);
  const finished = sink.finish(writer.end());
  await wait;
  file.stalled = null;
  stall.resolve();
  const result = await finished;
  assert.equal(result.salvaged, false);
  assert.equal(decodeFlvTags(file.data).tags.length, 41);
});

Deno.test("FileSink gathers writes of up to 1 MiB while its disk is behind, and 64 KiB ones when not", async () => {
  const file = new MemoryFile();
  const stall = Promise.withResolvers<void>();
  file.stalled = stall.promise;
  const sink = new FileSink(file, { maxQueuedBytes: 1 << 24, onError: (e) => assert.fail(e) });
  const writer = record(sink, 1000, 4000);
  file.stalled = null;
  stall.resolve();
  const result = await sink.finish(writer.end());
  assert.equal(result.bytes, file.data.length);
  assert.equal(decodeFlvTags(file.data).tags.length, 1001);
  const data = file.writes.filter((n) => n > 8); // not the patches of finish()
  assert.ok(Math.max(...data) <= MAX_WRITE_BYTES);
  // The first MiB waits in 64 KiB batches; from then on they are 1 MiB.
  assert.ok(data.length <= 20, `${data.length} writes: ${data}`);
  assert.ok(data.filter((n) => n > MAX_WRITE_BYTES / 2).length >= 2, `${data}`);
  const idle = new MemoryFile();
  const calm = new FileSink(idle, { maxQueuedBytes: 1 << 24, onError: (e) => assert.fail(e) });
  const w = record(calm, 0, 0);
  for (let i = 0; i < 100; i++) {
    w.writeVideo(i * 40, new Uint8Array(4000).fill(0x27, 0, 1));
    await new Promise((r) => setTimeout(r, 0));
  }
  await calm.finish(w.end());
  assert.ok(Math.max(...idle.writes) <= FILE_BATCH_BYTES, `${idle.writes}`);
  assert.equal(decodeFlvTags(idle.data).tags.length, 101);
});

Deno.test("FileSink fills its pool's buffers and gives each back once the file took it", async () => {
  const file = new MemoryFile();
  const seen = new Set<ArrayBufferLike>();
  const write = file.write.bind(file);
  file.write = (p) => {
    if (p.length > 8) seen.add(p.buffer); // not the patches of finish()
    return write(p);
  };
  const pool = new BodyPool(4 * FILE_BATCH_BYTES);
  const sink = new FileSink(file, {
    maxQueuedBytes: 1 << 24,
    onError: (e) => assert.fail(e),
    pool,
  });
  const w = record(sink, 0, 0);
  for (let i = 0; i < 200; i++) {
    w.writeVideo(i * 40, new Uint8Array(3000).fill(i % 30 === 0 ? 0x17 : 0x27, 0, 1));
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  const result = await sink.finish(w.end());
  assert.equal(decodeFlvTags(file.data).tags.length, 201);
  assert.equal(result.bytes, file.data.length);
  const batches = file.writes.filter((n) => n > 8).length;
  assert.ok(batches >= 9, `${batches} batches`);
  // Every batch (not the patches of finish()) was one of the pool's few buffers.
  assert.ok(seen.size <= 2, `${seen.size} buffers for ${batches} batches`);
  assert.ok(pool.idleBytes >= FILE_BATCH_BYTES);
});

Deno.test("FileSink that failed gives its batch buffers back", async () => {
  const pool = new BodyPool(8 * FILE_BATCH_BYTES);
  const sink = new FileSink(new MemoryFile(100_000), {
    maxQueuedBytes: 1 << 24,
    onError: () => {},
    pool,
  });
  const writer = record(sink, 100, 3000);
  const result = await sink.finish(writer.end());
  assert.equal(result.salvaged, true);
  assert.ok(pool.idleBytes >= FILE_BATCH_BYTES, `${pool.idleBytes} idle bytes`);
});

Deno.test("FileSink.sync() resolves once its fdatasync is done, and at once with nothing new", async () => {
  const file = new MemoryFile();
  const sink = new FileSink(file, { maxQueuedBytes: 1 << 24, onError: (e) => assert.fail(e) });
  const writer = record(sink, 3, 100);
  const first = sink.sync();
  assert.equal(sink.sync(), first, "one sync pending at a time");
  await first;
  assert.equal(file.syncs, 1);
  assert.equal(file.data.length, sink.bytesWritten, "the sync came after the writes");
  await sink.sync();
  assert.equal(file.syncs, 1, "nothing new: no fdatasync");
  writer.writeVideo(200, new Uint8Array(10).fill(0x27, 0, 1));
  sink.flush();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(file.data.length, sink.bytesWritten, "flush() wrote the batch out");
  assert.equal(file.syncs, 1, "flush() does not sync");
  await sink.sync();
  assert.equal(file.syncs, 2);
  await sink.finish(writer.end());
});

Deno.test("FileSink.sync() resolves when the sink fails before its turn", async () => {
  const file = new MemoryFile(50);
  let failed = 0;
  const sink = new FileSink(file, { maxQueuedBytes: 1 << 24, onError: () => failed++ });
  const writer = record(sink, 3, 100);
  await sink.sync();
  assert.equal(failed, 1);
  assert.equal(file.syncs, 0);
  await sink.finish(writer.end());
});
