import assert from "node:assert/strict";
import { type Config, DEFAULT_CONFIG } from "../../src/config.ts";
import { checkAppRules, rulesFor } from "../../src/config/app_rules.ts";
import { LiveConfig } from "../../src/config/live_config.ts";

function with_(patch: Partial<Config>): Config {
  return { ...DEFAULT_CONFIG, ...patch };
}

Deno.test("rulesFor() gives an app without a section the server-wide defaults", () => {
  const r = rulesFor(with_({ recordDir: "rec", takeoverAfterMs: 1500 }), "live");
  assert.deepEqual(r, {
    app: "live",
    publishAuth: "open",
    hmacSecret: null,
    onPublish: null,
    recordDir: "rec",
    push: [],
    play: true,
    takeover: "takeover",
    takeoverAfterMs: 1500,
  });
});

Deno.test("rulesFor() lets each key of a section override its default", () => {
  const c = with_({
    publishAuth: "hmac",
    hmacSecret: "server",
    apps: {
      a: { publishAuth: "open", record: false, play: false, takeover: "reject" },
      b: { hmacSecret: "app-b", recordDir: "b-rec", takeoverAfterMs: 500 },
      c: { publishAuth: "webhook", onPublish: "http://127.0.0.1:9/hook" },
    },
  });
  const a = rulesFor(c, "a");
  assert.deepEqual([a.publishAuth, a.recordDir, a.play, a.takeoverAfterMs], [
    "open",
    null,
    false,
    0,
  ]);
  const b = rulesFor(c, "b");
  assert.deepEqual([b.publishAuth, b.hmacSecret, b.recordDir, b.takeoverAfterMs], [
    "hmac",
    "app-b",
    "b-rec",
    500,
  ]);
  assert.equal(rulesFor(c, "c").onPublish, "http://127.0.0.1:9/hook");
  assert.equal(rulesFor(c, "none").hmacSecret, "server");
});

Deno.test("rulesFor() pushes by the server's targets of the app, or the section's own list", () => {
  const c = with_({
    push: ["rtmp://o1/live", "rtmp://o2/other", "rtmp://o1:1935/live"],
    apps: { cams: { push: ["rtmp://o3/ingest", "rtmps://o4/x"] }, quiet: { push: [] } },
  });
  const url = (app: string) =>
    rulesFor(c, app).push.map((t) => `${t.tls ? "rtmps" : "rtmp"}://${t.host}:${t.port}/${t.app}`);
  assert.deepEqual(url("live"), ["rtmp://o1:1935/live"], "same origin once, other apps left");
  assert.deepEqual(url("cams"), ["rtmp://o3:1935/ingest", "rtmps://o4:443/x"]);
  assert.deepEqual(url("quiet"), []);
  assert.deepEqual(url("nobody"), []);
});

Deno.test("rulesFor() does not take an app named like an object's own property", () => {
  assert.equal(rulesFor(with_({}), "constructor").recordDir, "./recordings");
  assert.equal(rulesFor(with_({}), "__proto__").play, true);
});

Deno.test("checkAppRules() finds rules that cannot work with their defaults", () => {
  const problems = checkAppRules(with_({
    takeoverAfterMs: 0,
    apps: {
      h: { publishAuth: "hmac" },
      w: { publishAuth: "webhook" },
      t: { takeover: "takeover" },
      ok: { publishAuth: "hmac", hmacSecret: "k", takeover: "takeover", takeoverAfterMs: 10 },
    },
  }));
  assert.deepEqual(problems.map((p) => p.path), [
    "apps.h.publish_auth",
    "apps.w.publish_auth",
    "apps.t.takeover_after_ms",
  ]);
});

Deno.test("LiveConfig.reload() takes new rules and keeps settings that need a restart", () => {
  const live = new LiveConfig(with_({ rtmpPort: 1935, apps: { a: { play: true } } }));
  const r = live.reload(with_({
    rtmpPort: 1999,
    host: "127.0.0.1",
    record: false,
    apps: { a: { play: false }, b: { record: true } },
  }));
  assert.deepEqual(r.needsRestart, ["rtmp_port", "host"]);
  assert.deepEqual(r.appsChanged, ["a", "b"]);
  assert.equal(live.config.rtmpPort, 1935);
  assert.equal(live.config.host, DEFAULT_CONFIG.host);
  assert.equal(live.rulesFor("a").play, false);
  assert.equal(live.rulesFor("c").recordDir, null, "server-wide record off");
  assert.equal(live.rulesFor("b").recordDir, "./recordings");
});

Deno.test("LiveConfig.recordDirs() lists the server's and each recording app's dir once", () => {
  const live = new LiveConfig(with_({
    recordDir: "r",
    apps: { a: { recordDir: "ra" }, b: { record: false }, c: {} },
  }));
  assert.deepEqual(live.recordDirs(), ["r", "ra"]);
});
