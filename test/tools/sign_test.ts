import assert from "node:assert/strict";
import { verifyPublish } from "../../src/auth/hmac.ts";
import { signCommand, type SignIo } from "../../tools/sign.ts";

const NOW = 1_700_000_000_000;

function io(env: Record<string, string> = {}, files: Record<string, string> = {}): SignIo {
  return {
    env: (name) => env[name],
    readTextFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`No such file: ${path}`);
      return text;
    },
    now: () => NOW,
  };
}

Deno.test("signCommand() prints a name the server accepts until its ttl runs out", () => {
  const r = signCommand(["live/cam", "--ttl", "60"], io({ RTMP_EDGE_HMAC_SECRET: "k" }));
  assert.ok("line" in r, JSON.stringify(r));
  const [name, query] = r.line.split("?");
  assert.equal(name, "cam");
  assert.match(query!, new RegExp(`^exp=${NOW / 1000 + 60}&sig=[0-9a-f]{64}$`));
  const req = { app: "live", name: "cam", query: query! };
  assert.equal(verifyPublish("k", req, NOW + 60_000), null);
  assert.equal(verifyPublish("k", req, NOW + 61_000), "Signature expired");
});

Deno.test("signCommand() reads the secret from --hmac-secret-file and prints a URL with --url", () => {
  const r = signCommand(
    ["live/cam", "--hmac-secret-file", "/s", "--url", "rtmp://example.com:1935/"],
    io({}, { "/s": "k\n" }),
  );
  assert.ok("line" in r, JSON.stringify(r));
  assert.match(r.line, /^rtmp:\/\/example\.com:1935\/live\/cam\?exp=\d+&sig=[0-9a-f]{64}$/);
  const withEnv = signCommand(["live/cam", "--ttl", "1"], io({ RTMP_EDGE_HMAC_SECRET: "k" }));
  const withFile = signCommand(
    ["live/cam", "--ttl", "1", "--hmac-secret-file", "/s"],
    io({}, { "/s": "k\n" }),
  );
  assert.deepEqual(withEnv, withFile);
});

Deno.test("signCommand() refuses a plain secret flag, a missing secret and bad arguments", () => {
  const env = { RTMP_EDGE_HMAC_SECRET: "k" };
  const cases: { args: string[]; env?: Record<string, string>; message: RegExp }[] = [
    { args: ["live/cam", "--hmac-secret", "k"], env, message: /Unknown option '--hmac-secret'/ },
    { args: ["live/cam"], message: /^No secret: set RTMP_EDGE_HMAC_SECRET/ },
    {
      args: ["live/cam", "--hmac-secret-file", "/none"],
      message: /^Cannot read --hmac-secret-file/,
    },
    { args: ["cam"], env, message: /^Give one <app>\/<name>/ },
    { args: ["live/cam", "x/y"], env, message: /^Give one <app>\/<name>/ },
    { args: ["live/cam", "--ttl", "0"], env, message: /^Invalid --ttl/ },
    { args: ["live/cam", "--url", "http://h"], env, message: /^Invalid --url/ },
  ];
  for (const { args, env, message } of cases) {
    const r = signCommand(args, io(env));
    assert.ok("error" in r, JSON.stringify(args));
    assert.match(r.error, message, JSON.stringify(args));
  }
});

Deno.test("signCommand() with --config signs with the app's own secret, else the server-wide one", () => {
  const files = {
    "/c.toml": 'hmac_secret_file = "/server.key"\n[apps.cams]\nhmac_secret_file = "/cams.key"\n',
    "/server.key": "server\n",
    "/cams.key": "cams\n",
  };
  const sign = (target: string) => {
    const r = signCommand([target, "--config", "/c.toml"], io({}, files));
    assert.ok("line" in r, JSON.stringify(r));
    const [name, query] = r.line.split("?");
    return { app: target.split("/")[0]!, name: name!, query: query! };
  };
  assert.equal(verifyPublish("cams", sign("cams/a"), NOW), null);
  assert.equal(verifyPublish("server", sign("live/a"), NOW), null);
  const bad = signCommand(["live/a", "--config", "/c.toml"], io({}, { "/c.toml": "x = 1" }));
  assert.deepEqual(bad, { error: "/c.toml: x: unknown key" });
  const none = signCommand(["live/a", "--config", "/c.toml"], io({}, { "/c.toml": "" }));
  assert.deepEqual(none, { error: "No secret for app live in /c.toml or the environment" });
});

Deno.test("signCommand() --play signs for playing: good to play, not to publish", () => {
  const r = signCommand(["live/cam", "--play", "--ttl", "60"], io({ RTMP_EDGE_HMAC_SECRET: "k" }));
  assert.ok("line" in r, JSON.stringify(r));
  const [name, query] = r.line.split("?");
  const req = { app: "live", name: name!, query: query! };
  assert.equal(verifyPublish("k", req, NOW, { scope: "play" }), null);
  assert.equal(verifyPublish("k", req, NOW), "Bad signature");
});
