import assert from "node:assert/strict";
import { decodeFlvTags } from "../../src/record/flv.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { loggedPorts, MAIN, until } from "../interop/harness.ts";
import { assertGood, byName, FPS, noFfmpeg, publish } from "./fault_env.ts";

const SECONDS = 4;

/** `src/main.ts --pipe` as a child whose stdout the test reads (or not) as it likes. */
async function spawnPiped(recordDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-A", MAIN, "--host", "127.0.0.1", "--rtmp-port", "0", "--http-port", "0"],
      ...["--http-flv-port", "0"],
      ...["--pipe", "--pipe-queue-bytes", "65536", "--record-dir", recordDir],
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let log = "";
  const logDone = (async () => {
    for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) log += text;
  })();
  await until(() => loggedPorts(log).httpFlv !== undefined, 20_000);
  const { rtmp, http } = loggedPorts(log);
  return {
    child,
    rtmpUrl: `rtmp://127.0.0.1:${rtmp}`,
    httpUrl: `http://127.0.0.1:${http}`,
    log: () => log,
    async sessions(): Promise<SessionInfo[]> {
      return (await (await fetch(`${this.httpUrl}/api/sessions`)).json()).sessions;
    },
    async stop(): Promise<number> {
      child.kill("SIGTERM");
      const { code } = await child.status;
      await logDone;
      return code;
    },
  };
}

/** Polls /healthz every 20 ms until `done` settles; returns the latencies in ms. */
async function healthLatencies(url: string, done: Promise<unknown>): Promise<number[]> {
  let over = false;
  void done.finally(() => over = true);
  const out: number[] = [];
  while (!over) {
    const t = performance.now();
    await (await fetch(`${url}/healthz`)).body?.cancel();
    out.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out.sort((a, b) => a - b);
}

async function settled(
  s: { sessions(): Promise<SessionInfo[]> },
  n: number,
): Promise<SessionInfo[]> {
  let list: SessionInfo[] = [];
  await until(async () => {
    list = await s.sessions();
    return list.length === n &&
      list.every((x) => x.state === "closed" && x.recording?.state === "done");
  }, 15_000);
  return list;
}

Deno.test({
  name: "a stalled pipe reader is cut off with one warning; the API and other recordings go on",
  ignore: noFfmpeg,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const s = await spawnPiped(dir);
    try {
      // stdout is never read: the reader is stalled from the start.
      const piped = publish(`${s.rtmpUrl}/live/p`, SECONDS, "1280x720");
      await until(async () => (await s.sessions()).some((x) => x.state === "publishing"));
      const all = Promise.all([
        piped,
        publish(`${s.rtmpUrl}/live/g1`, SECONDS),
        publish(`${s.rtmpUrl}/live/g2`, SECONDS),
      ]);
      const latencies = await healthLatencies(s.httpUrl, all);
      for (const r of await all) assert.equal(r.code, 0, r.stderr);
      const list = await settled(s, 3);
      for (const name of ["p", "g1", "g2"]) await assertGood(byName(list, name), SECONDS);
      const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
      console.log(
        `/healthz with stdout stalled: ${latencies.length} requests, p99 ${p99.toFixed(1)} ms`,
      );
      assert.ok(p99 < 1000, `/healthz p99 ${p99} ms while stdout is stalled`);
      await until(() => /Pipe cut off/.test(s.log()));
      const cut = s.log().match(/Pipe cut off[^\n]*/g) ?? [];
      assert.equal(cut.length, 1, s.log());
      assert.match(cut[0]!, /reader fell behind: \d+ bytes waiting, over the limit of 65536/);
      assert.doesNotMatch(s.log(), /\n\s+at /, "no stack trace");
    } finally {
      await s.child.stdout.cancel();
      assert.equal(await s.stop(), 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "the pipe ends with its publish: the reader gets every frame and EOF, the server goes on",
  ignore: noFfmpeg,
  async fn() {
    const dir = await Deno.makeTempDir();
    const s = await spawnPiped(dir);
    try {
      const piped = new Response(s.child.stdout).bytes();
      assert.equal((await publish(`${s.rtmpUrl}/live/p`, 2)).code, 0);
      const bytes = await piped; // EOF while the server still runs
      const video = decodeFlvTags(bytes).tags.filter((t) => t.type === 9 && (t.body[1] === 1));
      assert.equal(video.length, 2 * FPS);
      await until(() =>
        /Pipe ended with its publish: \d+ bytes written, stdout closed/.test(s.log())
      );
      assert.equal((await publish(`${s.rtmpUrl}/live/g1`, 2)).code, 0);
      const list = await settled(s, 2);
      await assertGood(byName(list, "g1"), 2);
    } finally {
      assert.equal(await s.stop(), 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a pipe reader that exits early gives one warning line and nothing else notices",
  ignore: noFfmpeg,
  async fn() {
    const dir = await Deno.makeTempDir();
    const s = await spawnPiped(dir);
    try {
      const reader = s.child.stdout.getReader();
      const piped = publish(`${s.rtmpUrl}/live/p`, SECONDS);
      const good = publish(`${s.rtmpUrl}/live/g1`, SECONDS);
      await reader.read(); // some bytes, then the reader goes away
      await reader.cancel();
      for (const r of await Promise.all([piped, good])) assert.equal(r.code, 0, r.stderr);
      const list = await settled(s, 2);
      for (const name of ["p", "g1"]) await assertGood(byName(list, name), SECONDS);
      await until(() => /Pipe cut off/.test(s.log()));
      const cut = s.log().match(/Pipe cut off[^\n]*/g) ?? [];
      assert.equal(cut.length, 1, s.log());
      assert.match(cut[0]!, /writing failed: .*(pipe|Broken)/i);
      assert.doesNotMatch(s.log(), /\n\s+at /, "no stack trace");
    } finally {
      assert.equal(await s.stop(), 0);
      await Deno.remove(dir, { recursive: true });
    }
  },
});
