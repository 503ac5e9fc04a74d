import assert from "node:assert/strict";
import { join } from "node:path";
import { FLV_FILE_BUFFER_SIZE, openFlvFile, pipeOutput } from "../../src/record/flv_output.ts";

async function withTempDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "flv_output_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

Deno.test("openFlvFile() creates parent directories and buffers until flush", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "live", "deep", "a.flv");
    const out = openFlvFile(path);
    try {
      out.write(filled(100, 1));
      assert.equal(out.bytesWritten, 100);
      assert.equal(Deno.statSync(path).size, 0);
      out.flush();
      assert.equal(Deno.statSync(path).size, 100);
    } finally {
      out.close();
    }
  });
});

Deno.test("openFlvFile() flushes before a write that does not fit, keeping whole writes", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "a.flv");
    const out = openFlvFile(path);
    try {
      out.write(filled(FLV_FILE_BUFFER_SIZE - 10, 1));
      out.write(filled(20, 2));
      assert.equal(Deno.statSync(path).size, FLV_FILE_BUFFER_SIZE - 10);
      out.write(filled(FLV_FILE_BUFFER_SIZE + 1, 3)); // larger than the buffer: written through
      assert.equal(Deno.statSync(path).size, 2 * FLV_FILE_BUFFER_SIZE + 11);
      assert.equal(out.bytesWritten, 2 * FLV_FILE_BUFFER_SIZE + 11);
    } finally {
      out.close();
    }
    const bytes = Deno.readFileSync(path);
    assert.equal(bytes[FLV_FILE_BUFFER_SIZE - 11], 1);
    assert.deepEqual(
      bytes.subarray(FLV_FILE_BUFFER_SIZE - 10, FLV_FILE_BUFFER_SIZE + 10),
      filled(20, 2),
    );
    assert.equal(bytes.at(-1), 3);
  });
});

Deno.test("openFlvFile() patches in place and goes on appending at the end", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "a.flv");
    const out = openFlvFile(path);
    try {
      out.write(filled(10, 1));
      out.patch?.(2, filled(3, 9));
      out.write(filled(2, 5));
      assert.equal(out.bytesWritten, 12);
      assert.throws(() => out.patch?.(10, filled(3, 0)), RangeError);
    } finally {
      out.close();
    }
    assert.deepEqual(Deno.readFileSync(path), new Uint8Array([1, 1, 9, 9, 9, 1, 1, 1, 1, 1, 5, 5]));
  });
});

Deno.test("openFlvFile() refuses an existing file and writes after close", async () => {
  await withTempDir((dir) => {
    const path = join(dir, "a.flv");
    const out = openFlvFile(path);
    out.write(filled(4, 7));
    out.close();
    out.close();
    assert.deepEqual(Deno.readFileSync(path), filled(4, 7));
    assert.throws(() => out.write(filled(1, 0)), Deno.errors.BadResource);
    assert.throws(() => openFlvFile(path), Deno.errors.AlreadyExists);
  });
});

Deno.test("pipeOutput() retries partial writes until each write is whole", () => {
  const got: number[] = [];
  const out = pipeOutput({
    writeSync(p) {
      const n = Math.min(3, p.length);
      got.push(...p.subarray(0, n));
      return n;
    },
  });
  assert.equal(out.patch, undefined);
  const bytes = Uint8Array.from({ length: 20 }, (_, i) => i);
  out.write(bytes);
  out.flush();
  assert.deepEqual(got, [...bytes]);
  assert.equal(out.bytesWritten, 20);
  out.close();
  assert.throws(() => out.write(bytes), Deno.errors.BadResource);
});

Deno.test("pipeOutput() fails when the writer makes no progress", () => {
  const out = pipeOutput({ writeSync: () => 0 });
  assert.throws(() => out.write(filled(5, 1)), {
    name: "WriteZero",
    message: "Write made no progress with 5 bytes left",
  });
});
