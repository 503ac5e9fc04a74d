import assert from "node:assert/strict";
import { have, missing, run, spawnServer } from "../interop/harness.ts";

const noFfmpeg = missing("ffmpeg", have("ffmpeg", "-version"));

const FIELDS = ["time", "level", "msg", "sessionId", "app", "name", "remoteAddr", "reason"];

Deno.test({
  name: "--log-format json writes every line as JSON with the stable fields, a health change once",
  ignore: noFfmpeg,
  async fn() {
    // A keyframe every 4 s against a 0.5 s warning level: the publish turns `warning` once.
    const s = await spawnServer([
      ...["--log-format", "json", "--no-record", "--health-keyframe-warn", "500"],
      ...["--health-stopped", "60000"], // a slow first frame must not count as a change
    ]);
    let log = "";
    try {
      const r = await run("ffmpeg", [
        ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
        ...["-i", "testsrc=size=160x120:rate=25", "-t", "3", "-c:v", "libx264"],
        ...["-preset", "ultrafast", "-g", "100", "-f", "flv"],
        `rtmp://127.0.0.1:${s.rtmpPort}/live/jsonlog?key=hunter2`,
      ]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      s.child.kill("SIGTERM");
      assert.equal((await s.child.status).code, 0);
      log = await s.log();
      await s.stdout;
    }
    const lines = log.split("\n").filter((l) => l !== "");
    assert.ok(lines.length > 5, log);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const rec of records) {
      for (const f of FIELDS) assert.ok(f in rec, `${f} missing in ${JSON.stringify(rec)}`);
      assert.match(String(rec.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(["debug", "info", "warning", "error"].includes(String(rec.level)));
      assert.equal(typeof rec.msg, "string");
    }
    const connected = records.find((r) => /connected from/.test(String(r.msg)));
    assert.ok(connected, log);
    assert.match(String(connected.sessionId), /^[0-9a-f]{12}$/);
    assert.match(String(connected.remoteAddr), /^127\.0\.0\.1:\d+$/);
    const publishing = records.find((r) => / publishing live\/jsonlog/.test(String(r.msg)));
    assert.ok(publishing, log);
    assert.deepEqual([publishing.app, publishing.name], ["live", "jsonlog"]);
    assert.equal(publishing.sessionId, connected.sessionId);
    const closed = records.find((r) => / closed \(/.test(String(r.msg)));
    assert.ok(closed, log);
    assert.equal(typeof closed.reason, "string");
    const changes = records.filter((r) => /health good -> warning/.test(String(r.msg)));
    assert.equal(changes.length, 1, log);
    assert.equal(changes[0]!.sessionId, connected.sessionId);
    assert.deepEqual([changes[0]!.app, changes[0]!.name], ["live", "jsonlog"]);
    assert.match(String(changes[0]!.reason), /^keyframe interval \d\.\d s \(> 0\.5 s\)$/);
    assert.doesNotMatch(log, /hunter2/);
  },
});
