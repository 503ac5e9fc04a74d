/// <reference lib="dom" />
/**
 * The live dashboard in headless Chromium (Debian's, driven by puppeteer-core): a real FFmpeg
 * publish shows up with a moving bit rate, previews through HTTP-FLV, turns `bad` when its
 * publisher stalls, and the kick button drops it. Screenshots go to `build/test-artifacts/`
 * (or `$RTMP_EDGE_ARTIFACTS`).
 * @module
 */

import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { FPS, noFfmpeg } from "../faults/fault_env.ts";
import { have, missing, testServer, until } from "../interop/harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const noChromium = missing("chromium", have(CHROMIUM, "--version"));

/** Where screenshots are written. */
const ARTIFACTS = Deno.env.get("RTMP_EDGE_ARTIFACTS") ??
  new URL("../../build/test-artifacts/", import.meta.url).pathname;

/** Headless Chromium as this machine runs it: no sandbox (root), no background networking. */
async function chromium(): Promise<Browser & AsyncDisposable> {
  const userDataDir = await Deno.makeTempDir({ prefix: "rtmp-edge-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close();
      await Deno.remove(userDataDir, { recursive: true }).catch(() => {});
    },
  });
}

/** Collects what the page reports as errors (console errors and uncaught exceptions). */
function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e instanceof Error ? e.message : e}`));
  return errors;
}

/** A real-time FFmpeg publish (video and audio) that the test can pause and end. */
function ffmpegPublisher(url: string, seconds: number): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...["-f", "lavfi", "-i", `testsrc=size=320x240:rate=${FPS}`],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
      ...["-t", String(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "30"],
      ...["-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function session(httpUrl: string, id: string): Promise<SessionInfo> {
  return await (await fetch(`${httpUrl}/api/sessions/${id}`)).json();
}

async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${ARTIFACTS.endsWith("/") ? "" : "/"}${name}`;
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  console.log(`Dashboard screenshot: ${path}`);
  return path;
}

Deno.test({
  name: "Dashboard shows a live FFmpeg publish, previews it, marks it bad when it stalls, kicks it",
  ignore: noFfmpeg || noChromium,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using srv = await testServer();
  await using browser = await chromium();
  const ffmpeg = ffmpegPublisher(`${srv.rtmpUrl}/live/dash`, 60);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 800 });
    const errors = pageErrors(page);
    const res = await page.goto(`${srv.httpUrl}/`);
    assert.equal(res?.status(), 200);
    const row = 'tr[data-key="live/dash"]';
    await page.waitForSelector(row, { timeout: 20_000 });
    const id = await page.$eval(row, (el) => el.getAttribute("data-session") ?? "");
    assert.notEqual(id, "");

    // The bit rate moves and the sparkline grows.
    const rate = () => page.$eval(`${row} .kbps`, (el) => el.textContent ?? "");
    const first = await rate();
    let changed = "";
    await until(async () => {
      changed = await rate();
      return changed !== first && parseInt(changed) > 0;
    }, 15_000);
    const points = await page.$eval(
      `${row} polyline`,
      (el) => (el.getAttribute("points") ?? "").split(" ").filter((p: string) => p !== "").length,
    );
    assert.ok(points >= 2, `sparkline has ${points} points`);
    const codecs = await page.$eval(`${row} td:nth-child(3)`, (el) => el.textContent ?? "");
    assert.match(codecs, /h264 320x240/);
    assert.match(codecs, /aac 44100 Hz/);

    // The preview plays the stream through HTTP-FLV (mpegts.js, Media Source Extensions).
    await page.click(`${row} button.preview`);
    await page.waitForFunction(
      () => (document.getElementById("preview-video") as HTMLVideoElement).currentTime > 0.5,
      { timeout: 20_000 },
    );
    const players = await page.$eval(`${row} .players`, (el) => Number(el.textContent));
    await until(async () => (await session(srv.httpUrl, id)).players === 1, 10_000);
    assert.ok(players <= 1);
    await screenshot(page, "dashboard-live.png");
    await page.click("#preview-close");
    await until(async () => (await session(srv.httpUrl, id)).players === 0, 10_000);

    // A stalled publisher turns bad, with its reasons shown.
    Deno.kill(ffmpeg.pid, "SIGSTOP");
    await page.waitForSelector(`${row} td.health[data-health="bad"]`, { timeout: 20_000 });
    const reasons = await page.$$eval(`${row} .reason`, (els) => els.map((e) => e.textContent));
    assert.ok(reasons.length > 0, "a bad stream shows why");
    await screenshot(page, "dashboard-bad.png");
    Deno.kill(ffmpeg.pid, "SIGCONT");

    // The kick button drops the publisher.
    await page.click(`${row} button.kick`);
    await page.waitForSelector(row, { hidden: true, timeout: 15_000 });
    const closed = await session(srv.httpUrl, id);
    assert.equal(closed.state, "closed");
    assert.match(closed.closeReason ?? "", /Dropped/i);
    assert.deepEqual(errors, []);
  } finally {
    try {
      ffmpeg.kill("SIGKILL");
    } catch { /* already gone */ }
    await ffmpeg.status;
  }
});

Deno.test({
  name: "Dashboard with an API token: the page loads open, the data only with the token",
  ignore: noChromium,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using srv = await testServer({ config: { apiToken: "dash-secret" } });
  await using browser = await chromium();
  const page = await browser.newPage();
  const errors = pageErrors(page);
  // The 401 of the first poll is expected: the page asks for the token instead.
  const res = await page.goto(`${srv.httpUrl}/`);
  assert.equal(res?.status(), 200);
  await page.waitForSelector("#login:not([hidden])", { timeout: 10_000 });
  await page.type("#token", "dash-secret");
  await page.click("#login button");
  await page.waitForSelector("#login", { hidden: true, timeout: 10_000 });
  await page.waitForFunction(
    () => document.getElementById("summary")?.textContent?.includes("0 publishing"),
    { timeout: 10_000 },
  );
  assert.deepEqual(errors.filter((e) => !/401/.test(e)), []);
  const plain = await fetch(`${srv.httpUrl}/api/sessions`);
  assert.equal(plain.status, 401);
  await plain.body?.cancel();
});
