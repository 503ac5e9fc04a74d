import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { noFfmpeg, publish } from "../faults/fault_env.ts";
import { spawnServer } from "../interop/harness.ts";
import { hookServer, json } from "./hook_server.ts";

Deno.test({
  name:
    "deno task serve --publish-auth webhook: FFmpeg publishes, a refusal is one line, no key is logged",
  ignore: noFfmpeg,
  async fn() {
    await using hook = hookServer((call) =>
      call.body.name === "KEYSECRET1" ? json({ name: "chan1" }) : new Response("", { status: 403 })
    );
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-hook-" });
    try {
      const s = await spawnServer([
        ...["--record-dir", dir, "--publish-auth", "webhook"],
        ...["--on-publish", `${hook.url}/auth?token=URLSECRET`, "--edge-id", "e1"],
      ]);
      const url = `rtmp://127.0.0.1:${s.rtmpPort}/live`;
      const ok = await publish(`${url}/KEYSECRET1?k=QUERYSECRET`, 1);
      assert.equal(ok.code, 0, ok.stderr);
      await assert.rejects(
        RtmpPublisher.connect(`${url}/KEYSECRET2?k=QUERYSECRET`),
        /NetStream\.Publish\.BadName/,
      );
      s.child.kill("SIGTERM");
      assert.equal((await s.child.status).code, 0);
      const log = await s.log();
      assert.match(log, /Publish auth: webhook to http:\/\/127\.0\.0\.1:\d+ \(3000 ms timeout\)/);
      assert.match(log, /publishing live\/chan1 \(named by the authorizer\)/);
      const refusals = log.split("\n").filter((l) => l.includes("publish refused"));
      assert.equal(refusals.length, 1, refusals.join("\n"));
      assert.match(refusals[0]!, /\(NetStream\.Publish\.BadName\): Webhook answered 403$/);
      assert.doesNotMatch(log, /URLSECRET|QUERYSECRET|KEYSECRET/);
      assert.equal(hook.calls[0]!.body.key, "k=QUERYSECRET");
      assert.equal(hook.calls[0]!.body.edgeId, "e1");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
