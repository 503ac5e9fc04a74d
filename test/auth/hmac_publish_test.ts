import assert from "node:assert/strict";
import { signName } from "../../src/auth/hmac.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { assertGood, byName, noFfmpeg, publish } from "../faults/fault_env.ts";
import { recordings, type TestServer, testServer, until } from "../interop/harness.ts";

const SECRET = "interop-secret";
const SECONDS = 3;

/** The sessions once every one is closed and its recording finalized (or it had none). */
async function settled(s: TestServer): Promise<SessionInfo[]> {
  const view = s.server.registry.view();
  await until(() =>
    view.list().every((x) =>
      x.state === "closed" && x.recording?.state !== "finalizing" &&
      x.recording?.state !== "recording"
    )
  );
  await recordings(s.recordDir);
  return view.list();
}

Deno.test({
  name:
    "with --publish-auth hmac a signed URL publishes and unsigned, expired or forged ones are refused",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({ config: { publishAuth: "hmac", hmacSecret: SECRET } });
    const exp = Math.floor(Date.now() / 1000) + 600;
    const good = signName(SECRET, { app: "live", name: "good", exp });
    const expired = signName(SECRET, { app: "live", name: "old", exp: exp - 3600 });
    const forged = signName("not-the-secret", { app: "live", name: "forged", exp });
    const url = `${s.rtmpUrl}/live`;
    const [ok, unsigned, old, bad] = await Promise.all([
      publish(`${url}/${good}`, SECONDS),
      publish(`${url}/unsigned`, SECONDS),
      publish(`${url}/${expired}`, SECONDS),
      publish(`${url}/${forged}`, SECONDS),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const list = await settled(s);
    await assertGood(byName(list, "good"), SECONDS);
    const refused: [string, { code: number; stderr: string }, RegExp][] = [
      ["unsigned", unsigned, /^Publish refused: Missing signature/],
      ["old", old, /^Publish refused: Signature expired$/],
      ["forged", bad, /^Publish refused: Bad signature$/],
    ];
    for (const [name, run, reason] of refused) {
      assert.notEqual(run.code, 0, `${name}: FFmpeg exits with an error`);
      // A refused name may be a stream key: the session does not show it.
      const info = list.find((x) => reason.test(x.closeReason ?? ""));
      assert.ok(info !== undefined, `${name} has a session`);
      assert.equal(info.streamName, null, `${name}: the refused name is not shown`);
      assert.equal(info.state, "closed");
      assert.equal(info.publishStartedAt ?? null, null, `${name}: never published`);
      assert.equal(info.recording ?? null, null, `${name}: nothing recorded`);
    }
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1, files.join(", "));
    assert.match(files[0]!, /good/);
    const shown = JSON.stringify(list);
    assert.ok(!shown.includes("sig="), "no signature in the sessions the API shows");
  },
});
