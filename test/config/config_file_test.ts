import assert from "node:assert/strict";
import {
  type Config,
  DEFAULT_CONFIG,
  fileSettingKeys,
  parseConfig,
  type ParseConfigResult,
} from "../../src/config.ts";
import { rulesFor } from "../../src/config/app_rules.ts";
import { main } from "../../src/main.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const EXAMPLE_TOML = `${ROOT}rtmp-edge.example.toml`;
const EXAMPLE_YAML = `${ROOT}test/fixtures/config/rtmp-edge.example.yaml`;
const SECRET = "live-key-never-shown";

/** Files of a test: the config file by name, secret files, anything else is missing. */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) throw new Deno.errors.NotFound(`No such file or directory: ${path}`);
    return text;
  };
}

/** Reads the real example files; its secret files are given (they hold no real key). */
function exampleFiles(path: string): string {
  return path.endsWith(".key") ? `${SECRET}\n` : Deno.readTextFileSync(path);
}

function parse(
  args: string[],
  env: Record<string, string> = {},
  read: (path: string) => string = exampleFiles,
): ParseConfigResult {
  return parseConfig(args, env, { readTextFile: read });
}

function config(r: ParseConfigResult): Config {
  assert.ok("config" in r, `expected a config, got ${JSON.stringify(r)}`);
  return r.config;
}

function error(r: ParseConfigResult): string {
  assert.ok("error" in r, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

Deno.test("parseConfig() reads the example TOML file into server settings and app rules", () => {
  const c = config(parse(["--config", EXAMPLE_TOML]));
  assert.equal(c.configFile, EXAMPLE_TOML);
  assert.equal(c.idleTimeoutMs, 10_000);
  assert.equal(c.httpFlvPort, 8081);
  assert.deepEqual(Object.keys(c.apps), ["live", "studio", "test"]);
  const live = rulesFor(c, "live");
  assert.equal(live.publishAuth, "hmac");
  assert.equal(live.hmacSecret, SECRET);
  assert.equal(live.recordDir, "./recordings/live");
  assert.deepEqual(live.push.map((t) => `${t.tls}:${t.host}:${t.port}/${t.app}`), [
    "false:origin.example:1935/live",
    "true:backup.example:443/ingest",
  ]);
  assert.equal(live.takeoverAfterMs, 3000);
  const studio = rulesFor(c, "studio");
  assert.equal(studio.publishAuth, "webhook");
  assert.equal(studio.onPublish, "https://auth.example/rtmp/publish");
  assert.equal(studio.recordDir, null);
  assert.equal(studio.play, false);
  assert.equal(studio.takeoverAfterMs, 0);
  const other = rulesFor(c, "other");
  assert.deepEqual(
    [other.publishAuth, other.recordDir, other.play, other.takeoverAfterMs, other.push],
    ["open", "./recordings", true, 2000, []],
  );
});

Deno.test("the YAML example gives the same config as the TOML one", () => {
  const toml = config(parse(["--config", EXAMPLE_TOML]));
  const yaml = config(parse(["--config", EXAMPLE_YAML]));
  assert.deepEqual({ ...yaml, configFile: null }, { ...toml, configFile: null });
});

Deno.test("RTMP_EDGE_CONFIG names the file when --config is not given", () => {
  const c = config(parse([], { RTMP_EDGE_CONFIG: EXAMPLE_YAML }));
  assert.equal(c.configFile, EXAMPLE_YAML);
  assert.equal(config(parse([], { RTMP_EDGE_CONFIG: "" })).configFile, null);
});

Deno.test("flags win over the environment, which wins over the file, which wins over defaults", () => {
  const read = files({
    "c.toml": [
      "rtmp_port = 1000",
      "http_port = 1001",
      "http_flv_port = 1002",
      "record = false",
      'push = ["rtmp://file.example/live"]',
      'hmac_secret_file = "file.key"',
      'publish_auth = "hmac"',
    ].join("\n"),
    "file.key": "from-file\n",
  });
  const c = config(parse(
    ["--config", "c.toml", "--rtmp-port", "2000", "--push", "rtmp://flag.example/live"],
    { RTMP_EDGE_RTMP_PORT: "3000", RTMP_EDGE_HTTP_PORT: "3001", RTMP_EDGE_HMAC_SECRET: "env" },
    read,
  ));
  assert.equal(c.rtmpPort, 2000, "flag over env and file");
  assert.equal(c.httpPort, 3001, "env over file");
  assert.equal(c.httpFlvPort, 1002, "file over default");
  assert.equal(c.httpHost, DEFAULT_CONFIG.httpHost, "default");
  assert.equal(c.record, false, "file over default");
  assert.equal(c.hmacSecret, "env", "env secret over the file's secret file");
  assert.deepEqual(c.push, ["rtmp://flag.example/live"], "flag push over file push");
  const fromFile = config(parse(["--config", "c.toml"], {}, read));
  assert.deepEqual(fromFile.push, ["rtmp://file.example/live"]);
  assert.equal(fromFile.hmacSecret, "from-file");
  assert.equal(config(parse(["--config", "c.toml", "--record"], {}, read)).record, true);
  assert.equal(
    config(parse(["--config", "c.toml"], { RTMP_EDGE_PUSH: "rtmp://env.example/x" }, read))
      .push[0],
    "rtmp://env.example/x",
  );
});

/** One bad file per row: its text, and the exact message parseConfig gives. */
const BAD: { name: string; file: string; text: string; expect: string }[] = [
  {
    name: "a wrong type at the top",
    file: "c.toml",
    text: 'rtmp_port = "1935"',
    expect: "c.toml: rtmp_port: expected a number, got a string",
  },
  {
    name: "a wrong type in an app",
    file: "c.toml",
    text: '[apps.live]\nrecord = "yes"',
    expect: "c.toml: apps.live.record: expected a boolean, got a string",
  },
  {
    name: "a list where a table goes",
    file: "c.yaml",
    text: "apps: [live]",
    expect: "c.yaml: apps: expected a table, got a list",
  },
  {
    name: "a fraction where a whole number goes",
    file: "c.toml",
    text: "[apps.live]\ntakeover_after_ms = 1.5",
    expect: "c.toml: apps.live.takeover_after_ms: expected a whole number, got a fraction (1.5)",
  },
  {
    name: "a number out of range",
    file: "c.toml",
    text: "rtmp_port = 70000",
    expect: 'c.toml: rtmp_port: expected a whole number 0..65535, got "70000"',
  },
  {
    name: "an unknown key at the top",
    file: "c.toml",
    text: "rtmp_prot = 1935",
    expect: "c.toml: rtmp_prot: unknown key",
  },
  {
    name: "an unknown key in an app",
    file: "c.yaml",
    text: "apps:\n  live:\n    recrod: true",
    expect: "c.yaml: apps.live.recrod: unknown key",
  },
  {
    name: "a secret given inline rather than as a file",
    file: "c.toml",
    text: 'hmac_secret = "s"',
    expect: "c.toml: hmac_secret: unknown key",
  },
  {
    name: "a missing secret file of an app",
    file: "c.toml",
    text: '[apps.live]\npublish_auth = "hmac"\nhmac_secret_file = "/nowhere/live.key"',
    expect:
      'c.toml: apps.live.hmac_secret_file: cannot read "/nowhere/live.key": No such file or directory: /nowhere/live.key',
  },
  {
    name: "a missing server secret file",
    file: "c.toml",
    text: 'api_token_file = "/nowhere/api.token"',
    expect:
      'c.toml: api_token_file: cannot read "/nowhere/api.token": No such file or directory: /nowhere/api.token',
  },
  {
    name: "an empty secret file",
    file: "c.toml",
    text: '[apps.live]\nhmac_secret_file = "empty.key"',
    expect: 'c.toml: apps.live.hmac_secret_file: file "empty.key" is empty',
  },
  {
    name: "a bad URL in an app's push",
    file: "c.toml",
    text: '[apps.live]\npush = ["rtmp://ok.example/live", "http://user:pw@x.example/live"]',
    expect: "c.toml: apps.live.push[1]: expected rtmp://host[:port]/app or rtmps://host[:port]/app",
  },
  {
    name: "a bad URL in the server's push",
    file: "c.yaml",
    text: "push: [rtmp://origin.example]",
    expect: "c.yaml: push[0]: expected rtmp://host[:port]/app or rtmps://host[:port]/app",
  },
  {
    name: "a bad webhook URL",
    file: "c.toml",
    text: '[apps.live]\non_publish = "ftp://auth.example/x"',
    expect: "c.toml: apps.live.on_publish: expected an http:// or https:// URL",
  },
  {
    name: "a bad publish_auth",
    file: "c.toml",
    text: '[apps.live]\npublish_auth = "maybe"',
    expect: 'c.toml: apps.live.publish_auth: expected one of open, hmac, webhook, got "maybe"',
  },
  {
    name: "a bad takeover",
    file: "c.yaml",
    text: "apps:\n  live:\n    takeover: steal",
    expect: 'c.yaml: apps.live.takeover: expected one of reject, takeover, got "steal"',
  },
  {
    name: "a bad server enum",
    file: "c.toml",
    text: 'parser = "rust"',
    expect: 'c.toml: parser: expected one of js, wasm, got "rust"',
  },
  {
    name: "hmac without any secret",
    file: "c.toml",
    text: '[apps.live]\npublish_auth = "hmac"',
    expect: "c.toml: apps.live.publish_auth: hmac needs a secret: set hmac_secret_file in " +
      "this section or a server-wide one (hmac_secret_file, --hmac-secret-file, RTMP_EDGE_HMAC_SECRET)",
  },
  {
    name: "webhook without a URL",
    file: "c.toml",
    text: '[apps.live]\npublish_auth = "webhook"',
    expect: "c.toml: apps.live.publish_auth: webhook needs on_publish (its URL)",
  },
  {
    name: "takeover with no silence time",
    file: "c.toml",
    text: 'takeover_after_ms = 0\n[apps.live]\ntakeover = "takeover"',
    expect: "c.toml: apps.live.takeover_after_ms: takeover needs a silence time above 0 ms " +
      "(0 would mean reject)",
  },
  {
    name: "an app name a publish could not have",
    file: "c.toml",
    text: '[apps.".."]\nplay = false',
    expect: 'c.toml: apps."..": not a valid app name',
  },
  {
    name: "TOML that does not parse",
    file: "c.toml",
    text: "record = \n",
    expect: "c.toml: not valid TOML: Invalid TOML document: invalid value at line 1, column 10",
  },
  {
    name: "YAML that does not parse",
    file: "c.yaml",
    text: "apps:\n  live: [\n",
    expect: "c.yaml: not valid YAML: Flow sequence in block collection must be sufficiently " +
      "indented and end with a ] at line 3, column 1",
  },
  {
    name: "YAML that is not a table",
    file: "c.yml",
    text: "- rtmp_port: 1",
    expect: "c.yml: expected a table of settings, got a list",
  },
  {
    name: "a file of another type",
    file: "c.json",
    text: "{}",
    expect: "c.json: unknown config file type: name it .toml, .yaml or .yml",
  },
];

for (const bad of BAD) {
  Deno.test(`parseConfig() refuses a config file with ${bad.name}, naming file, key and reason`, () => {
    const read = files({ [bad.file]: bad.text, "empty.key": "\n" });
    assert.equal(error(parse(["--config", bad.file], {}, read)), bad.expect);
  });
}

Deno.test("parseConfig() lists every problem of a file, one line each", () => {
  const read = files({ "c.toml": 'rtmp_port = "x"\nfoo = 1\n[apps.live]\nplay = 1' });
  assert.deepEqual(error(parse(["--config", "c.toml"], {}, read)).split("\n"), [
    "c.toml: rtmp_port: expected a number, got a string",
    "c.toml: apps.live.play: expected a boolean, got a number",
    "c.toml: foo: unknown key",
  ]);
});

Deno.test("parseConfig() refuses a config file that is missing", () => {
  assert.equal(
    error(parse(["--config", "gone.toml"], {}, files({}))),
    "gone.toml: cannot read: No such file or directory: gone.toml",
  );
});

Deno.test("a config problem never shows a secret read from a file", () => {
  const read = files({
    "c.toml": 'hmac_secret_file = "s.key"\nrtmp_port = -1\n[apps.live]\nhmac_secret_file = "s.key"',
    "s.key": `${SECRET}\n`,
  });
  const message = error(parse(["--config", "c.toml"], {}, read));
  assert.match(message, /rtmp_port/);
  assert.ok(!message.includes(SECRET));
});

Deno.test("main() exits 2 on a bad config file, before starting anything", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rtmp-edge-config-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.toml`, "[apps.live]\nplay = 1\n");
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(...args);
    try {
      assert.equal(await main(["--config", `${dir}/bad.toml`]), 2);
    } finally {
      console.error = original;
    }
    assert.deepEqual(errors, [`${dir}/bad.toml: apps.live.play: expected a boolean, got a number`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README documents every config file key and app key", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const appKeys = [
    "publish_auth",
    "hmac_secret_file",
    "on_publish",
    "record",
    "record_dir",
    "push",
    "play",
    "takeover",
    "takeover_after_ms",
  ];
  for (const key of [...fileSettingKeys(), ...appKeys]) {
    assert.ok(readme.includes(`| \`${key}\``), `README has a row for ${key}`);
  }
});

Deno.test("settings that are off by default take a number or a string in the file", () => {
  const read = files({
    "c.toml": [
      "rtmps_port = 1936",
      'tls_cert = "/tls/cert.pem"',
      'tls_key = "/tls/key.pem"',
      'publish_auth = "webhook"',
      'on_publish = "https://auth.example/publish"',
      'edge_id = "edge-7"',
    ].join("\n"),
  });
  const c = config(parse(["--config", "c.toml"], {}, read));
  assert.equal(c.rtmpsPort, 1936);
  assert.equal(c.tlsCert, "/tls/cert.pem");
  assert.equal(c.publishAuth, "webhook");
  assert.equal(rulesFor(c, "any").onPublish, "https://auth.example/publish");
  assert.equal(c.edgeId, "edge-7");
  const bad = files({ "c.toml": 'rtmps_port = "many"' });
  assert.match(error(parse(["--config", "c.toml"], {}, bad)), /^c\.toml: rtmps_port: expected /);
});

Deno.test("a secret file whose content is not what the setting takes says why, without the secret", () => {
  const e = error(parse(
    ["--config", "/c.toml"],
    {},
    files({
      "/c.toml": 'cluster_redis_file = "/redis.url"\n',
      "/redis.url": `http://:${SECRET}@redis.example:6379\n`,
    }),
  ));
  assert.match(e, /cluster_redis_file: expected a redis:\/\/ or rediss:\/\/ URL/);
  assert.ok(!e.includes(SECRET));
  const good = config(parse(
    ["--config", "/c.toml"],
    {},
    files({
      "/c.toml": 'cluster_redis_file = "/redis.url"\nedge_id = "e1"\nproxy_protocol = true\n',
      "/redis.url": `redis://:${SECRET}@redis.example:6379\n`,
    }),
  ));
  assert.equal(good.clusterRedis, `redis://:${SECRET}@redis.example:6379`);
  assert.equal(good.edgeId, "e1");
  assert.equal(good.proxyProtocol, true);
});
