/**
 * SIGHUP reloads the config file of `deno task serve`: new rules for new publishes and
 * plays, live sessions go on, a bad file is refused with one log line and the old rules stay.
 * @module
 */

import assert from "node:assert/strict";
import { signName } from "../../src/auth/hmac.ts";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { spawnServer, until } from "../interop/harness.ts";

const SECRET = "sighup-secret-never-logged";

function videoBody(key: boolean): Uint8Array {
  const b = new Uint8Array(400);
  b[0] = key ? 0x17 : 0x27;
  b[1] = 1;
  return b;
}

/** The HTTP-FLV status of `path` (the body, if any, is let go). */
async function flvStatus(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.body?.cancel();
  return res.status;
}

Deno.test("SIGHUP applies a changed config file to new publishes and plays; a bad file is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-sighup-" });
  const file = `${dir}/rtmp-edge.toml`;
  const lines = (log: string, what: string) => log.split("\n").filter((l) => l.includes(what));
  try {
    await Deno.writeTextFile(`${dir}/live.key`, `${SECRET}\n`);
    await Deno.writeTextFile(file, `record_dir = "${dir}/rec"\n[apps.live]\nplay = true\n`);
    const s = await spawnServer(["--config", file]);
    let holder: RtmpPublisher | null = null;
    try {
      const url = `rtmp://127.0.0.1:${s.rtmpPort}/live`;
      holder = await RtmpPublisher.connect(`${url}/cam`);
      for (let i = 0; i < 5; i++) await holder.sendMedia(9, i * 33, videoBody(i === 0));
      assert.equal(await flvStatus(s.httpFlvPort, "/live/cam.flv"), 200);
      const before = await RtmpPublisher.connect(`${url}/unsigned-before`);
      await before.close();

      // New rules: hmac and no players for live; a limit that needs a restart.
      await Deno.writeTextFile(
        file,
        [
          `record_dir = "${dir}/rec"`,
          "max_connections = 5",
          "[apps.live]",
          'publish_auth = "hmac"',
          `hmac_secret_file = "${dir}/live.key"`,
          "play = false",
        ].join("\n"),
      );
      s.child.kill("SIGHUP");
      await until(() => s.logNow().includes("Config reloaded"), 15_000);
      const log = s.logNow();
      assert.match(
        log,
        /Config reload: max_connections changed but need a restart; kept as they were/,
      );
      assert.match(log, /App live: publish auth hmac, .* play refused/);
      await assert.rejects(RtmpPublisher.connect(`${url}/unsigned-after`), /BadName/);
      const exp = Math.floor(Date.now() / 1000) + 600;
      const signed = await RtmpPublisher.connect(
        `${url}/${signName(SECRET, { app: "live", name: "signed", exp })}`,
      );
      await signed.close();
      assert.equal(await flvStatus(s.httpFlvPort, "/live/cam.flv"), 403);
      // The publisher that started under the old rules goes on.
      for (let i = 5; i < 10; i++) await holder.sendMedia(9, i * 33, videoBody(false));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(holder.closed, false, "the live publisher continues");

      // A bad file: refused in one log line, and the rules above stay.
      await Deno.writeTextFile(file, '[apps.live]\nplay = "no"\nrtmp_prot = 1\n');
      s.child.kill("SIGHUP");
      await until(() => s.logNow().includes("Config reload refused"), 15_000);
      const refused = lines(s.logNow(), "Config reload refused");
      assert.equal(refused.length, 1);
      assert.match(
        refused[0]!,
        /the running config stays: .*rtmp-edge\.toml: apps\.live\.play: expected a boolean, got a string; .*rtmp-edge\.toml: apps\.live\.rtmp_prot: unknown key$/,
      );
      await assert.rejects(RtmpPublisher.connect(`${url}/unsigned-later`), /BadName/);
      assert.equal(await flvStatus(s.httpFlvPort, "/live/cam.flv"), 403);
      assert.equal(holder.closed, false);
      await holder.close();
      holder = null;
    } finally {
      await holder?.close().catch(() => {});
      s.child.kill("SIGTERM");
      assert.equal((await s.child.status).code, 0);
    }
    const log = await s.log();
    assert.equal(lines(log, "Config reloaded").length, 1);
    assert.ok(!log.includes(SECRET), "the secret is never logged");
    assert.doesNotMatch(log, /sig=/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
