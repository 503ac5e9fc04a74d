/**
 * Server configuration from command-line flags, `RTMP_EDGE_*` environment variables and a
 * `--config` file (TOML or YAML, see `src/config/`), in that order of precedence.
 * @module
 */

import { parseArgs } from "node:util";
import { type AppSettings, checkAppRules } from "./config/app_rules.ts";
import { formatProblems, loadConfigFile } from "./config/file_loader.ts";
import { fileKey, type FileSetting } from "./config/file_schema.ts";

/** Log levels, as `@logtape/logtape` names them. */
export type LogLevelName = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

/** Everything the server can be told at start. */
export interface Config {
  /** RTMP listen port; 0 picks a free one. */
  readonly rtmpPort: number;
  /** RTMP listen address. */
  readonly host: string;
  /** HTTP API listen port; 0 picks a free one. */
  readonly httpPort: number;
  /** HTTP API listen address. */
  readonly httpHost: string;
  /** Where FLV recordings go. */
  readonly recordDir: string;
  /** Whether publishes are recorded to FLV. */
  readonly record: boolean;
  /** Whether the first publish is also written as FLV to stdout. */
  readonly pipe: boolean;
  /** Which chunk parser connections use. */
  readonly parser: "js" | "wasm";
  /** Lowest log level written. */
  readonly logLevel: LogLevelName;
  /** Largest RTMP message body accepted, in bytes (at most 16 MiB - 1, the 24-bit field). */
  readonly maxMessageSize: number;
  /** Most chunk stream ids one connection may use (1..255). */
  readonly maxChunkStreams: number;
  /** Most bytes of unfinished messages one connection may hold. */
  readonly maxPartialBytes: number;
  /** The handshake must finish within this many ms. */
  readonly handshakeTimeoutMs: number;
  /** `publish` must come within this many ms of the handshake. */
  readonly publishTimeoutMs: number;
  /** A client that sends nothing for this many ms is dropped. */
  readonly idleTimeoutMs: number;
  /** Most connections at once. */
  readonly maxConnections: number;
  /** Most connections at once from one remote address (loopback is not counted). */
  readonly maxConnectionsPerIp: number;
  /** Most bytes queued for one client before it counts as not reading. */
  readonly maxOutgoingBytes: number;
  /** AMF containers nested inside each other, at most. */
  readonly amfMaxDepth: number;
  /** Members of one AMF object or array, at most. */
  readonly amfMaxElements: number;
  /** Bytes of one AMF string, at most. */
  readonly amfMaxStringBytes: number;
  /** Bearer token the API requires on every route but /healthz; null for none (then loopback only). */
  readonly apiToken: string | null;
  /** What a publish does when its recording cannot start or fails: go on unrecorded, or close. */
  readonly onRecordError: "continue" | "refuse";
  /**
   * Most bytes one recording may have waiting for the disk: past half, its publisher's reads wait
   * for the disk to catch up; a disk that does not within 5 s fails the recording as too slow.
   */
  readonly recordQueueBytes: number;
  /**
   * How often each recording's `.part` file is synced to disk, in ms; 0 syncs only when it is
   * finished. Many recordings are synced in turn, a few at a time, as fast as the disk allows.
   */
  readonly recordSyncMs: number;
  /** Most bytes waiting for the `--pipe` reader before the pipe is cut off. */
  readonly pipeQueueBytes: number;
  /** An HTTP request's headers must arrive within this many ms. */
  readonly httpHeaderTimeoutMs: number;
  /** Most HTTP connections at once whose request headers are still arriving. */
  readonly httpMaxPendingRequests: number;
  /** GOP cache bound per live stream, in bytes (0 turns it off). */
  readonly gopCacheBytes: number;
  /**
   * Bytes all GOP caches of the server may hold together (0: no shared bound). When full,
   * streams with players or relays keep theirs and streams nobody watches give theirs up.
   */
  readonly gopCacheTotalBytes: number;
  /** How long a play of a name that is not live waits for its publisher, in ms. */
  readonly playWaitMs: number;
  /** Most players of one stream at once (RTMP and HTTP-FLV together). */
  readonly maxPlayersPerStream: number;
  /** Most players at once in total. */
  readonly maxPlayers: number;
  /** Queue bytes at which a player starts skipping to the next key frame. */
  readonly playerQueueBytes: number;
  /** A player that stays behind (skipping) for longer than this is dropped, in ms. */
  readonly playerMaxLagMs: number;
  /**
   * Longest wait before reading again from a publisher nobody watches live, after a read that
   * did not fill the buffer, so reads take more at once (merged reads), in ms; 0 turns it off.
   */
  readonly readMergeMs: number;
  /**
   * Longest wait of a publisher's read for the next reads to join its players' writes, in ms,
   * for streams with at least `playMergePlayers` players (merged writes); 0 turns it off.
   */
  readonly playMergeMs: number;
  /** Players a stream needs (RTMP and HTTP-FLV) before its players' writes merge. */
  readonly playMergePlayers: number;
  /**
   * Length of the event loop's naps between bursts of work while at least `loopNapSessions`
   * sessions are open, in ms (fewer wakeups with many connections); 0 turns them off.
   */
  readonly loopNapMs: number;
  /** Open sessions at which the event loop starts napping (`loopNapMs`). */
  readonly loopNapSessions: number;
  /** HTTP-FLV listen port (on `host`); 0 picks a free one. */
  readonly httpFlvPort: number;
  /**
   * A publish of a live name takes it over when its publisher has sent nothing for this many ms
   * (an encoder reconnecting after a network drop); 0 always refuses the second publisher.
   */
  readonly takeoverAfterMs: number;
  /** Origins every publish is pushed to, as `rtmp://host[:port]/app` (repeatable `--push`). */
  readonly push: readonly string[];
  /**
   * Who may publish: anyone (`open`), only holders of a signed stream name (`hmac`), or whom
   * the `--on-publish` webhook allows (`webhook`).
   */
  readonly publishAuth: "open" | "hmac" | "webhook";
  /** The key publish signatures are made with (`--publish-auth hmac`); null for none. */
  readonly hmacSecret: string | null;
  /** Per-app rules, the config file's `[apps.<app>]` sections, by app. */
  readonly apps: Readonly<Record<string, AppSettings>>;
  /** The `--config` file read, or null. */
  readonly configFile: string | null;
  /** Log lines as text or as JSON lines. */
  readonly logFormat: "text" | "json";
  /** Keyframe interval above which a publish's health is `warning` / `bad`, in ms. */
  readonly healthKeyframeWarnMs: number;
  readonly healthKeyframeBadMs: number;
  /** Media arriving this far behind real time is `warning` / `bad`, in ms. */
  readonly healthBehindWarnMs: number;
  readonly healthBehindBadMs: number;
  /** Audio and video timestamps this far apart are `warning` / `bad`, in ms. */
  readonly healthDriftWarnMs: number;
  readonly healthDriftBadMs: number;
  /** A track (or both) sending nothing this long is `bad`, in ms. */
  readonly healthStoppedMs: number;
  /** An arrival gap this long is `warning` for a while, in ms. */
  readonly healthGapWarnMs: number;
  /** A timestamp step forward above this many ms is a jump. */
  readonly healthJumpMs: number;
  /** Measured fps this many percent off the metadata's is `warning`. */
  readonly healthFpsTolerance: number;
  /** This server's name in a cluster and in hook requests (default: the hostname). */
  readonly edgeId: string;
  /** Where publish webhooks are POSTed (`--publish-auth webhook`); null for none. */
  readonly onPublish: string | null;
  /** Where notifications (publish_done, play, play_done, recording_done) are POSTed; null for none. */
  readonly onEvent: string | null;
  /** Who may play: anyone (`open`), signed names (`hmac`), or the `--on-play` webhook. */
  readonly playAuth: "open" | "hmac" | "webhook";
  /** Where play webhooks are POSTed (`--play-auth webhook`); null for none. */
  readonly onPlay: string | null;
  /** A webhook must answer within this many ms. */
  readonly webhookTimeoutMs: number;
  /** A webhook that fails (not one that answers 4xx) allows, with a warning, instead of refusing. */
  readonly webhookFailOpen: boolean;
  /** A signature whose `exp` is further ahead than this many seconds is refused. */
  readonly hmacMaxTtlS: number;
  /** Whether every RTMP connection starts with a PROXY protocol v1/v2 header (behind HAProxy). */
  readonly proxyProtocol: boolean;
  /** Redis of the cluster (`redis://[user:pass@]host:port`); null runs this edge alone. */
  readonly clusterRedis: string | null;
  /** RTMPS (RTMP over TLS) listen port on `host`, 0 picks a free one; null for none. */
  readonly rtmpsPort: number | null;
  /** PEM certificate chain of the RTMPS listener (reread on SIGHUP); null for none. */
  readonly tlsCert: string | null;
  /** PEM private key of the RTMPS listener (reread on SIGHUP); null for none. */
  readonly tlsKey: string | null;
  /** A PEM file of extra CA certificates relays trust for `rtmps://` origins; null for none. */
  readonly tlsCa: string | null;
}

/** What {@linkcode parseConfig} gives back: a config, the help text, a version request, or why not. */
export type ParseConfigResult =
  | { config: Config }
  | { help: string }
  | { version: true }
  | { error: string };

/** The configuration with no flags and no environment. */
export const DEFAULT_CONFIG: Config = Object.freeze({
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
  edgeId: hostnameOr("rtmp-edge"),
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

/** The hostname when reading it is allowed (never prompts), else `fallback`. */
function hostnameOr(fallback: string): string {
  try {
    const allowed = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state;
    return allowed === "granted" ? Deno.hostname() || fallback : fallback;
  } catch {
    return fallback;
  }
}

const LOG_LEVELS: readonly LogLevelName[] = ["trace", "debug", "info", "warning", "error", "fatal"];
const PARSERS: readonly Config["parser"][] = ["js", "wasm"];
const RECORD_ERROR_POLICIES: readonly Config["onRecordError"][] = ["continue", "refuse"];
const PUBLISH_AUTHS: readonly Config["publishAuth"][] = ["open", "hmac", "webhook"];
const PLAY_AUTHS: readonly Config["playAuth"][] = ["open", "hmac", "webhook"];
const LOG_FORMATS: readonly Config["logFormat"][] = ["text", "json"];
const MAX_MESSAGE_SIZE = 0xffffff;
const ENV_PREFIX = "RTMP_EDGE_";

type Check<T> = (raw: string) => { value: T } | { problem: string };

/** One flag: its name, its variable, what it sets, and how a string becomes a value. */
interface FlagSpec<K extends keyof Config> {
  readonly key: K;
  /** The flag as help shows it, without dashes. */
  readonly flag: string;
  /** The parseArgs option behind it (differs for `--no-record`). */
  readonly option: string;
  readonly env: string;
  /** Value placeholder in help; empty for switches. */
  readonly arg: string;
  readonly help: string;
  /** Turns a flag's or variable's string into a value. */
  readonly check: Check<Config[K]>;
  /** For switches: the value when the option is given (true) or negated (false). */
  readonly fromSwitch?: (on: boolean) => Config[K];
  /**
   * For secrets: also take the value from a file, `--<flag>-file <path>` or
   * `RTMP_EDGE_<FLAG>_FILE`, so it stays off command lines. The check's problem must not
   * quote the value.
   */
  readonly secret?: boolean;
}

/** What {@linkcode parseConfig} may read besides its arguments. */
export interface ParseConfigIo {
  /** Reads a whole text file (for `--<secret>-file`); throws when it cannot. */
  readonly readTextFile?: (path: string) => string;
}

type AnyFlagSpec = { [K in keyof Config]: FlagSpec<K> }[keyof Config];
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function spec<K extends keyof Config>(s: Omit<FlagSpec<K>, "env" | "option">): FlagSpec<K> {
  const env = ENV_PREFIX + s.flag.replaceAll("-", "_").toUpperCase();
  return { ...s, env, option: s.flag.replace(/^no-/, "") };
}

function integer(min: number, max: number): Check<number> {
  return (raw) => {
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return { value: n };
    return { problem: `expected a whole number ${min}..${max}, got "${raw}"` };
  };
}

function oneOf<T extends string>(names: readonly T[]): Check<T> {
  return (raw) => {
    const found = names.find((n) => n === raw);
    if (found !== undefined) return { value: found };
    return { problem: `expected one of ${names.join(", ")}, got "${raw}"` };
  };
}

function nonEmpty(raw: string): { value: string } | { problem: string } {
  return raw.trim() === "" ? { problem: "expected a non-empty value" } : { value: raw };
}

function bool(raw: string): { value: boolean } | { problem: string } {
  const s = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return { value: true };
  if (["0", "false", "no", "off"].includes(s)) return { value: false };
  return { problem: `expected 1/0, true/false, yes/no or on/off, got "${raw}"` };
}

function negated(raw: string): { value: boolean } | { problem: string } {
  const r = bool(raw);
  return "value" in r ? { value: !r.value } : r;
}

/** An http(s) URL; the problem does not quote it (a hook URL may carry a token). */
function hookUrl(raw: string): { value: string } | { problem: string } {
  try {
    const u = new URL(raw);
    if (u.protocol === "http:" || u.protocol === "https:") return { value: raw };
  } catch { /* below */ }
  return { problem: "expected an http:// or https:// URL" };
}

function same(on: boolean): boolean {
  return on;
}

const FLAGS: readonly AnyFlagSpec[] = Object.freeze([
  spec({
    key: "rtmpPort",
    flag: "rtmp-port",
    arg: "<port>",
    check: integer(0, 65535),
    help: "RTMP listen port; 0 picks a free one",
  }),
  spec({ key: "host", flag: "host", arg: "<addr>", check: nonEmpty, help: "RTMP listen address" }),
  spec({
    key: "httpPort",
    flag: "http-port",
    arg: "<port>",
    check: integer(0, 65535),
    help: "HTTP API listen port; 0 picks a free one",
  }),
  spec({
    key: "httpHost",
    flag: "http-host",
    arg: "<addr>",
    check: nonEmpty,
    help: "HTTP API listen address",
  }),
  spec({
    key: "recordDir",
    flag: "record-dir",
    arg: "<dir>",
    check: nonEmpty,
    help: "Directory for FLV recordings",
  }),
  spec({
    key: "record",
    flag: "no-record",
    arg: "",
    check: negated,
    fromSwitch: same,
    help: "Do not record publishes (--record turns recording back on)",
  }),
  spec({
    key: "pipe",
    flag: "pipe",
    arg: "",
    check: bool,
    fromSwitch: same,
    help: "Also write the first publish as FLV to stdout",
  }),
  spec({
    key: "parser",
    flag: "parser",
    arg: "<js|wasm>",
    check: oneOf(PARSERS),
    help: "Chunk parser implementation",
  }),
  spec({
    key: "logLevel",
    flag: "log-level",
    arg: "<level>",
    check: oneOf(LOG_LEVELS),
    help: `Lowest log level: ${LOG_LEVELS.join(", ")}`,
  }),
  spec({
    key: "maxMessageSize",
    flag: "max-message-size",
    arg: "<bytes>",
    check: integer(1, MAX_MESSAGE_SIZE),
    help: `Largest RTMP message body accepted, 1..${MAX_MESSAGE_SIZE}`,
  }),
  spec({
    key: "maxChunkStreams",
    flag: "max-chunk-streams",
    arg: "<n>",
    check: integer(1, 255),
    help: "Most chunk stream ids per connection, 1..255",
  }),
  spec({
    key: "maxPartialBytes",
    flag: "max-partial-bytes",
    arg: "<bytes>",
    check: integer(1, 256 * 1024 * 1024),
    help: "Most bytes of unfinished messages one connection may hold",
  }),
  spec({
    key: "handshakeTimeoutMs",
    flag: "handshake-timeout",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "The RTMP handshake must finish within this many ms",
  }),
  spec({
    key: "publishTimeoutMs",
    flag: "publish-timeout",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "publish must come within this many ms of the handshake",
  }),
  spec({
    key: "idleTimeoutMs",
    flag: "idle-timeout",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Drop a client that sends nothing for this many ms",
  }),
  spec({
    key: "maxConnections",
    flag: "max-connections",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Most RTMP connections at once",
  }),
  spec({
    key: "maxConnectionsPerIp",
    flag: "max-connections-per-ip",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Most RTMP connections at once from one address (loopback not counted)",
  }),
  spec({
    key: "maxOutgoingBytes",
    flag: "max-outgoing-bytes",
    arg: "<bytes>",
    check: integer(1024, 1024 * 1024 * 1024),
    help: "Most bytes queued for one client before it is dropped as not reading",
  }),
  spec({
    key: "amfMaxDepth",
    flag: "amf-max-depth",
    arg: "<n>",
    check: integer(1, 1000),
    help: "Most AMF containers nested inside each other",
  }),
  spec({
    key: "amfMaxElements",
    flag: "amf-max-elements",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Most members of one AMF object or array",
  }),
  spec({
    key: "amfMaxStringBytes",
    flag: "amf-max-string-bytes",
    arg: "<bytes>",
    check: integer(1, 16 * 1024 * 1024),
    help: "Most bytes of one AMF string",
  }),
  spec({
    key: "apiToken",
    flag: "api-token",
    arg: "<token>",
    check: nonEmpty,
    secret: true,
    help: "Require Authorization: Bearer <token> on the API (all but /healthz).\n" +
      "      Prefer the variable or --api-token-file: a flag shows in ps and in task logs",
  }),
  spec({
    key: "onRecordError",
    flag: "on-record-error",
    arg: "<continue|refuse>",
    check: oneOf(RECORD_ERROR_POLICIES),
    help: "When a recording cannot start or fails: keep the publish unrecorded, or close it",
  }),
  spec({
    key: "recordQueueBytes",
    flag: "record-queue-bytes",
    arg: "<bytes>",
    check: integer(64 * 1024, 1024 * 1024 * 1024),
    help:
      "Most bytes one recording may have waiting for the disk; past half, its publisher's reads wait",
  }),
  spec({
    key: "recordSyncMs",
    flag: "record-sync-ms",
    arg: "<ms>",
    check: integer(0, 3_600_000),
    help:
      "How often each recording is synced to disk (0: only when it ends); many are synced in turn",
  }),
  spec({
    key: "pipeQueueBytes",
    flag: "pipe-queue-bytes",
    arg: "<bytes>",
    check: integer(64 * 1024, 1024 * 1024 * 1024),
    help: "Most bytes waiting for the --pipe reader before the pipe is cut off",
  }),
  spec({
    key: "httpHeaderTimeoutMs",
    flag: "http-header-timeout",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "An HTTP request's headers must arrive within this many ms",
  }),
  spec({
    key: "httpMaxPendingRequests",
    flag: "http-max-pending-requests",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Most HTTP connections at once whose request headers are still arriving",
  }),
  spec({
    key: "gopCacheBytes",
    flag: "gop-cache-bytes",
    arg: "<bytes>",
    check: integer(0, 1024 * 1024 * 1024),
    help: "GOP cache per live stream, so players start on a key frame at once (0: off)",
  }),
  spec({
    key: "gopCacheTotalBytes",
    flag: "gop-cache-total-bytes",
    arg: "<bytes>",
    check: integer(0, 64 * 1024 * 1024 * 1024),
    help: "GOP caches of all streams together; streams with players keep theirs (0: no bound)",
  }),
  spec({
    key: "playWaitMs",
    flag: "play-wait",
    arg: "<ms>",
    check: integer(0, 3_600_000),
    help: "How long a play of a stream that is not live waits for its publisher",
  }),
  spec({
    key: "maxPlayersPerStream",
    flag: "max-players-per-stream",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Most players of one stream at once (RTMP and HTTP-FLV)",
  }),
  spec({
    key: "maxPlayers",
    flag: "max-players",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Most players at once in total",
  }),
  spec({
    key: "playerQueueBytes",
    flag: "player-queue-bytes",
    arg: "<bytes>",
    check: integer(64 * 1024, 1024 * 1024 * 1024),
    help: "Queued bytes at which a player skips to the next key frame",
  }),
  spec({
    key: "playerMaxLagMs",
    flag: "player-max-lag",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Drop a player that stays behind (skipping) for longer than this many ms",
  }),
  spec({
    key: "readMergeMs",
    flag: "read-merge-ms",
    arg: "<ms>",
    check: integer(0, 1000),
    help:
      "Longest wait before reading again from a publisher nobody plays, after a small read (0: off)",
  }),
  spec({
    key: "playMergeMs",
    flag: "play-merge-ms",
    arg: "<ms>",
    check: integer(0, 1000),
    help: "Longest wait of a read's media for the next reads to join its players' writes (0: off)",
  }),
  spec({
    key: "playMergePlayers",
    flag: "play-merge-players",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Players a stream needs before its players' writes merge (--play-merge-ms)",
  }),
  spec({
    key: "loopNapMs",
    flag: "loop-nap-ms",
    arg: "<ms>",
    check: integer(0, 20),
    help: "Naps of the event loop between bursts of work with many sessions open, in ms (0: off)",
  }),
  spec({
    key: "loopNapSessions",
    flag: "loop-nap-sessions",
    arg: "<n>",
    check: integer(1, 1_000_000),
    help: "Open sessions at which the event loop starts napping (--loop-nap-ms)",
  }),
  spec({
    key: "httpFlvPort",
    flag: "http-flv-port",
    arg: "<port>",
    check: integer(0, 65535),
    help: "HTTP-FLV listen port (on --host); 0 picks a free one",
  }),
  spec({
    key: "takeoverAfterMs",
    flag: "takeover-after",
    arg: "<ms>",
    check: integer(0, 3_600_000),
    help:
      "A publish of a live name whose publisher sent nothing this long takes it over (0: never)",
  }),
  spec({
    key: "publishAuth",
    flag: "publish-auth",
    arg: "<open|hmac|webhook>",
    check: oneOf(PUBLISH_AUTHS),
    help: "Who may publish: anyone, only stream names signed with --hmac-secret\n" +
      "      (deno task sign <app>/<name> makes one), or whom --on-publish allows",
  }),
  spec({
    key: "hmacSecret",
    flag: "hmac-secret",
    arg: "<secret>",
    check: nonEmpty,
    secret: true,
    help: "Key of publish signatures (--publish-auth hmac).\n" +
      "      Prefer the variable or --hmac-secret-file: a flag shows in ps and in task logs",
  }),
  spec({
    key: "healthKeyframeWarnMs",
    flag: "health-keyframe-warn",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Keyframe interval above which a publish's health is warning (YouTube: at most 4 s)",
  }),
  spec({
    key: "healthKeyframeBadMs",
    flag: "health-keyframe-bad",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Keyframe interval above which a publish's health is bad",
  }),
  spec({
    key: "healthBehindWarnMs",
    flag: "health-behind-warn",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Media arriving this far behind real time: health warning",
  }),
  spec({
    key: "healthBehindBadMs",
    flag: "health-behind-bad",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Media arriving this far behind real time: health bad",
  }),
  spec({
    key: "healthDriftWarnMs",
    flag: "health-drift-warn",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Audio and video timestamps this far apart: health warning",
  }),
  spec({
    key: "healthDriftBadMs",
    flag: "health-drift-bad",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Audio and video timestamps this far apart: health bad",
  }),
  spec({
    key: "healthStoppedMs",
    flag: "health-stopped",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "Audio, video or both sending nothing this long: health bad",
  }),
  spec({
    key: "healthGapWarnMs",
    flag: "health-gap-warn",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "An arrival gap this long: health warning for 30 s",
  }),
  spec({
    key: "healthJumpMs",
    flag: "health-jump",
    arg: "<ms>",
    check: integer(1, 3_600_000),
    help: "A timestamp step forward above this counts as a jump",
  }),
  spec({
    key: "healthFpsTolerance",
    flag: "health-fps-tolerance",
    arg: "<percent>",
    check: integer(1, 1000),
    help: "Measured fps this many percent off the metadata's: health warning",
  }),
  spec({
    key: "logFormat",
    flag: "log-format",
    arg: "<text|json>",
    check: oneOf(LOG_FORMATS),
    help: "Log lines as text, or as JSON lines (time, level, msg, sessionId, app, name, ...)",
  }),
  spec({
    key: "hmacMaxTtlS",
    flag: "hmac-max-ttl",
    arg: "<seconds>",
    check: integer(1, 10 * 365 * 86_400),
    help: "Refuse a signature whose exp is further ahead than this",
  }),
  spec({
    key: "proxyProtocol",
    flag: "proxy-protocol",
    arg: "",
    check: bool,
    fromSwitch: same,
    help: "Every RTMP connection starts with a PROXY protocol v1/v2 header (behind HAProxy);\n" +
      "      the header's source is the client's address, a connection without one is closed",
  }),
  spec({
    key: "clusterRedis",
    flag: "cluster-redis",
    arg: "<url>",
    check: redisUrl,
    secret: true,
    help: "Join the cluster kept in this Redis (redis://host:port): one owner per stream name,\n" +
      "      /api/cluster/streams. May hold a password: prefer the variable or --cluster-redis-file",
  }),
  spec({
    key: "edgeId",
    flag: "edge-id",
    arg: "<id>",
    check: nonEmpty,
    help: "This server's name in the cluster and in hook requests",
  }),
  spec({
    key: "onPublish",
    flag: "on-publish",
    arg: "<url>",
    check: hookUrl,
    help: "POST each publish here as JSON before it starts (--publish-auth webhook);\n" +
      "      2xx allows (the body may give name, push, record), 4xx refuses",
  }),
  spec({
    key: "onEvent",
    flag: "on-event",
    arg: "<url>",
    check: hookUrl,
    help: "POST notifications here (publish_done, play, play_done, recording_done),\n" +
      "      queued and retried off the media path",
  }),
  spec({
    key: "playAuth",
    flag: "play-auth",
    arg: "<open|hmac|webhook>",
    check: oneOf(PLAY_AUTHS),
    help: "Who may play (RTMP and HTTP-FLV): anyone, names signed for play\n" +
      "      (deno task sign --play), or whom --on-play allows",
  }),
  spec({
    key: "onPlay",
    flag: "on-play",
    arg: "<url>",
    check: hookUrl,
    help: "POST each play here as JSON before it starts (--play-auth webhook)",
  }),
  spec({
    key: "webhookTimeoutMs",
    flag: "webhook-timeout",
    arg: "<ms>",
    check: integer(1, 60_000),
    help: "A webhook must answer within this many ms",
  }),
  spec({
    key: "webhookFailOpen",
    flag: "webhook-fail-open",
    arg: "",
    check: bool,
    fromSwitch: same,
    help: "Allow (with a warning) when a webhook fails (timeout, 3xx/5xx, garbage);\n" +
      "      a 4xx answer still refuses",
  }),
  spec({
    key: "rtmpsPort",
    flag: "rtmps-port",
    arg: "<port>",
    check: integer(0, 65535),
    help: "RTMPS (RTMP over TLS) listen port on --host, e.g. 443 or 1936; 0 picks a free one.\n" +
      "      Needs --tls-cert and --tls-key",
  }),
  spec({
    key: "tlsCert",
    flag: "tls-cert",
    arg: "<file>",
    check: nonEmpty,
    help: "PEM certificate chain for --rtmps-port (reread on SIGHUP)",
  }),
  spec({
    key: "tlsKey",
    flag: "tls-key",
    arg: "<file>",
    check: nonEmpty,
    help: "PEM private key for --rtmps-port (reread on SIGHUP)",
  }),
  spec({
    key: "tlsCa",
    flag: "tls-ca",
    arg: "<file>",
    check: nonEmpty,
    help: "PEM CA certificate(s) trusted besides the system's for rtmps:// --push origins",
  }),
]);

function redisUrl(raw: string): { value: string } | { problem: string } {
  if (/^rediss?:\/\/[^\s]+$/.test(raw)) return { value: raw };
  return { problem: "expected a redis:// or rediss:// URL" };
}

function describeDefault(s: AnyFlagSpec): string {
  if (s.key === "record") return "recording on";
  if (s.key === "maxMessageSize") return `${DEFAULT_CONFIG.maxMessageSize} (8 MiB)`;
  if (s.key === "apiToken") return "none (the API then listens on loopback only)";
  if (s.key === "hmacSecret") return "none";
  if (s.key === "onPublish" || s.key === "onEvent" || s.key === "onPlay") return "none";
  if (s.key === "clusterRedis") return "none (this edge runs alone)";
  if (s.key === "edgeId") return "the host name";
  if (s.key === "rtmpsPort") return "off";
  if (s.key === "tlsCert" || s.key === "tlsKey" || s.key === "tlsCa") return "none";
  return String(DEFAULT_CONFIG[s.key]);
}

/**
 * The `--help` text: every flag with its environment variable and default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./config.ts";
 *
 * assert.match(helpText(), /--rtmp-port <port>/);
 * assert.match(helpText(), /RTMP_EDGE_RTMP_PORT/);
 * ```
 */
export function helpText(): string {
  const lines = [
    "rtmp-edge: RTMP ingest server",
    "",
    "Usage: rtmp-edge [flags]",
    "",
    "Flags win over environment variables; boolean variables take 1/0, true/false, yes/no, on/off.",
    "",
  ];
  for (const s of FLAGS) {
    const env = s.arg === "" ? `${s.env}=1` : s.env;
    lines.push(`  --${s.flag}${s.arg === "" ? "" : ` ${s.arg}`}`);
    lines.push(`      ${s.help}`);
    lines.push(`      env ${env}; default ${describeDefault(s)}`);
    if (s.secret === true) {
      lines.push(`  --${s.flag}-file <path>`);
      lines.push(`      Read --${s.flag} from this file (a trailing newline is dropped)`);
      lines.push(`      env ${s.env}_FILE; not with --${s.flag}`);
    }
  }
  lines.push(
    "  --push <rtmp://host[:port]/app>",
    "      Push every publish to this origin as <app>/<name> (repeatable)",
    `      env ${PUSH_ENV} (space- or comma-separated); default none`,
  );
  lines.push(
    "  --config <file.toml|file.yaml>",
    "      Read settings and [apps.<app>] rules from this file (flags and variables win);",
    '      SIGHUP reloads it. Keys: see README "Config file"',
    `      env ${CONFIG_ENV}; default none`,
  );
  lines.push("  --version", "      Print rtmp-edge <version> and exit");
  lines.push("  -h, --help", "      Show this text and exit", "");
  return lines.join("\n");
}

/**
 * Reads the config from `args` (flags, no positionals) and `env` (`RTMP_EDGE_*`); flags win.
 * Unknown flags and bad values give `{ error }` naming the flag or variable; `-h`/`--help`
 * gives `{ help }`, and `--version` gives `{ version: true }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 *
 * const r = parseConfig(["--rtmp-port", "0", "--no-record"], { RTMP_EDGE_PARSER: "js" });
 * assert.ok("config" in r);
 * assert.equal(r.config.rtmpPort, 0);
 * assert.equal(r.config.record, false);
 * assert.equal(r.config.parser, "js");
 * ```
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined>,
  io: ParseConfigIo = {},
): ParseConfigResult {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const s of FLAGS) {
    options[s.option] = { type: s.fromSwitch ? "boolean" : "string" };
    if (s.secret === true) options[`${s.option}-file`] = { type: "string" };
  }
  options.push = { type: "string", multiple: true };
  options.config = { type: "string" };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args,
      options,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }));
  } catch (err) {
    return { error: `${firstSentence(err)}; see --help` };
  }
  if (values.help === true) return { help: helpText() };
  if (values.version === true) return { version: true };

  const config: Mutable<Config> = { ...DEFAULT_CONFIG };
  const read = io.readTextFile ?? Deno.readTextFileSync;
  const file = typeof values.config === "string" ? values.config : env[CONFIG_ENV] || null;
  if (file !== null) {
    // The file's settings sit under the flags and variables resolved next.
    const loaded = loadConfigFile(file, { read, settings: FILE_SETTINGS, into: config });
    if ("problems" in loaded) return { error: formatProblems(file, loaded.problems) };
    config.apps = loaded.apps;
    config.configFile = file;
  }
  for (const s of FLAGS) {
    const error = resolve(s, { values, env, read }, config);
    if (error !== undefined) return { error };
  }
  const push = pushTargets(values.push, env[PUSH_ENV]);
  if ("error" in push) return push;
  if (push.targets.length > 0) config.push = push.targets;
  if (config.publishAuth === "hmac" && config.hmacSecret === null) {
    return {
      error: "--publish-auth hmac needs a secret: give --hmac-secret-file, " +
        "RTMP_EDGE_HMAC_SECRET or RTMP_EDGE_HMAC_SECRET_FILE (or --hmac-secret)",
    };
  }
  const hooks = hookProblem(config);
  if (hooks !== null) return { error: hooks };
  const tlsProblem = tlsConfigProblem(config);
  if (tlsProblem !== null) return { error: tlsProblem };
  const problems = checkAppRules(config);
  if (file !== null && problems.length > 0) return { error: formatProblems(file, problems) };
  return { config };
}

/** The variable of `--config`. */
const CONFIG_ENV = ENV_PREFIX + "CONFIG";

/** The file's key for a flag: its config field in snake_case; secrets as `<key>_file`. */
function fileSetting<K extends keyof Config>(s: FlagSpec<K>): FileSetting<Mutable<Config>> {
  const type = s.secret === true
    ? "secret-file"
    : s.fromSwitch !== undefined
    ? "boolean"
    : typeof DEFAULT_CONFIG[s.key] === "number"
    ? "number"
    : DEFAULT_CONFIG[s.key] === null
    ? "scalar"
    : "string";
  return {
    key: fileKey(s.key) + (s.secret === true ? "_file" : ""),
    type,
    apply(value, out) {
      if (typeof value === "boolean" && s.fromSwitch !== undefined) {
        out[s.key] = s.fromSwitch(value);
        return undefined;
      }
      const r = s.check(String(value));
      // A secret's check never quotes the value (see FlagSpec.secret).
      if ("problem" in r) return r.problem;
      out[s.key] = r.value;
      return undefined;
    },
  };
}

/** What the top level of a config file may set: every flag, and `push`. */
const FILE_SETTINGS: readonly FileSetting<Mutable<Config>>[] = Object.freeze([
  ...FLAGS.map((s: AnyFlagSpec) => fileSetting(s)),
  {
    key: "push",
    type: "push-targets",
    apply(value, out) {
      // The schema checked each target.
      out.push = (Array.isArray(value) ? value.map(String) : []).map((t) => t.replace(/\/$/, ""));
      return undefined;
    },
  },
]);

/** The file keys of the top-level settings, in the order of `--help` (for docs and tests). */
export function fileSettingKeys(): string[] {
  return FILE_SETTINGS.map((s) => s.key);
}

/** A `--push` target: `rtmp[s]://host[:port]/app`. */
const PUSH_PATTERN = /^rtmps?:\/\/[^/\s?#]+\/[^/\s?#]+\/?$/;

/** Why the TLS flags do not fit together, or null when they do. */
function tlsConfigProblem(config: Config): string | null {
  const files = (config.tlsCert === null ? 0 : 1) + (config.tlsKey === null ? 0 : 1);
  if (config.rtmpsPort !== null && files < 2) {
    return "--rtmps-port needs --tls-cert and --tls-key (PEM files)";
  }
  if (config.rtmpsPort === null && files > 0) {
    return "--tls-cert and --tls-key are for --rtmps-port: give it too";
  }
  return null;
}

/** What an auth mode lacks: a webhook mode without its URL, play hmac without a secret. */
function hookProblem(config: Config): string | null {
  if (config.publishAuth === "webhook" && config.onPublish === null) {
    return "--publish-auth webhook needs --on-publish <url> (or RTMP_EDGE_ON_PUBLISH)";
  }
  if (config.playAuth === "webhook" && config.onPlay === null) {
    return "--play-auth webhook needs --on-play <url> (or RTMP_EDGE_ON_PLAY)";
  }
  if (config.playAuth === "hmac" && config.hmacSecret === null) {
    return "--play-auth hmac needs a secret: give --hmac-secret-file or RTMP_EDGE_HMAC_SECRET";
  }
  return null;
}

/** The variable of the repeatable `--push`: targets separated by spaces or commas. */
const PUSH_ENV = ENV_PREFIX + "PUSH";

/** `--push` targets (flags win over the variable), each `rtmp://host[:port]/app`. */
function pushTargets(
  fromFlags: unknown,
  fromEnv: string | undefined,
): { targets: string[] } | { error: string } {
  const flags = Array.isArray(fromFlags) ? fromFlags.filter((v) => typeof v === "string") : [];
  const [list, where] = flags.length > 0
    ? [flags, "--push"]
    : [(fromEnv ?? "").split(/[\s,]+/).filter((v) => v !== ""), PUSH_ENV];
  for (const t of list) {
    if (!PUSH_PATTERN.test(t)) {
      return { error: `Invalid ${where}: expected rtmp://host[:port]/app, got "${t}"` };
    }
  }
  return { targets: list.map((t) => t.replace(/\/$/, "")) };
}

/** Where {@linkcode resolve} looks for a value. */
interface Sources {
  readonly values: Record<string, unknown>;
  readonly env: Record<string, string | undefined>;
  readonly read: (path: string) => string;
}

/** The names a flag goes by. */
type FlagNames = Pick<FlagSpec<keyof Config>, "flag" | "option" | "env">;

/** A value as given, and where it came from (for messages); or why it could not be had. */
type Raw = { raw: string; where: string } | { error: string } | undefined;

/** Sets one field of `out` from its flag, else its variable; returns an error message. */
function resolve<K extends keyof Config>(
  s: FlagSpec<K>,
  from: Sources,
  out: Mutable<Config>,
): string | undefined {
  const fromFlag = from.values[s.option];
  if (typeof fromFlag === "boolean" && s.fromSwitch !== undefined) {
    out[s.key] = s.fromSwitch(fromFlag);
    return undefined;
  }
  const given = s.secret === true ? secretValue(s, from) : plainValue(s, from);
  if (given === undefined) return undefined;
  if ("error" in given) return given.error;
  const r = s.check(given.raw);
  if ("problem" in r) return `Invalid ${given.where}: ${r.problem}`;
  out[s.key] = r.value;
  return undefined;
}

/** The flag's string, else the variable's (an empty variable counts as unset). */
function plainValue(s: FlagNames, from: Sources): Raw {
  const fromFlag = from.values[s.option];
  if (typeof fromFlag === "string") return { raw: fromFlag, where: `--${s.flag}` };
  const fromEnv = from.env[s.env];
  if (fromEnv === undefined || fromEnv === "") return undefined;
  return { raw: fromEnv, where: s.env };
}

/**
 * A secret from `--x`, `--x-file`, `X` or `X_FILE`, in that order of precedence (flags win);
 * giving both forms at one level is an error. A file's trailing newline is dropped.
 */
function secretValue(s: FlagNames, from: Sources): Raw {
  const flag = from.values[s.option];
  const flagFile = from.values[`${s.option}-file`];
  if (typeof flag === "string" && typeof flagFile === "string") {
    return { error: `Give --${s.flag} or --${s.flag}-file, not both` };
  }
  if (typeof flagFile === "string") return readSecret(`--${s.flag}-file`, flagFile, from.read);
  if (typeof flag === "string") return { raw: flag, where: `--${s.flag}` };
  const fromEnv = from.env[s.env] ?? "";
  const envFile = from.env[`${s.env}_FILE`] ?? "";
  if (fromEnv !== "" && envFile !== "") {
    return { error: `Set ${s.env} or ${s.env}_FILE, not both` };
  }
  if (envFile !== "") return readSecret(`${s.env}_FILE`, envFile, from.read);
  return fromEnv === "" ? undefined : { raw: fromEnv, where: s.env };
}

function readSecret(where: string, path: string, read: (path: string) => string): Raw {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    return { error: `Cannot read ${where} "${path}": ${firstSentence(err)}` };
  }
  const raw = text.replace(/\r?\n$/, "");
  if (raw.trim() === "") return { error: `Invalid ${where}: file "${path}" is empty` };
  return { raw, where: `${where} "${path}"` };
}

/** parseArgs errors read "Unknown option '--foo'. To specify ..."; keep the first sentence. */
function firstSentence(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split("\n")[0] ?? message;
  const end = line.indexOf(". ");
  return (end === -1 ? line : line.slice(0, end)).replace(/\.$/, "");
}
