import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
import { testServer, until } from "../interop/harness.ts";

const FRAME_MS = 20;
const MERGE_MS = 250;

/** Frame `i`: a key frame every 25, its index in bytes 5..8, then filler (about 2.4 KB a frame). */
function frame(i: number): Uint8Array {
  const body = new Uint8Array(2400).fill(i & 0xff);
  body.set([i % 25 === 0 ? 0x17 : 0x27, 1, 0, 0, 0]);
  new DataView(body.buffer).setUint32(5, i);
  return body;
}

/** Reads an HTTP-FLV body as it arrives: each video tag's body with the time its bytes came. */
async function readFlv(
  body: ReadableStream<Uint8Array>,
  onTag: (body: Uint8Array, at: number) => void,
): Promise<void> {
  let buf = new Uint8Array(0);
  let at = 13; // FLV header (9) and the first previous-tag-size (4)
  for await (const chunk of body) {
    const now = performance.now();
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf);
    next.set(chunk, buf.length);
    buf = next;
    while (buf.length >= at + 11) {
      const size = (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
      if (buf.length < at + 11 + size + 4) break;
      if (buf[at] === 9) onTag(buf.slice(at + 11, at + 11 + size), now);
      at += 11 + size + 4;
    }
  }
}

Deno.test({
  name:
    "an HTTP-FLV player attaching ends the publisher's merged reads: every frame byte-exact, lag small",
  async fn() {
    await using s = await testServer({ config: { record: false, readMergeMs: MERGE_MS } });
    const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/x`);
    const sentAt = new Map<number, number>();
    let i = 0;
    /** Sends frames up to `end`, one every FRAME_MS. */
    const send = async (end: number) => {
      for (; i < end; i++) {
        sentAt.set(i, performance.now());
        await pub.sendMedia(9, i * FRAME_MS, frame(i));
        await new Promise((r) => setTimeout(r, FRAME_MS));
      }
    };
    await pub.sendMedia(9, 0, new Uint8Array([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]));
    // Nobody plays: the server's reads of this publisher wait (up to MERGE_MS) to merge.
    await send(50);
    const sessions = async () =>
      (await (await fetch(`${s.httpUrl}/api/sessions`)).json()).sessions as SessionInfo[];
    assert.equal((await sessions()).find((x) => x.role === "publisher")?.players, 0);
    const res = await fetch(`${s.flvUrl}/live/x.flv`);
    assert.equal(res.status, 200);
    const attachedAt = performance.now();
    const got: { body: Uint8Array; at: number }[] = [];
    const reading = readFlv(res.body!, (body, at) => got.push({ body, at }));
    await until(async () => (await sessions()).find((x) => x.role === "publisher")?.players === 1);
    await send(150);
    await new Promise((r) => setTimeout(r, 200));
    await pub.close();
    await reading;
    const frames = got.filter((t) => t.body[1] === 1);
    assert.ok(frames.length > 90, `${frames.length} frames played`);
    const first = new DataView(frames[0]!.body.buffer).getUint32(5);
    assert.equal(first % 25, 0, "the player starts on a key frame");
    const lags: number[] = [];
    for (const [k, f] of frames.entries()) {
      const idx = first + k;
      assert.deepEqual(f.body, frame(idx), `frame ${idx} byte-exact and in order`);
      const sent = sentAt.get(idx)!;
      // Frames sent once the player was attached: pacing off, so they come at once.
      if (sent > attachedAt + 100) lags.push(f.at - sent);
    }
    assert.equal(first + frames.length, 150, "every frame up to the last");
    lags.sort((a, b) => a - b);
    const p95 = lags[Math.floor(lags.length * 0.95)]!;
    assert.ok(lags.length > 50, `${lags.length} lags`);
    assert.ok(
      p95 < MERGE_MS / 2,
      `lag p95 ${p95.toFixed(1)} ms, max ${
        lags.at(-1)!.toFixed(1)
      } ms (merged reads would add up to ${MERGE_MS})`,
    );
  },
});
