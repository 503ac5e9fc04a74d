import assert from "node:assert/strict";
import { RecordingFactory } from "../../src/record/recording.ts";

Deno.test("RecordingFactory keeps recording to the file when the pipe is broken from the start", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const errors: unknown[] = [];
    const broken = {
      writeSync(): number {
        throw new Deno.errors.BrokenPipe("reader gone");
      },
    };
    const factory = new RecordingFactory({
      recordDir: dir,
      pipe: broken,
      onPipeError: (e) => errors.push(e),
    });
    const rec = factory.open({ app: "live", stream: "cam", startedAt: new Date(0) })!;
    rec.writeVideo(0, new Uint8Array([0x17, 1, 0, 0, 0]));
    rec.writeVideo(40, new Uint8Array([0x27, 1, 0, 0, 0]));
    const result = rec.close();
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof Deno.errors.BrokenPipe);
    assert.equal(result.path, `${dir}/live/cam-19700101T000000Z.flv`);
    assert.equal((await Deno.stat(result.path!)).size, result.bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RecordingFactory fits a 256-byte app name into a directory name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const app = "a".repeat(256);
    const rec = new RecordingFactory({ recordDir: dir, pipe: null })
      .open({ app, stream: "cam", startedAt: new Date(0) })!;
    const { path } = rec.close();
    assert.ok(path!.startsWith(`${dir}/${"a".repeat(215)}_`), path!);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
