import assert from "node:assert/strict";
import { decodeFlvTags } from "../../src/record/flv.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { countFrames, recordings, type TestServer, testServer, until } from "../interop/harness.ts";
import {
  assertGood,
  byName,
  FPS,
  mountTmpfs,
  noFfmpeg,
  NORMAL_CLOSE,
  publish,
} from "./fault_env.ts";

const SECONDS = 4;

/** The sessions once every one is closed and its recording finalized (or it had none). */
async function settled(s: TestServer): Promise<SessionInfo[]> {
  const view = s.server.registry.view();
  await until(() =>
    view.list().every((x) =>
      x.state === "closed" && x.recording?.state !== "finalizing" &&
      x.recording?.state !== "recording"
    )
  );
  await recordings(s.recordDir); // a failed recording may still be being cut back
  return view.list();
}

Deno.test({
  name: "a full disk fails only the recordings on it; they keep whole tags; publishes go on",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer();
    await using mount = await mountTmpfs(`${s.recordDir}/full`, { sizeKb: 64 });
    if (mount === null) return;
    const url = s.rtmpUrl;
    const runs = await Promise.all([
      publish(`${url}/live/g1`, SECONDS),
      publish(`${url}/live/g2`, SECONDS),
      publish(`${url}/full/a`, SECONDS),
      publish(`${url}/full/b`, SECONDS),
    ]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const list = await settled(s);
    await assertGood(byName(list, "g1"), SECONDS);
    await assertGood(byName(list, "g2"), SECONDS);
    let kept = 0;
    for (const name of ["a", "b"]) {
      const info = byName(list, name)!;
      assert.equal(info.video.frames, SECONDS * FPS, `${name}: every frame counted`);
      assert.match(info.closeReason ?? "", NORMAL_CLOSE);
      assert.equal(info.recording?.state, "failed");
      assert.match(info.recording?.error ?? "", /No space left on device/);
      const path = info.recording?.path;
      if (path == null) {
        assert.equal(info.recording?.bytes, 0);
        continue;
      }
      assert.match(path, /\.flv$/);
      const bytes = await Deno.readFile(path);
      assert.equal(info.recording?.bytes, bytes.length, `${name}: bytes reported are on disk`);
      assert.equal(decodeFlvTags(bytes).end, bytes.length, `${name}: ends on a whole tag`);
      const frames = await countFrames(path);
      assert.ok(frames.video > 0 && frames.video < SECONDS * FPS, `${name}: ${frames.video}`);
      kept++;
    }
    assert.ok(kept >= 1, "at least one cut recording is kept");
  },
});

Deno.test({
  name: "a full disk under --on-record-error refuse ends that publish with NetStream.Record.Failed",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({ config: { onRecordError: "refuse" } });
    await using mount = await mountTmpfs(`${s.recordDir}/full`, { sizeKb: 64 });
    if (mount === null) return;
    const [good, bad] = await Promise.all([
      publish(`${s.rtmpUrl}/live/g1`, SECONDS),
      publish(`${s.rtmpUrl}/full/a`, SECONDS),
    ]);
    assert.equal(good.code, 0, good.stderr);
    assert.notEqual(bad.code, 0, "FFmpeg sees the error status");
    const list = await settled(s);
    await assertGood(byName(list, "g1"), SECONDS);
    const info = byName(list, "a")!;
    assert.match(info.closeReason ?? "", /^Recording of full\/a failed: No space left on device/);
    assert.equal(info.recording?.state, "failed");
  },
});

Deno.test({
  name:
    "a read-only dir and a dir replaced by a file: publishes go on unrecorded, nothing left behind",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer();
    await using mount = await mountTmpfs(`${s.recordDir}/ro`, { sizeKb: 64, readOnly: true });
    await Deno.writeTextFile(`${s.recordDir}/blocked`, "a file where a directory should be");
    const url = s.rtmpUrl;
    const runs = await Promise.all([
      publish(`${url}/live/g1`, SECONDS),
      publish(`${url}/blocked/c`, SECONDS),
      ...(mount === null ? [] : [publish(`${url}/ro/d`, SECONDS)]),
    ]);
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const list = await settled(s);
    await assertGood(byName(list, "g1"), SECONDS);
    for (const [name, error] of [["c", /directory|exists/i], ["d", /read-only/i]] as const) {
      if (name === "d" && mount === null) continue;
      const info = byName(list, name)!;
      assert.equal(info.video.frames, SECONDS * FPS, `${name}: every frame counted`);
      assert.match(info.closeReason ?? "", NORMAL_CLOSE);
      assert.equal(info.recording?.state, "failed");
      assert.equal(info.recording?.path, null);
      assert.match(info.recording?.error ?? "", error);
    }
    if (mount !== null) assert.deepEqual([...Deno.readDirSync(mount.path)], []);
  },
});

Deno.test({
  name:
    "a read-only dir under --on-record-error refuse refuses the publish with NetStream.Record.NoAccess",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({ config: { onRecordError: "refuse" } });
    await using mount = await mountTmpfs(`${s.recordDir}/ro`, { sizeKb: 64, readOnly: true });
    if (mount === null) return;
    const [good, bad] = await Promise.all([
      publish(`${s.rtmpUrl}/live/g1`, SECONDS),
      publish(`${s.rtmpUrl}/ro/d`, SECONDS),
    ]);
    assert.equal(good.code, 0, good.stderr);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /NoAccess|Record|refused/i);
    const list = await settled(s);
    await assertGood(byName(list, "g1"), SECONDS);
    const info = byName(list, "d")!;
    assert.equal(info.video.frames, 0);
    assert.match(
      info.closeReason ?? "",
      /^Publish refused: recording of ro\/d could not start: .*read-only/i,
    );
  },
});
