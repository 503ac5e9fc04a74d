/**
 * `deno task compile`: the binary builds, runs with the same flags, and records what FFmpeg
 * publishes over RTMP and RTMPS. Building needs Deno's `denort` runtime (downloaded once into
 * `$DENO_DIR`, or `DENORT_BIN`); where it cannot be had the build test is skipped loudly, and
 * the same checks still run against `deno run src/main.ts`, what the binary wraps.
 * @module
 */

import { compile, denortAvailable, NO_DENORT_EXIT } from "../../tools/compile.ts";
import { VERSION } from "../../src/version.ts";
import { have, missing } from "../interop/harness.ts";
import { haveOpenssl } from "../tls/test_ca.ts";
import { checkDeployed } from "./deployed.ts";

const noPeers = missing(
  "ffmpeg/ffprobe/openssl",
  have("ffmpeg", "-version") && have("ffprobe", "-version") && haveOpenssl(),
);
const noDenort = !(await denortAvailable());
if (noDenort) {
  console.warn(
    `\n!!! SKIPPED: deno compile cannot get its denort runtime for ${Deno.build.target} here ` +
      "(no network to Deno's release server, nothing in $DENO_DIR/dl, no DENORT_BIN); " +
      "the compiled-binary test does not run !!!\n",
  );
}

Deno.test({
  name: "deno task compile builds one executable that serves, records and answers --version",
  ignore: noPeers || noDenort,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-compile-" });
    try {
      const binary = `${dir}/rtmp-edge`;
      const code = await compile(["--output", binary]);
      if (code === NO_DENORT_EXIT) throw new Error("denort was expected to be available");
      if (code !== 0) throw new Error(`tools/compile.ts exited ${code}`);
      await checkDeployed([binary], VERSION);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the deployed checks pass for deno run src/main.ts, what the binary wraps",
  ignore: noPeers,
  async fn() {
    const main = new URL("../../src/main.ts", import.meta.url).pathname;
    await checkDeployed([Deno.execPath(), "run", "-A", main], VERSION);
  },
});
