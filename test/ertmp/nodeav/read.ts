/**
 * Reads an FLV file or plays an `rtmp://` URL with FFmpeg 8's demuxer (node-av) and prints
 * one JSON line: per stream, the codec, packet count and the SHA-1 of every packet's data.
 *
 * Usage: deno run -A --config test/ertmp/nodeav/deno.json read.ts INPUT [--enhanced]
 * `--enhanced` makes the player announce E-RTMP (`fourCcList`) in its connect.
 * @module
 */

import { Demuxer } from "node-av/api";

const input = Deno.args[0];
if (input === undefined) throw new Error("Usage: read.ts INPUT [--enhanced]");
const options: Record<string, string> = {};
if (input.startsWith("rtmp://")) {
  options["rw_timeout"] = "30000000"; // a live play ends at the end of stream, or after 30 s of nothing
  if (Deno.args.includes("--enhanced")) {
    options["rtmp_enhanced_codecs"] =
      "hvc1,av01,vp09,avc1,Opus,fLaC,mp4a,ac-3,ec-3";
  }
}
await using demuxer = await Demuxer.open(input, { options } as never);
const streams = demuxer.streams.map((s) => ({
  codec: s.codecpar.codecId,
  type: s.codecpar.codecType,
  width: s.codecpar.width,
  height: s.codecpar.height,
  sampleRate: s.codecpar.sampleRate,
  hashes: [] as string[],
}));
for await (const pkt of demuxer.packets()) {
  if (pkt === null) break;
  const s = streams[pkt.streamIndex];
  if (s !== undefined && pkt.data !== null) {
    const digest = await crypto.subtle.digest(
      "SHA-1",
      new Uint8Array(pkt.data),
    );
    s.hashes.push(
      [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
        .join(""),
    );
  }
  pkt.free();
}
console.log(
  JSON.stringify(streams.map((s) => ({ ...s, packets: s.hashes.length }))),
);
