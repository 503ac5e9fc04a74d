import assert from "node:assert/strict";
import { type Config, DEFAULT_CONFIG, helpText, parseConfig } from "../src/config.ts";

function config(args: string[], env: Record<string, string | undefined> = {}): Config {
  const r = parseConfig(args, env);
  assert.ok("config" in r, `expected a config, got ${JSON.stringify(r)}`);
  return r.config;
}

function error(args: string[], env: Record<string, string | undefined> = {}): string {
  const r = parseConfig(args, env);
  assert.ok("error" in r, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

/** One row per flag: the flag form, the variable form, and what both set. */
const SETTINGS: {
  name: string;
  args: string[];
  env: Record<string, string>;
  expect: Partial<Config>;
}[] = [
  {
    name: "limits",
    args: [
      "--max-partial-bytes=1000",
      "--handshake-timeout=1500",
      "--publish-timeout=2500",
      "--idle-timeout=3500",
      "--max-connections=10",
      "--max-connections-per-ip=2",
      "--max-outgoing-bytes=65536",
      "--api-token=s3cret",
      "--amf-max-depth=8",
      "--amf-max-elements=9",
      "--amf-max-string-bytes=10",
      "--on-record-error=refuse",
      "--record-queue-bytes=65536",
      "--record-sync-ms=250",
      "--pipe-queue-bytes=131072",
      "--http-header-timeout=500",
      "--http-max-pending-requests=3",
      "--gop-cache-bytes=0",
      "--gop-cache-total-bytes=1048576",
      "--play-wait=100",
      "--max-players-per-stream=4",
      "--max-players=5",
      "--player-queue-bytes=65536",
      "--player-max-lag=700",
      "--read-merge-ms=0",
      "--play-merge-ms=5",
      "--play-merge-players=7",
      "--http-flv-port=0",
      "--takeover-after=0",
    ],
    env: {
      RTMP_EDGE_MAX_PARTIAL_BYTES: "1000",
      RTMP_EDGE_HANDSHAKE_TIMEOUT: "1500",
      RTMP_EDGE_PUBLISH_TIMEOUT: "2500",
      RTMP_EDGE_IDLE_TIMEOUT: "3500",
      RTMP_EDGE_MAX_CONNECTIONS: "10",
      RTMP_EDGE_MAX_CONNECTIONS_PER_IP: "2",
      RTMP_EDGE_MAX_OUTGOING_BYTES: "65536",
      RTMP_EDGE_API_TOKEN: "s3cret",
      RTMP_EDGE_AMF_MAX_DEPTH: "8",
      RTMP_EDGE_AMF_MAX_ELEMENTS: "9",
      RTMP_EDGE_AMF_MAX_STRING_BYTES: "10",
      RTMP_EDGE_ON_RECORD_ERROR: "refuse",
      RTMP_EDGE_RECORD_QUEUE_BYTES: "65536",
      RTMP_EDGE_RECORD_SYNC_MS: "250",
      RTMP_EDGE_PIPE_QUEUE_BYTES: "131072",
      RTMP_EDGE_HTTP_HEADER_TIMEOUT: "500",
      RTMP_EDGE_HTTP_MAX_PENDING_REQUESTS: "3",
      RTMP_EDGE_GOP_CACHE_BYTES: "0",
      RTMP_EDGE_GOP_CACHE_TOTAL_BYTES: "1048576",
      RTMP_EDGE_PLAY_WAIT: "100",
      RTMP_EDGE_MAX_PLAYERS_PER_STREAM: "4",
      RTMP_EDGE_MAX_PLAYERS: "5",
      RTMP_EDGE_PLAYER_QUEUE_BYTES: "65536",
      RTMP_EDGE_PLAYER_MAX_LAG: "700",
      RTMP_EDGE_READ_MERGE_MS: "0",
      RTMP_EDGE_PLAY_MERGE_MS: "5",
      RTMP_EDGE_PLAY_MERGE_PLAYERS: "7",
      RTMP_EDGE_HTTP_FLV_PORT: "0",
      RTMP_EDGE_TAKEOVER_AFTER: "0",
    },
    expect: {
      maxPartialBytes: 1000,
      handshakeTimeoutMs: 1500,
      publishTimeoutMs: 2500,
      idleTimeoutMs: 3500,
      maxConnections: 10,
      maxConnectionsPerIp: 2,
      maxOutgoingBytes: 65536,
      apiToken: "s3cret",
      amfMaxDepth: 8,
      amfMaxElements: 9,
      amfMaxStringBytes: 10,
      onRecordError: "refuse",
      recordQueueBytes: 65536,
      recordSyncMs: 250,
      pipeQueueBytes: 131072,
      httpHeaderTimeoutMs: 500,
      httpMaxPendingRequests: 3,
      gopCacheBytes: 0,
      gopCacheTotalBytes: 1048576,
      playWaitMs: 100,
      maxPlayersPerStream: 4,
      maxPlayers: 5,
      playerQueueBytes: 65536,
      playerMaxLagMs: 700,
      readMergeMs: 0,
      playMergeMs: 5,
      playMergePlayers: 7,
      httpFlvPort: 0,
      takeoverAfterMs: 0,
    },
  },
  {
    name: "rtmp port",
    args: ["--rtmp-port", "1936"],
    env: { RTMP_EDGE_RTMP_PORT: "1936" },
    expect: { rtmpPort: 1936 },
  },
  {
    name: "rtmp port 0",
    args: ["--rtmp-port=0"],
    env: { RTMP_EDGE_RTMP_PORT: "0" },
    expect: { rtmpPort: 0 },
  },
  {
    name: "host",
    args: ["--host", "127.0.0.1"],
    env: { RTMP_EDGE_HOST: "127.0.0.1" },
    expect: { host: "127.0.0.1" },
  },
  {
    name: "http port",
    args: ["--http-port", "65535"],
    env: { RTMP_EDGE_HTTP_PORT: "65535" },
    expect: { httpPort: 65535 },
  },
  {
    name: "http host",
    args: ["--http-host", "::1"],
    env: { RTMP_EDGE_HTTP_HOST: "::1" },
    expect: { httpHost: "::1" },
  },
  {
    name: "record dir",
    args: ["--record-dir", "/tmp/rec"],
    env: { RTMP_EDGE_RECORD_DIR: "/tmp/rec" },
    expect: { recordDir: "/tmp/rec" },
  },
  {
    name: "no record",
    args: ["--no-record"],
    env: { RTMP_EDGE_NO_RECORD: "1" },
    expect: { record: false },
  },
  { name: "pipe", args: ["--pipe"], env: { RTMP_EDGE_PIPE: "true" }, expect: { pipe: true } },
  {
    name: "parser",
    args: ["--parser", "js"],
    env: { RTMP_EDGE_PARSER: "js" },
    expect: { parser: "js" },
  },
  {
    name: "log level",
    args: ["--log-level", "warning"],
    env: { RTMP_EDGE_LOG_LEVEL: "warning" },
    expect: { logLevel: "warning" },
  },
  {
    name: "max message size",
    args: ["--max-message-size", "16777215"],
    env: { RTMP_EDGE_MAX_MESSAGE_SIZE: "16777215" },
    expect: { maxMessageSize: 16777215 },
  },
  {
    name: "max chunk streams",
    args: ["--max-chunk-streams", "255"],
    env: { RTMP_EDGE_MAX_CHUNK_STREAMS: "255" },
    expect: { maxChunkStreams: 255 },
  },
  {
    name: "publish auth",
    args: ["--publish-auth", "hmac", "--hmac-secret", "k3y"],
    env: { RTMP_EDGE_PUBLISH_AUTH: "hmac", RTMP_EDGE_HMAC_SECRET: "k3y" },
    expect: { publishAuth: "hmac", hmacSecret: "k3y" },
  },
  {
    name: "proxy protocol",
    args: ["--proxy-protocol"],
    env: { RTMP_EDGE_PROXY_PROTOCOL: "1" },
    expect: { proxyProtocol: true },
  },
  {
    name: "cluster",
    args: ["--cluster-redis", "redis://127.0.0.1:6379", "--edge-id", "e1"],
    env: { RTMP_EDGE_CLUSTER_REDIS: "redis://127.0.0.1:6379", RTMP_EDGE_EDGE_ID: "e1" },
    expect: { clusterRedis: "redis://127.0.0.1:6379", edgeId: "e1" },
  },
  {
    name: "publish auth open",
    args: ["--publish-auth=open"],
    env: { RTMP_EDGE_PUBLISH_AUTH: "open" },
    expect: { publishAuth: "open" },
  },
  {
    name: "publish auth webhook",
    args: ["--publish-auth", "webhook", "--on-publish", "http://127.0.0.1:9/auth?t=x"],
    env: { RTMP_EDGE_PUBLISH_AUTH: "webhook", RTMP_EDGE_ON_PUBLISH: "http://127.0.0.1:9/auth?t=x" },
    expect: { publishAuth: "webhook", onPublish: "http://127.0.0.1:9/auth?t=x" },
  },
  {
    name: "play auth webhook",
    args: ["--play-auth", "webhook", "--on-play", "https://hooks.example/play"],
    env: { RTMP_EDGE_PLAY_AUTH: "webhook", RTMP_EDGE_ON_PLAY: "https://hooks.example/play" },
    expect: { playAuth: "webhook", onPlay: "https://hooks.example/play" },
  },
  {
    name: "event hook, timeout, fail-open, edge id, max ttl",
    args: [
      ...["--on-event", "http://h/ev", "--webhook-timeout", "500", "--webhook-fail-open"],
      ...["--edge-id", "edge-7", "--hmac-max-ttl", "600"],
    ],
    env: {
      RTMP_EDGE_ON_EVENT: "http://h/ev",
      RTMP_EDGE_WEBHOOK_TIMEOUT: "500",
      RTMP_EDGE_WEBHOOK_FAIL_OPEN: "1",
      RTMP_EDGE_EDGE_ID: "edge-7",
      RTMP_EDGE_HMAC_MAX_TTL: "600",
    },
    expect: {
      onEvent: "http://h/ev",
      webhookTimeoutMs: 500,
      webhookFailOpen: true,
      edgeId: "edge-7",
      hmacMaxTtlS: 600,
    },
  },
];

Deno.test("parseConfig() gives the defaults with no flags and no environment", () => {
  assert.deepEqual(config([]), {
    rtmpPort: 1935,
    host: "0.0.0.0",
    httpPort: 8080,
    httpHost: "127.0.0.1",
    recordDir: "./recordings",
    record: true,
    pipe: false,
    parser: "wasm",
    logLevel: "info",
    maxMessageSize: 8 * 1024 * 1024,
    maxChunkStreams: 64,
    maxPartialBytes: 8 * 1024 * 1024,
    handshakeTimeoutMs: 10_000,
    publishTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    maxConnections: 1000,
    maxConnectionsPerIp: 16,
    maxOutgoingBytes: 4 * 1024 * 1024,
    amfMaxDepth: 64,
    amfMaxElements: 1024,
    amfMaxStringBytes: 65536,
    apiToken: null,
    onRecordError: "continue",
    recordQueueBytes: 32 * 1024 * 1024,
    recordSyncMs: 1000,
    pipeQueueBytes: 8 * 1024 * 1024,
    httpHeaderTimeoutMs: 10_000,
    httpMaxPendingRequests: 64,
    gopCacheBytes: 16 * 1024 * 1024,
    gopCacheTotalBytes: 32 * 1024 * 1024,
    playWaitMs: 5_000,
    maxPlayersPerStream: 1000,
    maxPlayers: 2000,
    playerQueueBytes: 2 * 1024 * 1024,
    playerMaxLagMs: 10_000,
    readMergeMs: 200,
    playMergeMs: 0,
    playMergePlayers: 100,
    loopNapMs: 4,
    loopNapSessions: 200,
    httpFlvPort: 8081,
    takeoverAfterMs: 2_000,
    push: [],
    publishAuth: "open",
    hmacSecret: null,
    apps: {},
    configFile: null,
    logFormat: "text",
    healthKeyframeWarnMs: 4_000,
    healthKeyframeBadMs: 10_000,
    healthBehindWarnMs: 1_000,
    healthBehindBadMs: 3_000,
    healthDriftWarnMs: 500,
    healthDriftBadMs: 2_000,
    healthStoppedMs: 2_000,
    healthGapWarnMs: 1_000,
    healthJumpMs: 1_000,
    healthFpsTolerance: 20,
    edgeId: Deno.hostname(),
    onPublish: null,
    onEvent: null,
    playAuth: "open",
    onPlay: null,
    webhookTimeoutMs: 3_000,
    webhookFailOpen: false,
    hmacMaxTtlS: 86_400,
    proxyProtocol: false,
    clusterRedis: null,
    rtmpsPort: null,
    tlsCert: null,
    tlsKey: null,
    tlsCa: null,
  });
  assert.deepEqual(config([]), DEFAULT_CONFIG);
});

Deno.test("parseConfig() reads each flag", () => {
  for (const { name, args, expect } of SETTINGS) {
    assert.deepEqual(config(args), { ...DEFAULT_CONFIG, ...expect }, name);
  }
});

Deno.test("parseConfig() falls back to each RTMP_EDGE_ variable", () => {
  for (const { name, env, expect } of SETTINGS) {
    assert.deepEqual(config([], env), { ...DEFAULT_CONFIG, ...expect }, name);
  }
});

Deno.test("parseConfig() lets flags win over variables", () => {
  const c = config(["--rtmp-port", "2000", "--parser", "wasm", "--record"], {
    RTMP_EDGE_RTMP_PORT: "3000",
    RTMP_EDGE_HTTP_PORT: "9090",
    RTMP_EDGE_PARSER: "js",
    RTMP_EDGE_NO_RECORD: "1",
  });
  assert.equal(c.rtmpPort, 2000);
  assert.equal(c.httpPort, 9090);
  assert.equal(c.parser, "wasm");
  assert.equal(c.record, true);
  assert.equal(config(["--no-pipe"], { RTMP_EDGE_PIPE: "1" }).pipe, false);
});

Deno.test("parseConfig() reads boolean variables in the usual spellings", () => {
  for (const v of ["1", "true", "YES", "on"]) {
    assert.equal(config([], { RTMP_EDGE_NO_RECORD: v }).record, false, v);
    assert.equal(config([], { RTMP_EDGE_PIPE: v }).pipe, true, v);
  }
  for (const v of ["0", "false", "no", "OFF"]) {
    assert.equal(config([], { RTMP_EDGE_NO_RECORD: v }).record, true, v);
    assert.equal(config([], { RTMP_EDGE_PIPE: v }).pipe, false, v);
  }
});

Deno.test("parseConfig() treats empty variables as unset and ignores other variables", () => {
  assert.deepEqual(
    config([], {
      RTMP_EDGE_RTMP_PORT: "",
      RTMP_EDGE_NO_RECORD: "",
      PATH: "/bin",
      OTHER: undefined,
    }),
    DEFAULT_CONFIG,
  );
});

Deno.test("parseConfig() rejects bad values, naming the flag or variable", () => {
  const cases: { args: string[]; env?: Record<string, string>; message: RegExp }[] = [
    { args: ["--rtmp-port", "65536"], message: /^Invalid --rtmp-port: .*0\.\.65535, got "65536"$/ },
    { args: ["--rtmp-port", "-1"], message: /--rtmp-port/ },
    { args: ["--http-port", "80x"], message: /^Invalid --http-port: .*got "80x"$/ },
    { args: ["--http-port", "1.5"], message: /^Invalid --http-port/ },
    { args: ["--rtmp-port", " 1935"], message: /^Invalid --rtmp-port/ },
    { args: [], env: { RTMP_EDGE_HTTP_PORT: "http" }, message: /^Invalid RTMP_EDGE_HTTP_PORT: / },
    {
      args: ["--parser", "rust"],
      message: /^Invalid --parser: expected one of js, wasm, got "rust"$/,
    },
    { args: [], env: { RTMP_EDGE_PARSER: "WASM" }, message: /^Invalid RTMP_EDGE_PARSER/ },
    { args: ["--log-level", "warn"], message: /^Invalid --log-level: .*"warn"$/ },
    { args: ["--max-message-size", "0"], message: /^Invalid --max-message-size: .*1\.\.16777215/ },
    { args: ["--max-message-size", "16777216"], message: /--max-message-size/ },
    { args: ["--max-chunk-streams", "0"], message: /^Invalid --max-chunk-streams: .*1\.\.255/ },
    { args: ["--max-chunk-streams", "256"], message: /--max-chunk-streams/ },
    { args: ["--host", ""], message: /^Invalid --host: expected a non-empty value$/ },
    { args: [], env: { RTMP_EDGE_NO_RECORD: "maybe" }, message: /^Invalid RTMP_EDGE_NO_RECORD: / },
    { args: [], env: { RTMP_EDGE_PIPE: "2" }, message: /^Invalid RTMP_EDGE_PIPE: / },
  ];
  for (const { args, env, message } of cases) {
    assert.match(error(args, env), message, JSON.stringify({ args, env }));
  }
});

Deno.test("parseConfig() rejects unknown flags, stray arguments and missing values", () => {
  assert.equal(error(["--prot", "1"]), "Unknown option '--prot'; see --help");
  assert.equal(error(["-x"]), "Unknown option '-x'; see --help");
  assert.match(error(["serve"]), /^Unexpected argument 'serve'; see --help$/);
  assert.match(error(["--rtmp-port"]), /'--rtmp-port <value>' argument missing/);
  assert.match(error(["--pipe=yes"]), /'--pipe' does not take an argument/);
  assert.match(
    error(["--rtmp-port", "--pipe"]),
    /'--rtmp-port' argument is ambiguous; see --help$/,
  );
});

Deno.test("parseConfig() gives the help text for -h and --help", () => {
  assert.deepEqual(parseConfig(["-h"], {}), { help: helpText() });
  assert.deepEqual(parseConfig(["--rtmp-port", "1", "--help"], {}), { help: helpText() });
});

/** A readTextFile over a map of paths; a missing path throws like Deno does. */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = map[path];
    if (text === undefined) {
      throw new Deno.errors.NotFound(`No such file or directory (os error 2): readfile '${path}'`);
    }
    return text;
  };
}

Deno.test("parseConfig() reads --api-token-file and RTMP_EDGE_API_TOKEN_FILE, dropping the newline", () => {
  const readTextFile = files({ "/run/secrets/token": "s3cret\n", "/crlf": "t0k\r\n" });
  const io = { readTextFile };
  const r = parseConfig(["--api-token-file", "/run/secrets/token"], {}, io);
  assert.ok("config" in r);
  assert.equal(r.config.apiToken, "s3cret");
  const e = parseConfig([], { RTMP_EDGE_API_TOKEN_FILE: "/crlf" }, io);
  assert.ok("config" in e);
  assert.equal(e.config.apiToken, "t0k");
});

Deno.test("parseConfig() lets a token flag or file flag win over the token variables", () => {
  const io = { readTextFile: files({ "/f": "from-file" }) };
  const env = { RTMP_EDGE_API_TOKEN: "from-env", RTMP_EDGE_API_TOKEN_FILE: "/missing" };
  const byFile = parseConfig(["--api-token-file", "/f"], env, io);
  assert.ok("config" in byFile);
  assert.equal(byFile.config.apiToken, "from-file");
  const byFlag = parseConfig(["--api-token", "flag"], { RTMP_EDGE_API_TOKEN_FILE: "/f" }, io);
  assert.ok("config" in byFlag);
  assert.equal(byFlag.config.apiToken, "flag");
});

Deno.test("parseConfig() rejects an unreadable or empty token file, naming it", () => {
  const io = { readTextFile: files({ "/empty": "", "/blank": "\n" }) };
  const cases: { args: string[]; env?: Record<string, string>; message: string }[] = [
    {
      args: ["--api-token-file", "/nope"],
      message: 'Cannot read --api-token-file "/nope": No such file or directory (os error 2): ' +
        "readfile '/nope'",
    },
    {
      args: ["--api-token-file", "/empty"],
      message: 'Invalid --api-token-file: file "/empty" is empty',
    },
    {
      args: ["--api-token-file", "/blank"],
      message: 'Invalid --api-token-file: file "/blank" is empty',
    },
    {
      args: [],
      env: { RTMP_EDGE_API_TOKEN_FILE: "/empty" },
      message: 'Invalid RTMP_EDGE_API_TOKEN_FILE: file "/empty" is empty',
    },
  ];
  for (const { args, env, message } of cases) {
    const r = parseConfig(args, env ?? {}, io);
    assert.deepEqual(r, { error: message }, JSON.stringify({ args, env }));
  }
});

Deno.test("parseConfig() rejects a token given both directly and by file", () => {
  const io = { readTextFile: files({ "/f": "x" }) };
  assert.deepEqual(parseConfig(["--api-token", "a", "--api-token-file", "/f"], {}, io), {
    error: "Give --api-token or --api-token-file, not both",
  });
  assert.deepEqual(
    parseConfig([], { RTMP_EDGE_API_TOKEN: "a", RTMP_EDGE_API_TOKEN_FILE: "/f" }, io),
    { error: "Set RTMP_EDGE_API_TOKEN or RTMP_EDGE_API_TOKEN_FILE, not both" },
  );
});

Deno.test("helpText() offers --api-token-file and says to prefer it to --api-token", () => {
  const text = helpText();
  assert.ok(text.includes("  --api-token-file <path>\n"));
  assert.match(text, /env RTMP_EDGE_API_TOKEN_FILE; not with --api-token\n/);
  assert.match(text, /Prefer the variable or --api-token-file/);
});

Deno.test("parseConfig() answers --version with a version request", () => {
  assert.deepEqual(parseConfig(["--version"], {}), { version: true });
  assert.deepEqual(parseConfig(["--rtmp-port", "1", "--version"], {}), { version: true });
  assert.match(helpText(), /--version\n/);
});

Deno.test("helpText() lists every flag with its variable and default", () => {
  const text = helpText();
  const rows: [flag: string, env: string, fallback: string][] = [
    ["--rtmp-port <port>", "RTMP_EDGE_RTMP_PORT", "1935"],
    ["--host <addr>", "RTMP_EDGE_HOST", "0.0.0.0"],
    ["--http-port <port>", "RTMP_EDGE_HTTP_PORT", "8080"],
    ["--http-host <addr>", "RTMP_EDGE_HTTP_HOST", "127.0.0.1"],
    ["--record-dir <dir>", "RTMP_EDGE_RECORD_DIR", "./recordings"],
    ["--no-record", "RTMP_EDGE_NO_RECORD=1", "recording on"],
    ["--pipe", "RTMP_EDGE_PIPE=1", "false"],
    ["--parser <js|wasm>", "RTMP_EDGE_PARSER", "wasm"],
    ["--log-level <level>", "RTMP_EDGE_LOG_LEVEL", "info"],
    ["--max-message-size <bytes>", "RTMP_EDGE_MAX_MESSAGE_SIZE", "8388608 (8 MiB)"],
    ["--max-chunk-streams <n>", "RTMP_EDGE_MAX_CHUNK_STREAMS", "64"],
  ];
  for (const [flag, env, fallback] of rows) {
    const at = text.indexOf(`  ${flag}\n`);
    assert.ok(at >= 0, `help lists ${flag}`);
    const entry = text.slice(at).split("\n").slice(0, 3).join("\n");
    assert.ok(entry.includes(`env ${env}; default ${fallback}`), `${flag}: ${entry}`);
  }
  assert.match(text, /-h, --help/);
  for (const line of text.split("\n")) assert.ok(line.length <= 100, line);
});

Deno.test("parseConfig() takes repeated --push targets, or RTMP_EDGE_PUSH separated by spaces or commas", () => {
  assert.deepEqual(
    config(["--push", "rtmp://a.example/live", "--push=rtmp://b.example:1936/in/"]).push,
    ["rtmp://a.example/live", "rtmp://b.example:1936/in"],
  );
  assert.deepEqual(
    config([], { RTMP_EDGE_PUSH: "rtmp://a/live, rtmp://b/live" }).push,
    ["rtmp://a/live", "rtmp://b/live"],
  );
  assert.deepEqual(config(["--push", "rtmp://f/x"], { RTMP_EDGE_PUSH: "rtmp://e/y" }).push, [
    "rtmp://f/x",
  ]);
  assert.match(error(["--push", "http://a/live"]), /Invalid --push: expected rtmp:\/\/host/);
  assert.match(error([], { RTMP_EDGE_PUSH: "rtmp://a/live/extra" }), /Invalid RTMP_EDGE_PUSH/);
});

Deno.test("parseConfig() reads the HMAC secret from --hmac-secret-file or RTMP_EDGE_HMAC_SECRET_FILE", () => {
  const io = { readTextFile: files({ "/run/secrets/hmac": "k3y\n" }) };
  const byFlag = parseConfig(
    ["--publish-auth", "hmac", "--hmac-secret-file", "/run/secrets/hmac"],
    {},
    io,
  );
  assert.ok("config" in byFlag);
  assert.equal(byFlag.config.hmacSecret, "k3y");
  const byEnv = parseConfig([], {
    RTMP_EDGE_PUBLISH_AUTH: "hmac",
    RTMP_EDGE_HMAC_SECRET_FILE: "/run/secrets/hmac",
  }, io);
  assert.ok("config" in byEnv);
  assert.equal(byEnv.config.publishAuth, "hmac");
  assert.equal(byEnv.config.hmacSecret, "k3y");
  assert.match(
    error(["--hmac-secret", "a", "--hmac-secret-file", "/f"]),
    /^Give --hmac-secret or --hmac-secret-file, not both$/,
  );
});

Deno.test("parseConfig() refuses --publish-auth hmac without a secret, naming the flags", () => {
  const e = error(["--publish-auth", "hmac"]);
  assert.match(e, /--publish-auth hmac/);
  assert.match(e, /--hmac-secret-file/);
  assert.match(e, /RTMP_EDGE_HMAC_SECRET/);
  assert.match(error([], { RTMP_EDGE_PUBLISH_AUTH: "hmac" }), /needs a secret/);
});

Deno.test("parseConfig() accepts only open, hmac and webhook as --publish-auth", () => {
  assert.match(
    error(["--publish-auth", "hook"]),
    /^Invalid --publish-auth: expected one of open, hmac, webhook, got "hook"$/,
  );
  assert.match(error([], { RTMP_EDGE_PUBLISH_AUTH: "none" }), /^Invalid RTMP_EDGE_PUBLISH_AUTH/);
});

Deno.test("parseConfig() refuses a webhook mode without its URL, and a URL that is not http(s)", () => {
  assert.match(error(["--publish-auth", "webhook"]), /--publish-auth webhook needs --on-publish/);
  assert.match(error(["--play-auth", "webhook"]), /--play-auth webhook needs --on-play/);
  assert.match(error(["--play-auth", "hmac"]), /--play-auth hmac needs a secret/);
  const bad = error(["--on-event", "ftp://user:pw@h/x"]);
  assert.equal(bad, "Invalid --on-event: expected an http:// or https:// URL");
  assert.match(error(["--webhook-timeout", "0"]), /^Invalid --webhook-timeout/);
  assert.match(error(["--hmac-max-ttl", "x"]), /^Invalid --hmac-max-ttl/);
});

Deno.test("parseConfig() reads the RTMPS flags and their variables", () => {
  const tls = ["--rtmps-port", "1936", "--tls-cert", "/c.pem", "--tls-key", "/k.pem"];
  assert.deepEqual(config([...tls, "--tls-ca", "/ca.pem"]), {
    ...DEFAULT_CONFIG,
    rtmpsPort: 1936,
    tlsCert: "/c.pem",
    tlsKey: "/k.pem",
    tlsCa: "/ca.pem",
  });
  const byEnv = parseConfig([], {
    RTMP_EDGE_RTMPS_PORT: "0",
    RTMP_EDGE_TLS_CERT: "/c.pem",
    RTMP_EDGE_TLS_KEY: "/k.pem",
  });
  assert.ok("config" in byEnv);
  assert.equal(byEnv.config.rtmpsPort, 0);
  assert.equal(byEnv.config.tlsKey, "/k.pem");
  assert.equal(config(["--tls-ca", "/ca.pem"]).tlsCa, "/ca.pem");
});

Deno.test("parseConfig() refuses --rtmps-port without both PEM files, and PEM files without it", () => {
  assert.match(error(["--rtmps-port", "443"]), /^--rtmps-port needs --tls-cert and --tls-key/);
  assert.match(
    error(["--rtmps-port", "443", "--tls-cert", "/c.pem"]),
    /needs --tls-cert and --tls-key/,
  );
  assert.match(error(["--tls-cert", "/c.pem", "--tls-key", "/k.pem"]), /are for --rtmps-port/);
  assert.match(error(["--rtmps-port", "70000"]), /^Invalid --rtmps-port: expected a whole number/);
});
