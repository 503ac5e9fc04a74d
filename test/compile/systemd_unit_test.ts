/**
 * `deploy/rtmp-edge.service` passes `systemd-analyze verify` and keeps its hardening. The binary
 * it starts is not installed here, so the check runs on a copy whose ExecStart names a stub.
 * @module
 */

import assert from "node:assert/strict";
import { have, missing, run } from "../interop/harness.ts";

const UNIT = new URL("../../deploy/rtmp-edge.service", import.meta.url);
const noAnalyze = missing(
  "systemd-analyze (Debian package systemd)",
  have("systemd-analyze", "--version"),
);

Deno.test({
  name: "deploy/rtmp-edge.service passes systemd-analyze verify",
  ignore: noAnalyze,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-unit-" });
    try {
      const stub = `${dir}/rtmp-edge`;
      await Deno.writeTextFile(stub, "#!/bin/sh\n", { mode: 0o755 });
      const unit = (await Deno.readTextFile(UNIT)).replaceAll("/usr/local/bin/rtmp-edge", stub);
      await Deno.writeTextFile(`${dir}/rtmp-edge.service`, unit);
      const r = await run("systemd-analyze", ["verify", `${dir}/rtmp-edge.service`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), "");
      const sec = await run("systemd-analyze", [
        ...["security", "--offline=yes", "--threshold=30", `${dir}/rtmp-edge.service`],
      ]);
      assert.equal(sec.code, 0, `exposure above 3.0:\n${sec.stdout}${sec.stderr}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deploy/rtmp-edge.service runs as a dynamic user that may only bind low ports", async () => {
  const unit = await Deno.readTextFile(UNIT);
  for (
    const line of [
      "DynamicUser=yes",
      "ProtectSystem=strict",
      "ReadWritePaths=/var/lib/rtmp-edge",
      "AmbientCapabilities=CAP_NET_BIND_SERVICE",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
      "NoNewPrivileges=yes",
      "ExecReload=/bin/kill -HUP $MAINPID",
    ]
  ) {
    assert.ok(unit.split("\n").includes(line), `missing ${line}`);
  }
  assert.match(unit, /--record-dir \/var\/lib\/rtmp-edge\/recordings/);
});
