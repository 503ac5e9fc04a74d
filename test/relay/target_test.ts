import assert from "node:assert/strict";
import { parsePushTarget, pushUrl } from "../../src/relay/target.ts";

Deno.test("parsePushTarget() fills in the default ports", () => {
  assert.equal(parsePushTarget("rtmp://o.example/live").port, 1935);
  assert.equal(parsePushTarget("rtmps://o.example/live").port, 443);
  assert.equal(parsePushTarget("rtmp://o.example:1940/live/").port, 1940);
});

Deno.test("parsePushTarget() drops a user part so it never reaches the logs or the API", () => {
  const t = parsePushTarget("rtmp://user:secret@o.example/live");
  assert.equal(pushUrl(t, "cam"), "rtmp://o.example:1935/live/cam");
});

Deno.test("parsePushTarget() refuses what is not rtmp://host[:port]/app", () => {
  for (const bad of ["http://o/live", "rtmp://o", "rtmp://o/live/x", "rtmp://o:99999/live"]) {
    assert.throws(() => parsePushTarget(bad), Error, bad);
  }
});

Deno.test("pushUrl() keeps the stream name and drops its query string", () => {
  const t = parsePushTarget("rtmps://o.example/live");
  assert.equal(pushUrl(t, "cam1?key=abc"), "rtmps://o.example:443/live/cam1");
});
