/**
 * What the hostile suite checks after each case: the bad client's fate (closed with a
 * named reason, refused, or accepted), the log lines about it, the good publisher's
 * frames, and that the server still serves.
 * @module
 */

import type { LogRecord } from "@logtape/logtape";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { countFrames, type TestServer } from "../interop/harness.ts";
import type { FrameCount } from "./clip.ts";
import { RawClient } from "./raw_client.ts";

/** What a case expects the server to do with its bad client. */
export type Expect =
  /** Closed, with a `closeReason` matching `reason`, within `withinMs` (default 5 000). */
  | { readonly kind: "closed"; readonly reason: RegExp; readonly withinMs?: number }
  /** The bad message gets `reply` (an onStatus code or `_error`); the connection stays open. */
  | { readonly kind: "refused"; readonly reply: string }
  /** Served like a normal publisher: every coded frame it sent is counted (and recorded). */
  | { readonly kind: "accepted"; readonly probe?: boolean }
  /** The bad message is dropped with one warning line; the client is served otherwise. */
  | { readonly kind: "dropped" }
  /** Turned away at accept (no session): the socket closes and one log line names `reason`. */
  | { readonly kind: "turned-away"; readonly reason: RegExp };

/** Most log lines (info and up) one bad session may cause. */
export const MAX_LINES_PER_SESSION = 10;

/** What the checks need from the running group. */
export interface CheckEnv {
  readonly s: TestServer;
  readonly logs: readonly LogRecord[];
  /** What every connection sends before its handshake (a PROXY header), if anything. */
  readonly preamble?: Uint8Array;
}

/** Collects a case's failures and its one-line outcome. */
export class Verdict {
  /** Why the case failed; empty when it passed. */
  readonly failures: string[] = [];
  /** What the server did, e.g. the close reason. */
  outcome = "";

  /** Records a failure. */
  fail(why: string): void {
    this.failures.push(why);
  }
}

/** The session of the client on local port `port`, if the registry still has it. */
export function sessionOf(env: CheckEnv, port: number): SessionInfo | undefined {
  const addr = `127.0.0.1:${port}`;
  return env.s.server.registry.view().list().find((x) => x.remoteAddr === addr);
}

/** Polls `cond` every 25 ms; false if it still fails after `ms`. */
export async function poll(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** A log record as one line of text. */
export function render(r: LogRecord): string {
  return r.message.map((p) => typeof p === "string" ? p : String(p)).join("");
}

/** Log records about session `id`. */
export function linesOf(env: CheckEnv, id: string): LogRecord[] {
  return env.logs.filter((r) => r.properties.id === id || render(r).includes(id));
}

/** Checks the bad client's fate against `expect`, before the case closes its sockets. */
export async function checkExpect(
  env: CheckEnv,
  expect: Expect,
  bad: RawClient,
  v: Verdict,
): Promise<void> {
  if (expect.kind === "closed") return await checkClosed(env, expect, bad, v);
  if (expect.kind === "refused") return await checkRefused(env, expect.reply, bad, v);
  if (expect.kind === "turned-away") return await checkTurnedAway(env, expect.reason, bad, v);
  await checkServed(env, bad, v);
  if (expect.kind === "dropped") {
    const id = sessionOf(env, bad.port)?.id ?? "?";
    checkWarnings(linesOf(env, id), "the dropped message", v);
  }
}

async function checkServed(env: CheckEnv, bad: RawClient, v: Verdict): Promise<void> {
  const counted = () => {
    const info = sessionOf(env, bad.port);
    return info?.video.frames === bad.sent.video && info.audio.frames === bad.sent.audio;
  };
  await poll(counted, 3_000);
  const info = sessionOf(env, bad.port);
  if (info === undefined) return v.fail("The registry has no session for the client");
  if (info.state === "closed") v.fail(`Closed instead of served: ${info.closeReason}`);
  v.outcome = `served, ${info.video.frames}/${bad.sent.video} video and ` +
    `${info.audio.frames}/${bad.sent.audio} audio frames counted`;
  if (!counted()) v.fail(`Frames counted differ from sent: ${v.outcome}`);
  if (bad.sent.video + bad.sent.audio === 0) v.fail("The case sent no frames");
}

async function checkClosed(
  env: CheckEnv,
  expect: { readonly reason: RegExp; readonly withinMs?: number },
  bad: RawClient,
  v: Verdict,
): Promise<void> {
  const within = expect.withinMs ?? 5_000;
  await poll(() => sessionOf(env, bad.port)?.state === "closed", within);
  const info = sessionOf(env, bad.port);
  if (info === undefined) return v.fail("The registry has no session for the client");
  if (info.state !== "closed") {
    v.outcome = `still ${info.state} after ${within} ms, ${info.bytesIn} bytes in`;
    return v.fail(`Not closed: ${v.outcome}`);
  }
  const reason = info.closeReason ?? "";
  v.outcome = `closed: ${reason}`;
  if (!expect.reason.test(reason)) {
    v.fail(`Close reason ${JSON.stringify(reason)} is not ${expect.reason}`);
  }
  const lines = linesOf(env, info.id).filter((r) => reason !== "" && render(r).includes(reason));
  if (lines.length !== 1) {
    const text = lines.map((r) => `\n    | ${render(r).slice(0, 200)}`).join("");
    v.fail(`${lines.length} log lines name the close reason, want 1${text}`);
  }
  if (bad.readsAll && !(await bad.waitClosed(2_000))) {
    v.fail("The registry says closed but the socket is still open");
  }
}

async function checkRefused(env: CheckEnv, reply: string, bad: RawClient, v: Verdict) {
  const got = bad.commands.some((c) => c.name === reply) || bad.statusCodes().includes(reply);
  const seen = [...bad.commands.map((c) => c.name), ...bad.statusCodes()].join(", ");
  if (!got) v.fail(`No ${reply} reply; got ${seen || "nothing"}`);
  await new Promise((r) => setTimeout(r, 200));
  const info = sessionOf(env, bad.port);
  if (info === undefined) return v.fail("The registry has no session for the client");
  v.outcome = got ? `refused with ${reply}` : `replies: ${seen || "none"}`;
  if (info.state === "closed" || bad.closed) {
    v.outcome += `; closed: ${info.closeReason}`;
    v.fail(`Closed instead of only refused: ${info.closeReason}`);
  }
  checkWarnings(linesOf(env, info.id), "the refusal", v);
  if (info.recording !== null) v.fail(`A refused client has a recording: ${info.recording.path}`);
}

function checkWarnings(lines: readonly LogRecord[], what: string, v: Verdict): void {
  const warnings = lines.filter((r) => r.level !== "info" && r.level !== "debug");
  if (warnings.length !== 1) {
    const text = warnings.map((r) => `\n    | ${render(r).slice(0, 200)}`).join("");
    v.fail(`${warnings.length} warning lines for ${what}, want 1${text}`);
  }
}

async function checkTurnedAway(env: CheckEnv, reason: RegExp, bad: RawClient, v: Verdict) {
  const closed = await bad.waitClosed(2_000);
  const lines = env.logs.filter((r) => render(r).includes(`127.0.0.1:${bad.port}`));
  v.outcome = lines.map(render).join(" / ") || (closed ? "closed, nothing logged" : "still open");
  if (!closed) v.fail("The connection over the limit is still open");
  if (sessionOf(env, bad.port) !== undefined) v.fail("The connection over the limit got a session");
  if (lines.length !== 1 || !reason.test(render(lines[0]!))) {
    v.fail(`${lines.length} log lines for the refused connection, want 1 matching ${reason}`);
  }
}

/** Checks that the bad session did not flood the log. */
export function checkLogVolume(env: CheckEnv, bad: RawClient, v: Verdict): void {
  const info = sessionOf(env, bad.port);
  if (info === undefined) return;
  const n = linesOf(env, info.id).length;
  if (n > MAX_LINES_PER_SESSION) {
    v.fail(`${n} log lines for one session, want <= ${MAX_LINES_PER_SESSION}`);
  }
}

/** After the bad client is closed: its recording holds every frame it sent. */
export async function checkBadRecording(env: CheckEnv, bad: RawClient, v: Verdict): Promise<void> {
  const settled = (r: SessionInfo["recording"] | undefined) =>
    r?.state === "done" || r?.state === "failed";
  await poll(() => {
    const info = sessionOf(env, bad.port);
    return info?.state === "closed" && settled(info.recording);
  }, 5_000);
  const path = sessionOf(env, bad.port)?.recording?.path;
  if (path == null) return v.fail("The accepted client has no recording");
  await checkFile(path, bad.sent, "The client's recording", v);
}

/** The good publisher was counted and recorded in full. */
export async function checkGood(
  env: CheckEnv,
  name: string,
  sent: FrameCount,
  v: Verdict,
): Promise<void> {
  const find = () =>
    env.s.server.registry.view().list().find((x) => x.streamName === name && x.recording !== null);
  await poll(() => find()?.state === "closed" && find()?.recording?.state === "done", 5_000);
  const info = find();
  if (info === undefined) return v.fail(`The good publisher ${name} has no session`);
  if (info.recording?.path == null) return v.fail(`The good publisher ${name} has no recording`);
  if (info.video.frames !== sent.video || info.audio.frames !== sent.audio) {
    v.fail(
      `Good publisher: server counted ${info.video.frames}/${info.audio.frames} ` +
        `video/audio frames, sent ${sent.video}/${sent.audio}`,
    );
  }
  if (info.closeReason !== null && !/deleteStream|closed the connection/.test(info.closeReason)) {
    v.fail(`Good publisher closed by the server: ${info.closeReason}`);
  }
  const before = v.failures.length;
  await checkFile(info.recording.path, sent, "Good publisher's recording", v);
  if (v.failures.length === before) {
    v.outcome += ` [good: ${sent.video}+${sent.audio} frames recorded]`;
  }
}

async function checkFile(path: string, sent: FrameCount, what: string, v: Verdict) {
  try {
    const got = await countFrames(path);
    if (got.video !== sent.video || got.audio !== sent.audio) {
      v.fail(
        `${what} has ${got.video}/${got.audio} video/audio frames, sent ${sent.video}/${sent.audio}`,
      );
    }
  } catch (e) {
    v.fail(`${what} could not be probed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The server still completes a handshake and answers /healthz. */
export async function checkAlive(env: CheckEnv, v: Verdict): Promise<void> {
  // Closed clients free their admission slots a moment after the socket closes: retry.
  let error = "";
  for (let tries = 0; tries < 5; tries++) {
    const probe = await RawClient.open(env.s.server.rtmpPort);
    try {
      if (env.preamble !== undefined) await probe.write(env.preamble);
      await probe.handshake();
      error = "";
      break;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    } finally {
      await probe.close();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (error !== "") v.fail(`The server no longer completes a handshake: ${error}`);
  const res = await fetch(`${env.s.httpUrl}/healthz`);
  await res.body?.cancel();
  if (!res.ok) v.fail(`GET /healthz answered ${res.status}`);
}
