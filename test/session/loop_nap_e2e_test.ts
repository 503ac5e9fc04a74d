import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import {
  countFrames,
  have,
  missing,
  recordings,
  run,
  type TestServer,
  testServer,
  until,
} from "../interop/harness.ts";

/** The server napping from its first session on, 4 ms a nap. */
const NAPPING = { loopNapMs: 4, loopNapSessions: 1 } as const;

/** A counter's value in the server's Prometheus text, or null when it is not there. */
async function counter(s: TestServer, name: string): Promise<number | null> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.split(" ")[1]);
}

const noFfmpeg = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);

Deno.test({
  name: "with the loop napping, FFmpeg's H.264 + AAC publish is recorded whole",
  ignore: noFfmpeg,
  async fn() {
    await using s = await testServer({ config: NAPPING });
    const r = await run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
      ...["-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440"],
      ...["-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30"],
      ...["-c:a", "aac", "-ar", "44100", "-f", "flv", `${s.rtmpUrl}/live/nap`],
    ]);
    assert.equal(r.code, 0, r.stderr);
    await until(() => s.server.registry.view().list().every((x) => x.state === "closed"));
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    const frames = await countFrames(files[0]!);
    assert.equal(frames.video, 60);
    // 2 s of 44.1 kHz AAC: 1024 samples a frame.
    assert.ok(Math.abs(frames.audio - 87) <= 1, `${frames.audio} audio frames`);
    const naps = await counter(s, "rtmp_edge_event_loop_naps_total");
    assert.ok(naps !== null && naps > 50, `${naps} naps over a 2 s publish`);
  },
});

Deno.test("with the loop napping, a player gets every frame in order; and the naps stop with the last session", async () => {
  await using s = await testServer({ config: { ...NAPPING, record: false } });
  const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/x`);
  await pub.sendMedia(9, 0, new Uint8Array([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]));
  const res = await fetch(`${s.flvUrl}/live/x.flv`);
  assert.equal(res.status, 200);
  await until(() => s.server.registry.view().list().length === 2);
  const frame = (i: number) => {
    const body = new Uint8Array(1500).fill(i & 0xff);
    body.set([i % 30 === 0 ? 0x17 : 0x27, 1, 0, 0, 0, i >> 8, i & 0xff]);
    return body;
  };
  for (let i = 0; i < 120; i++) {
    await pub.sendMedia(9, 40 + i * 20, frame(i));
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 20));
  }
  await pub.close();
  const bytes = new Uint8Array(await res.arrayBuffer());
  const got: Uint8Array[] = [];
  for (let at = 13; at + 11 <= bytes.length;) {
    const size = (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (bytes[at] === 9 && bytes[at + 12] === 1) got.push(bytes.slice(at + 11, at + 11 + size));
    at += 11 + size + 4;
  }
  assert.equal(got.length, 120);
  for (const [i, body] of got.entries()) assert.deepEqual(body, frame(i), `frame ${i}`);
  const naps = await counter(s, "rtmp_edge_event_loop_naps_total");
  const napped = await counter(s, "rtmp_edge_event_loop_napped_seconds_total");
  assert.ok(naps !== null && naps > 10, `${naps} naps`);
  assert.ok(napped !== null && napped > 0, `${napped} s napped in ${naps} naps`);
  // No session left: the next monitor ticks turn the naps off.
  await until(() => s.server.registry.liveCount === 0);
  await new Promise((r) => setTimeout(r, 150));
  const after = await counter(s, "rtmp_edge_event_loop_naps_total");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await counter(s, "rtmp_edge_event_loop_naps_total"), after);
});
