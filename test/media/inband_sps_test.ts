import assert from "node:assert/strict";
import { inbandAvcSize } from "../../src/media/inband_sps.ts";
import { have, missing } from "../interop/harness.ts";

const noFfmpeg = missing("ffmpeg", have("ffmpeg", "-version"));

Deno.test({
  name: "inbandAvcSize() reads an SPS in a key frame, length-prefixed or Annex-B",
  ignore: noFfmpeg,
  async fn() {
    const out = await new Deno.Command("ffmpeg", {
      args: [
        ...["-v", "error", "-f", "lavfi", "-i", "testsrc=size=642x362:rate=10", "-frames:v", "1"],
        ...["-c:v", "libx264", "-bsf:v", "h264_mp4toannexb", "-f", "h264", "-"],
      ],
      stdout: "piped",
    }).output();
    assert.equal(out.code, 0);
    // Annex-B to 4-byte length prefixes, behind a legacy FLV AVC NALU header.
    const annexB = out.stdout;
    const nals: Uint8Array[] = [];
    let start = -1;
    for (let i = 0; i + 3 <= annexB.length; i++) {
      if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
        if (start >= 0) nals.push(annexB.subarray(start, i > 0 && annexB[i - 1] === 0 ? i - 1 : i));
        start = i + 3;
        i += 2;
      }
    }
    nals.push(annexB.subarray(start));
    const parts: Uint8Array[] = [new Uint8Array([0x17, 1, 0, 0, 0])];
    for (const n of nals) {
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, n.length);
      parts.push(len, n);
    }
    const body = new Uint8Array(parts.reduce((k, p) => k + p.length, 0));
    let o = 0;
    for (const p of parts) {
      body.set(p, o);
      o += p.length;
    }
    assert.deepEqual(inbandAvcSize(body), { width: 642, height: 362 });
    // The same NAL units left in Annex-B form, as FFmpeg's FLV muxer sends them without extradata.
    const raw = new Uint8Array(5 + annexB.length);
    raw.set([0x17, 1, 0, 0, 0]);
    raw.set(annexB, 5);
    assert.deepEqual(inbandAvcSize(raw), { width: 642, height: 362 });
  },
});

Deno.test("inbandAvcSize() gives null for frames without an SPS or with broken lengths", () => {
  assert.equal(inbandAvcSize(new Uint8Array([0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88])), null);
  assert.equal(inbandAvcSize(new Uint8Array([0x17, 1, 0, 0, 0, 0, 0, 0, 99, 0x67])), null);
  assert.equal(inbandAvcSize(new Uint8Array([0x27, 0, 0, 0, 0])), null);
});
