import assert from "node:assert/strict";
import { signName } from "../../src/auth/hmac.ts";
import { noFfmpeg, publish } from "../faults/fault_env.ts";
import { spawnServer } from "../interop/harness.ts";

const SECRET = "cli-secret-do-not-log";

Deno.test({
  name:
    "deno task serve --publish-auth hmac logs its mode and never logs a signature or the secret",
  ignore: noFfmpeg,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-auth-" });
    try {
      await Deno.writeTextFile(`${dir}/secret`, `${SECRET}\n`);
      const s = await spawnServer([
        ...["--record-dir", `${dir}/rec`, "--publish-auth", "hmac"],
        ...["--hmac-secret-file", `${dir}/secret`],
      ]);
      const exp = Math.floor(Date.now() / 1000) + 600;
      const good = signName(SECRET, { app: "live", name: "good", exp });
      const forged = signName("guess", { app: "live", name: "forged", exp });
      const url = `rtmp://127.0.0.1:${s.rtmpPort}/live`;
      const [ok, bad] = await Promise.all([
        publish(`${url}/${good}`, 1),
        publish(`${url}/${forged}`, 1),
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.notEqual(bad.code, 0);
      s.child.kill("SIGTERM");
      assert.equal((await s.child.status).code, 0);
      const log = await s.log();
      assert.match(log, /Publish auth: hmac/);
      assert.doesNotMatch(log, /anyone may publish/);
      assert.match(log, /publishing live\/good/);
      assert.match(log, /publish refused \(NetStream\.Publish\.BadName\): Bad signature/);
      for (const signed of [good, forged]) assert.ok(!log.includes(signed.split("sig=")[1]!));
      assert.doesNotMatch(log, /sig=|cli-secret/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task serve warns at start that anyone may publish by default", async () => {
  const s = await spawnServer(["--no-record"]);
  s.child.kill("SIGTERM");
  await s.child.status;
  assert.match(await s.log(), /\[WRN\] rtmp-edge: Publish auth: open \(anyone may publish\)/);
});
