import assert from "node:assert/strict";
import { have, missing, run, testServer } from "./harness.ts";

const noChromium = missing("chromium", have("chromium", "--version"));

Deno.test({
  name: "/docs renders the API reference in headless Chromium with every other host unreachable",
  ignore: noChromium,
  async fn() {
    await using s = await testServer({ config: { apiToken: "docs-token" } });
    const profile = await Deno.makeTempDir({ prefix: "rtmp-edge-chromium-" });
    try {
      const r = await run("chromium", [
        ...["--headless", "--no-sandbox", "--disable-gpu", `--user-data-dir=${profile}`],
        // No CDN can be reached: the page must come whole from this server.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        ...["--virtual-time-budget=10000", "--dump-dom", `${s.httpUrl}/docs`],
      ], 90_000);
      assert.equal(r.code, 0, r.stderr);
      // Scalar draws these from /openapi.json: the script loaded and ran.
      for (const text of ["Live streams with codecs", "Prometheus metrics", "/api/sessions/{id}"]) {
        assert.ok(r.stdout.includes(text), `the rendered page lacks "${text}"`);
      }
    } finally {
      await Deno.remove(profile, { recursive: true });
    }
  },
});
