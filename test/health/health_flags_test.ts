import assert from "node:assert/strict";
import { parseConfig } from "../../src/config.ts";

Deno.test("parseConfig() reads the health levels and --log-format from flags and variables", () => {
  const r = parseConfig(
    ["--health-keyframe-warn", "2000", "--health-behind-bad", "5000", "--log-format", "json"],
    { RTMP_EDGE_HEALTH_FPS_TOLERANCE: "10", RTMP_EDGE_HEALTH_STOPPED: "4000" },
  );
  assert.ok("config" in r);
  assert.equal(r.config.healthKeyframeWarnMs, 2000);
  assert.equal(r.config.healthBehindBadMs, 5000);
  assert.equal(r.config.healthFpsTolerance, 10);
  assert.equal(r.config.healthStoppedMs, 4000);
  assert.equal(r.config.logFormat, "json");
});

Deno.test("parseConfig() refuses a bad --log-format and a zero health level", () => {
  const format = parseConfig(["--log-format", "xml"], {});
  assert.ok("error" in format);
  assert.match(format.error, /--log-format: expected one of text, json, got "xml"/);
  const zero = parseConfig(["--health-jump", "0"], {});
  assert.ok("error" in zero);
  assert.match(zero.error, /--health-jump/);
});
