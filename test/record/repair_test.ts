import assert from "node:assert/strict";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { AmfEcmaArray } from "../../src/rtmp/amf_value.ts";
import { decodeFlvTags, encodeFlvHeader, encodeFlvTag } from "../../src/record/flv.ts";
import { repairRecordings } from "../../src/record/repair.ts";

function partFile(tags: number, tornBytes: number): Uint8Array {
  const meta = new AmfEcmaArray([["duration", 0], ["filesize", 0], ["width", 320]]);
  const parts = [
    encodeFlvHeader({ audio: true, video: true }),
    encodeFlvTag({ type: 18, timestamp: 0, body: encodeAmf0(["onMetaData", meta]) }),
  ];
  for (let i = 0; i < tags; i++) {
    parts.push(
      encodeFlvTag({ type: 9, timestamp: i * 40, body: new Uint8Array([0x27, 1, 0, 0, 0, i]) }),
    );
  }
  const torn = encodeFlvTag({ type: 9, timestamp: tags * 40, body: new Uint8Array(100) });
  parts.push(torn.subarray(0, tornBytes));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("repairRecordings() cuts a torn last tag, patches duration and filesize, and renames", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/live`);
    const bytes = partFile(26, 57);
    await Deno.writeFile(`${dir}/live/cam-20261124T130000Z.flv.part`, bytes);
    const done = repairRecordings(dir).repaired;
    assert.equal(done.length, 1);
    assert.equal(done[0]!.path, `${dir}/live/cam-20261124T130000Z.flv`);
    assert.equal(done[0]!.tags, 27);
    assert.equal(done[0]!.truncatedBytes, 57);
    assert.equal(done[0]!.durationMs, 1000);
    const fixed = await Deno.readFile(done[0]!.path);
    assert.equal(fixed.length, bytes.length - 57);
    const { tags, end } = decodeFlvTags(fixed);
    assert.equal(end, fixed.length);
    assert.equal(tags.length, 27);
    const meta = new TextDecoder("latin1").decode(tags[0]!.body);
    assert.ok(meta.includes("duration"));
    const view = new DataView(tags[0]!.body.buffer, tags[0]!.body.byteOffset);
    const at = (key: string) => meta.indexOf(key) + key.length + 1;
    assert.equal(view.getFloat64(at("duration")), 1);
    assert.equal(view.getFloat64(at("filesize")), fixed.length);
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
    await Deno.writeFile(`${dir}/a.flv.part`, partFile(3, 0));
    const [r] = repairRecordings(dir).repaired;
    assert.equal(r!.path, `${dir}/a-recovered-1.flv`);
    assert.deepEqual(await Deno.readFile(`${dir}/a.flv`), new Uint8Array([1]));
    assert.deepEqual(repairRecordings(`${dir}/nope`), { repaired: [], failed: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
