import assert from "node:assert/strict";
import { decodeFlvTags, encodeFlvHeader, encodeFlvTag } from "../../src/record/flv.ts";
import {
  truncateAndPatch,
  truncateAndPatchSync,
  walkFlv,
  walkFlvSync,
} from "../../src/record/flv_walk.ts";
import { concat, flvFile, metaNumber } from "./flv_files.ts";

async function withFile(bytes: Uint8Array, fn: (path: string) => Promise<void> | void) {
  const path = await Deno.makeTempFile({ suffix: ".flv" });
  try {
    await Deno.writeFile(path, bytes);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("walkFlvSync() walks a whole file to its end and finds the metadata", async () => {
  const bytes = flvFile(26, 0);
  await withFile(bytes, (path) => {
    const walk = walkFlvSync(path);
    const tags = decodeFlvTags(bytes).tags;
    assert.equal(walk.size, bytes.length);
    assert.equal(walk.end, bytes.length);
    assert.equal(walk.stop, null);
    assert.equal(walk.header, true);
    assert.equal(walk.tags, 27);
    assert.equal(walk.lastTimestampMs, 1000);
    assert.deepEqual(walk.meta, { at: 13 + 11, size: tags[0]!.body.length });
  });
});

Deno.test("walkFlvSync() ends at the same byte as decodeFlvTags() for every cut of a file", async () => {
  const whole = flvFile(3, 0, 5000);
  const path = await Deno.makeTempFile({ suffix: ".flv" });
  try {
    using file = await Deno.open(path, { read: true, write: true });
    for (let cut = 13; cut <= whole.length; cut += 7) {
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      await file.write(whole.subarray(0, cut));
      const walk = walkFlvSync(file);
      const { tags, end } = decodeFlvTags(whole.subarray(0, cut));
      assert.equal(walk.end, end, `cut at ${cut}`);
      assert.equal(walk.tags, tags.length, `cut at ${cut}`);
      assert.equal(walk.stop === null, end === cut, `cut at ${cut}`);
    }
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("walkFlvSync() stops at a tag whose PreviousTagSize is wrong", async () => {
  const good = flvFile(4, 0);
  const bad = encodeFlvTag({ type: 9, timestamp: 999, body: new Uint8Array(6) });
  bad[bad.length - 1] = 99;
  await withFile(concat([good, bad, flvFile(2, 0).subarray(13)]), (path) => {
    const walk = walkFlvSync(path);
    assert.equal(walk.end, good.length);
    assert.equal(walk.tags, 5);
    assert.equal(walk.lastTimestampMs, 120);
    assert.match(walk.stop!, /PreviousTagSize 99, not 17/);
  });
});

Deno.test("walkFlvSync() stops at a tag of unknown type and at a body past the end", async () => {
  const good = flvFile(2, 0);
  const unknown = encodeFlvTag({ type: 9, timestamp: 80, body: new Uint8Array(6) });
  unknown[0] = 7;
  await withFile(concat([good, unknown]), (path) => {
    assert.match(walkFlvSync(path).stop!, /unknown type 7/);
    assert.equal(walkFlvSync(path).end, good.length);
  });
  await withFile(flvFile(2, 30), (path) => {
    assert.match(walkFlvSync(path).stop!, /of 100 bytes runs past the end/);
    assert.equal(walkFlvSync(path).end, good.length);
  });
});

Deno.test("walkFlvSync() finds no header in garbage and nothing to walk in an empty file", async () => {
  await withFile(new TextEncoder().encode("not a video file at all"), (path) => {
    const walk = walkFlvSync(path);
    assert.deepEqual([walk.header, walk.end, walk.tags, walk.stop], [false, 0, 0, "No FLV header"]);
  });
  await withFile(new Uint8Array(0), (path) => {
    const walk = walkFlvSync(path);
    assert.deepEqual([walk.header, walk.end, walk.size, walk.stop], [false, 0, 0, null]);
  });
  await withFile(encodeFlvHeader({ audio: false, video: true }), (path) => {
    const walk = walkFlvSync(path);
    assert.deepEqual([walk.header, walk.end, walk.tags, walk.stop], [true, 13, 0, null]);
  });
});

Deno.test("walkFlv() finds what walkFlvSync() finds", async () => {
  for (const bytes of [flvFile(40, 0, 3000), flvFile(40, 50, 3000), flvFile(0, 3)]) {
    await withFile(bytes, async (path) => {
      assert.deepEqual(await walkFlv(path), walkFlvSync(path));
    });
  }
});

for (const mode of ["sync", "async"] as const) {
  Deno.test(`truncateAndPatch${mode === "sync" ? "Sync" : ""}() cuts the torn tail and patches duration and filesize`, async () => {
    const bytes = flvFile(26, 57);
    await withFile(bytes, async (path) => {
      const walk = walkFlvSync(path);
      if (mode === "sync") truncateAndPatchSync(path, walk);
      else await truncateAndPatch(path, walk);
      const fixed = await Deno.readFile(path);
      assert.equal(fixed.length, bytes.length - 57);
      const { tags, end } = decodeFlvTags(fixed);
      assert.equal(end, fixed.length);
      assert.equal(metaNumber(tags[0]!.body, "duration"), 1);
      assert.equal(metaNumber(tags[0]!.body, "filesize"), fixed.length);
      assert.equal(walkFlvSync(path).stop, null);
    });
  });
}
