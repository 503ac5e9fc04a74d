import assert from "node:assert/strict";
import { join } from "node:path";
import { MediaError } from "../../src/errors.ts";
import { decodeFlvTags, type FlvTag } from "../../src/record/flv.ts";
import { openFileSink } from "../../src/record/file_sink.ts";
import { float64, type FlvOutput, FlvWriter } from "../../src/record/flv_writer.ts";
import { decodeAmf0 } from "../../src/rtmp/amf0.ts";
import { AmfEcmaArray, type AmfValue } from "../../src/rtmp/amf_value.ts";

/** An FlvOutput over memory. */
class MemoryOutput implements FlvOutput {
  bytes = new Uint8Array(0);

  constructor(_patchable: boolean) {}

  patch(offset: number, bytes: Uint8Array): void {
    this.bytes.set(bytes, offset);
  }

  get bytesWritten(): number {
    return this.bytes.length;
  }

  write(...parts: Uint8Array[]): void {
    for (const bytes of parts) {
      const next = new Uint8Array(this.bytes.length + bytes.length);
      next.set(this.bytes);
      next.set(bytes, this.bytes.length);
      this.bytes = next;
    }
  }
}

function metadataOf(tag: FlvTag | undefined): Map<string, AmfValue> {
  assert.equal(tag?.type, 18);
  const [name, data] = decodeAmf0(tag.body);
  assert.equal(name, "onMetaData");
  assert.ok(data instanceof Map);
  return data;
}

function mediaTags(bytes: Uint8Array): [number, number, number][] {
  return decodeFlvTags(bytes).tags.filter((t) => t.type !== 18).map((t) => [
    t.type,
    t.timestamp,
    t.body[0] ?? -1,
  ]);
}

Deno.test("FlvWriter writes the header and the client's metadata as the first tag", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: false });
  const meta = new AmfEcmaArray([["duration", 0], ["width", 320], ["fileSize", 5], ["x", "y"]]);
  assert.equal(writer.writeMetadata(meta), true);
  const { header, tags } = decodeFlvTags(out.bytes);
  assert.deepEqual(header, { audio: true, video: false });
  assert.equal(tags.length, 1);
  const data = metadataOf(tags[0]);
  assert.ok(data instanceof AmfEcmaArray);
  assert.deepEqual([...data], [["duration", 0], ["filesize", 0], ["width", 320], ["x", "y"]]);
});

Deno.test("FlvWriter keeps a metadata object as an AMF0 object", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  writer.writeMetadata(new Map([["width", 640]]));
  const [tag] = decodeFlvTags(out.bytes).tags;
  assert.equal(tag?.body[13], 0x03); // after the 13-byte "onMetaData" string
  assert.deepEqual([...metadataOf(tag)], [["duration", 0], ["filesize", 0], ["width", 640]]);
});

Deno.test("FlvWriter writes metadata once and ignores repeats", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  writer.writeMetadata(new AmfEcmaArray([["width", 640]]));
  writer.writeVideo(0, new Uint8Array([0x17]));
  assert.equal(writer.writeMetadata(new AmfEcmaArray([["width", 1280]])), false);
  const { tags } = decodeFlvTags(out.bytes);
  assert.deepEqual(tags.map((t) => t.type), [18, 9]);
});

Deno.test("FlvWriter synthesizes metadata when media arrives first", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  writer.writeAudio(300, new Uint8Array([0xaf, 0x00]));
  assert.equal(writer.writeMetadata(new AmfEcmaArray([["width", 640]])), false);
  const { tags } = decodeFlvTags(out.bytes);
  assert.deepEqual(tags.map((t) => t.type), [18, 8]);
  const data = metadataOf(tags[0]);
  assert.ok(data instanceof AmfEcmaArray);
  assert.deepEqual([...data], [["duration", 0], ["filesize", 0]]);
});

Deno.test("FlvWriter rebases timestamps and writes every tag in order", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  writer.writeVideo(5000, new Uint8Array([0x17, 0x00])); // sequence header
  writer.writeAudio(5000, new Uint8Array([0xaf, 0x00])); // sequence header
  writer.writeVideo(5000, new Uint8Array([0x17, 0x01]));
  writer.writeAudio(5023, new Uint8Array([0xaf, 0x01]));
  writer.writeVideo(5040, new Uint8Array([0x27, 0x01]));
  writer.writeAudio(5035, new Uint8Array([0xaf, 0x01])); // interleaved, slightly older
  assert.deepEqual(mediaTags(out.bytes), [
    [9, 0, 0x17],
    [8, 0, 0xaf],
    [9, 0, 0x17],
    [8, 23, 0xaf],
    [9, 40, 0x27],
    [8, 35, 0xaf],
  ]);
  assert.equal(writer.end().durationMs, 40);
});

Deno.test("FlvWriter rebases across the 2^32 timestamp wrap", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: false, hasVideo: true });
  writer.writeVideo(0xffffff00, new Uint8Array([0x17]));
  writer.writeVideo(0xffffffff, new Uint8Array([0x27]));
  writer.writeVideo(0x10, new Uint8Array([0x27]));
  assert.deepEqual(mediaTags(out.bytes).map((t) => t[1]), [0, 0xff, 0x110]);
  assert.equal(writer.end().durationMs, 0x110);
});

Deno.test("FlvWriter writes tags older than the first at 0", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  writer.writeAudio(100, new Uint8Array([0xaf]));
  writer.writeVideo(90, new Uint8Array([0x17]));
  writer.writeVideo(200, new Uint8Array([0x27]));
  assert.deepEqual(mediaTags(out.bytes).map((t) => t[1]), [0, 0, 100]);
});

Deno.test("FlvWriter.end() tells where duration and filesize go, and which tracks came", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  writer.writeMetadata(new AmfEcmaArray([["duration", 99], ["filesize", 99], ["width", 2]]));
  writer.writeVideo(1000, new Uint8Array(100));
  writer.writeVideo(3500, new Uint8Array(100));
  const result = writer.end();
  assert.equal(result.bytes, out.bytes.length);
  assert.equal(result.durationMs, 2500);
  assert.equal(result.flags, 0x01, "a video-only stream announces video only");
  out.patch(result.durationAt, float64(2.5));
  out.patch(result.filesizeAt, float64(result.bytes));
  const data = metadataOf(decodeFlvTags(out.bytes).tags[0]);
  assert.equal(data.get("duration"), 2.5);
  assert.equal(data.get("filesize"), out.bytes.length);
  assert.equal(data.get("width"), 2);
  assert.deepEqual(writer.end(), result);
});

Deno.test("FlvWriter.end() has no metadata offsets when no tag was written", () => {
  const out = new MemoryOutput(false);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  const result = writer.end();
  assert.deepEqual(result, { bytes: 13, durationMs: 0, durationAt: -1, filesizeAt: -1, flags: 0 });
});

Deno.test("FlvWriter refuses writes after close and bad timestamps", () => {
  const out = new MemoryOutput(true);
  const writer = new FlvWriter(out, { hasAudio: true, hasVideo: true });
  assert.throws(() => writer.writeVideo(-1, new Uint8Array(1)), MediaError);
  assert.throws(() => writer.writeAudio(2 ** 32, new Uint8Array(1)), MediaError);
  writer.end();
  assert.throws(() => writer.writeVideo(0, new Uint8Array(1)), Deno.errors.BadResource);
  assert.throws(() => writer.writeMetadata(new Map()), Deno.errors.BadResource);
});

async function hasBinary(name: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(name, { args: ["-version"], stdout: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function run(name: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(name, { args }).output();
  const text = new TextDecoder();
  assert.ok(success, `${name} ${args.join(" ")} failed: ${text.decode(stderr)}`);
  return text.decode(stdout);
}

const HAVE_FFMPEG = await hasBinary("ffmpeg") && await hasBinary("ffprobe");
if (!HAVE_FFMPEG) {
  console.warn("!!! ffmpeg/ffprobe not found: SKIPPING the FlvWriter real-file test !!!");
}

Deno.test({
  name: "FlvWriter writes an H.264 file that ffprobe reads with 10 frames from 0",
  ignore: !HAVE_FFMPEG,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "flv_writer_test_" });
    try {
      const source = join(dir, "source.flv");
      await run("ffmpeg", [
        ...["-v", "error", "-f", "lavfi", "-i", "testsrc=d=1:rate=10"],
        ...["-c:v", "libx264", "-f", "flv", source],
      ]);
      const { tags } = decodeFlvTags(await Deno.readFile(source));

      const target = join(dir, "out", "recorded.flv");
      const sink = openFileSink(target, {
        maxQueuedBytes: 1 << 24,
        onError: (e) => assert.fail(e.message),
      });
      const writer = new FlvWriter(sink, { hasAudio: false, hasVideo: true });
      for (const tag of tags) {
        if (tag.type === 18) {
          const [, meta] = decodeAmf0(tag.body);
          assert.ok(meta instanceof Map);
          writer.writeMetadata(meta);
        } else if (tag.type === 9) {
          writer.writeVideo(tag.timestamp + 5000, tag.body);
        }
      }
      const result = writer.end();
      const kept = await sink.finish(result);
      assert.equal(kept.bytes, result.bytes);

      const written = await Deno.readFile(target);
      assert.equal(result.bytes, written.length);
      assert.equal(result.durationMs, 900);
      const out = decodeFlvTags(written);
      assert.equal(out.end, written.length);
      assert.equal(out.tags[1]?.timestamp, 0);
      assert.equal(metadataOf(out.tags[0]).get("filesize"), written.length);

      const frames = await run("ffprobe", [
        ...["-v", "error", "-count_frames", "-select_streams", "v:0"],
        ...["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", target],
      ]);
      assert.equal(frames.trim(), "10");
      const format = JSON.parse(
        await run("ffprobe", ["-v", "error", "-show_format", "-of", "json", target]),
      );
      const duration = Number(format.format.duration);
      assert.ok(Math.abs(duration - 0.9) <= 0.05, `duration ${duration} is not near 0.9 s`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
