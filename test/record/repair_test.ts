import assert from "node:assert/strict";
import { decodeFlvTags, encodeFlvTag } from "../../src/record/flv.ts";
import { repairRecordings } from "../../src/record/repair.ts";
import { concat, flvFile, metaNumber } from "./flv_files.ts";

Deno.test("repairRecordings() cuts a torn last tag, patches duration and filesize, and renames", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/live`);
    const bytes = flvFile(26, 57);
    await Deno.writeFile(`${dir}/live/cam-20261124T130000Z.flv.part`, bytes);
    const done = repairRecordings(dir).repaired;
    assert.equal(done.length, 1);
    assert.equal(done[0]!.kind, "part");
    assert.equal(done[0]!.path, `${dir}/live/cam-20261124T130000Z.flv`);
    assert.equal(done[0]!.tags, 27);
    assert.equal(done[0]!.truncatedBytes, 57);
    assert.equal(done[0]!.durationMs, 1000);
    const fixed = await Deno.readFile(done[0]!.path);
    assert.equal(fixed.length, bytes.length - 57);
    const { tags, end } = decodeFlvTags(fixed);
    assert.equal(end, fixed.length);
    assert.equal(tags.length, 27);
    assert.equal(metaNumber(tags[0]!.body, "duration"), 1);
    assert.equal(metaNumber(tags[0]!.body, "filesize"), fixed.length);
    await assert.rejects(
      Deno.stat(`${dir}/live/cam-20261124T130000Z.flv.part`),
      Deno.errors.NotFound,
    );
    assert.deepEqual(repairRecordings(dir), { repaired: [], failed: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repairRecordings() keeps an existing .flv and finds nothing in a missing dir", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/a.flv`, new Uint8Array([1]));
    await Deno.writeFile(`${dir}/a.flv.part`, flvFile(3, 0));
    const [r] = repairRecordings(dir).repaired;
    assert.equal(r!.path, `${dir}/a-recovered-1.flv`);
    assert.deepEqual(await Deno.readFile(`${dir}/a.flv`), new Uint8Array([1]));
    assert.deepEqual(repairRecordings(`${dir}/nope`), { repaired: [], failed: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repairRecordings() cuts a torn .flv in place and patches duration and filesize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/live`);
    const path = `${dir}/live/cam-20261124T130000Z.flv`;
    const bytes = flvFile(26, 57);
    await Deno.writeFile(path, bytes);
    const { repaired, failed } = repairRecordings(dir);
    assert.deepEqual(failed, []);
    assert.equal(repaired.length, 1);
    const r = repaired[0]!;
    assert.deepEqual(
      [r.kind, r.found, r.path, r.tags, r.truncatedBytes, r.durationMs],
      ["flv", path, path, 27, 57, 1000],
    );
    assert.match(r.reason!, /runs past the end/);
    const fixed = await Deno.readFile(path);
    assert.equal(fixed.length, bytes.length - 57);
    const { tags, end } = decodeFlvTags(fixed);
    assert.equal(end, fixed.length);
    assert.equal(metaNumber(tags[0]!.body, "duration"), 1);
    assert.equal(metaNumber(tags[0]!.body, "filesize"), fixed.length);
    assert.deepEqual(repairRecordings(dir), { repaired: [], failed: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repairRecordings() leaves a clean .flv untouched, mtime and all", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/clean.flv`;
    const bytes = flvFile(30, 0);
    await Deno.writeFile(path, bytes);
    const past = new Date(Date.UTC(2024, 0, 1));
    await Deno.utime(path, past, past);
    assert.deepEqual(repairRecordings(dir), { repaired: [], failed: [] });
    assert.equal((await Deno.stat(path)).mtime?.getTime(), past.getTime());
    assert.deepEqual(await Deno.readFile(path), bytes);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repairRecordings() cuts a .flv at the first tag with a bad PreviousTagSize", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = flvFile(5, 0);
    const bad = encodeFlvTag({ type: 9, timestamp: 200, body: new Uint8Array(6) });
    bad[bad.length - 2] = 1;
    await Deno.writeFile(`${dir}/b.flv`, concat([good, bad, flvFile(3, 0).subarray(13)]));
    const [r] = repairRecordings(dir).repaired;
    assert.deepEqual([r!.tags, r!.durationMs], [6, 160]);
    assert.match(r!.reason!, /PreviousTagSize 273, not 17/);
    const fixed = await Deno.readFile(`${dir}/b.flv`);
    assert.deepEqual(fixed.subarray(good.length - 5 * 21), good.subarray(good.length - 5 * 21));
    assert.equal(fixed.length, good.length);
    const meta = decodeFlvTags(fixed).tags[0]!.body;
    assert.deepEqual([metaNumber(meta, "duration"), metaNumber(meta, "filesize")], [
      0.16,
      good.length,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("repairRecordings() reports a garbage .flv and leaves it and an empty .flv alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const garbage = new TextEncoder().encode("<html>not a recording</html>");
    await Deno.writeFile(`${dir}/garbage.flv`, garbage);
    await Deno.writeFile(`${dir}/empty.flv`, new Uint8Array(0));
    const { repaired, failed } = repairRecordings(dir);
    assert.deepEqual(repaired, []);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.kind, "flv");
    assert.equal(failed[0]!.found, `${dir}/garbage.flv`);
    assert.match(String(failed[0]!.error), /Not an FLV file \(28 bytes\): No FLV header/);
    assert.deepEqual(await Deno.readFile(`${dir}/garbage.flv`), garbage);
    assert.equal((await Deno.stat(`${dir}/empty.flv`)).size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
