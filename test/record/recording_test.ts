import assert from "node:assert/strict";
import type { PipeEnd, PipeWriter } from "../../src/record/pipe_sink.ts";
import { RecordingFactory } from "../../src/record/recording.ts";
import { decodeFlvTags } from "../../src/record/flv.ts";
import { RecordingConsumer } from "../../src/record/recording_consumer.ts";
import { LiveStream } from "../../src/stream/live_stream.ts";
import { concat } from "./flv_files.ts";

const KEY = new Uint8Array([0x17, 1, 0, 0, 0]);
const INTER = new Uint8Array([0x27, 1, 0, 0, 0]);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("RecordingFactory keeps recording to the file when the pipe is broken from the start", async () => {
  await withDir(async (dir) => {
    const ends: PipeEnd[] = [];
    const broken: PipeWriter = {
      write: () => Promise.reject(new Deno.errors.BrokenPipe("reader gone")),
      close() {},
    };
    const factory = new RecordingFactory({
      recordDir: dir,
      pipe: broken,
      onPipeEnd: (e) => ends.push(e),
    });
    const rec = factory.open({ app: "live", stream: "cam", startedAt: new Date(0) })!;
    rec.writeVideo(0, KEY);
    rec.writeVideo(40, INTER);
    const result = await rec.close();
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.kind, "cut");
    assert.match(ends[0]!.kind === "cut" ? ends[0]!.reason : "", /reader gone/);
    assert.equal(result.state, "done");
    assert.equal(result.path, `${dir}/live/cam-19700101T000000Z.flv`);
    assert.equal((await Deno.stat(result.path!)).size, result.bytes);
  });
});

Deno.test("RecordingFactory fits a 256-byte app name into a directory name", async () => {
  await withDir(async (dir) => {
    const app = "a".repeat(256);
    const rec = new RecordingFactory({ recordDir: dir, pipe: null })
      .open({ app, stream: "cam", startedAt: new Date(0) })!;
    rec.writeVideo(0, KEY);
    const { path } = await rec.close();
    assert.ok(path!.startsWith(`${dir}/${"a".repeat(215)}_`), path!);
  });
});

Deno.test("Recording.close() pipes the whole stream, then closes the pipe for EOF", async () => {
  const chunks: Uint8Array[] = [];
  let closed = false;
  const pipe: PipeWriter = {
    write: (p) => {
      chunks.push(p.slice());
      return Promise.resolve(p.length);
    },
    close: () => closed = true,
  };
  const ends: PipeEnd[] = [];
  const factory = new RecordingFactory({ recordDir: null, pipe, onPipeEnd: (e) => ends.push(e) });
  const rec = factory.open({ app: "live", stream: "cam", startedAt: new Date(0) })!;
  rec.writeVideo(0, KEY);
  rec.writeVideo(40, INTER);
  const result = await rec.close();
  await factory.settled();
  assert.equal(result.path, null);
  assert.ok(closed, "the pipe is closed when its publish ends");
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) bytes.set(c, (at += c.length) - c.length);
  const { tags, end } = decodeFlvTags(bytes);
  assert.equal(end, bytes.length);
  assert.deepEqual(tags.filter((t) => t.type === 9).map((t) => t.timestamp), [0, 40]);
  assert.deepEqual(ends, [{ kind: "finished", bytes: bytes.length, closeError: null }]);
  assert.equal(
    factory.open({ app: "live", stream: "other", startedAt: new Date(0) }),
    null,
    "the pipe goes to the first publish only",
  );
});

Deno.test("RecordingFactory.open() throws when the record dir is a file, leaving nothing behind", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/live`, "not a directory");
    const factory = new RecordingFactory({ recordDir: dir, pipe: null });
    assert.throws(() => factory.open({ app: "live", stream: "cam", startedAt: new Date(0) }));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["live"]);
  });
});

Deno.test("Recording.close() removes a recording with no tag in it", async () => {
  await withDir(async (dir) => {
    const rec = new RecordingFactory({ recordDir: dir, pipe: null })
      .open({ app: "live", stream: "cam", startedAt: new Date(0) })!;
    const result = await rec.close();
    assert.deepEqual(result, { path: null, bytes: 0, durationMs: 0, state: "done", error: null });
    assert.deepEqual([...Deno.readDirSync(`${dir}/live`)], []);
  });
});

Deno.test("RecordingConsumer copies on take: file and pipe keep the bytes a reused view had then", async () => {
  await withDir(async (dir) => {
    const chunks: Uint8Array[] = [];
    const pipe: PipeWriter = {
      write: (p) => {
        chunks.push(p.slice());
        return Promise.resolve(p.length);
      },
      close() {},
    };
    const factory = new RecordingFactory({ recordDir: dir, pipe });
    const rec = factory.open({ app: "live", stream: "cam", startedAt: new Date(0) })!;
    const stream = new LiveStream({
      key: "live/cam",
      app: "live",
      name: "cam",
      publisherId: "p1",
      startedAt: "1970-01-01T00:00:00.000Z",
      gopCacheBytes: 0,
      codecs: { video: { codec: "h264" }, audio: { codec: "aac" } },
    });
    const consumer = new RecordingConsumer(rec, { id: "recording:p1:1" });
    assert.equal(consumer.copiesOnTake, true);
    stream.attach(consumer);
    const parserMemory = new Uint8Array(5);
    for (const [t, frame] of [[0, KEY], [40, INTER]] as const) {
      parserMemory.set(frame);
      stream.publish({
        kind: "video",
        timestamp: t,
        body: parserMemory,
        keyframe: t === 0,
        config: false,
      });
    }
    parserMemory.fill(0xff);
    stream.end("Publisher ended");
    const result = await rec.close();
    await factory.settled();
    const fromFile = decodeFlvTags(await Deno.readFile(result.path!)).tags;
    const fromPipe = decodeFlvTags(concat(chunks)).tags;
    for (const tags of [fromFile, fromPipe]) {
      const video = tags.filter((t) => t.type === 9);
      assert.deepEqual(video.map((t) => [t.timestamp, [...t.body]]), [[0, [...KEY]], [40, [
        ...INTER,
      ]]]);
    }
  });
});
