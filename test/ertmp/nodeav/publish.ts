/**
 * Publishes synthetic media with FFmpeg 8 (node-av's libraries) as `ffmpeg -f flv rtmp://…`
 * does: lavfi sources, real encoders, the flv muxer over librtmp-free `rtmp://` (FFmpeg's
 * rtmpproto). Prints one JSON line: per output stream, the encoder, packet count and the
 * SHA-1 of every packet's data.
 *
 * Usage: deno run -A --config test/ertmp/nodeav/deno.json publish.ts URL SECONDS ENC[,ENC...] [--re]
 * where ENC is libx265, libsvtav1, libvpx-vp9, libx264, libopus or flac; `--re` sends in real
 * time, as `ffmpeg -re`.
 * @module
 */

import { Decoder, Demuxer, Encoder, FilterAPI, Muxer } from "node-av/api";
import type { Packet } from "node-av/lib";

const [url, secondsArg, encodersArg] = Deno.args;
if (
  url === undefined || secondsArg === undefined || encodersArg === undefined
) {
  throw new Error("Usage: publish.ts URL SECONDS ENC[,ENC...]");
}
const seconds = Number(secondsArg);
const encoders = encodersArg.split(",");

const AUDIO = new Set(["libopus", "flac", "aac", "ac3", "eac3"]);

/** One source → decoder → encoder chain, its packets collected. */
async function chain(name: string, index: number) {
  const audio = AUDIO.has(name);
  const graph = audio
    ? `sine=frequency=${
      440 + 110 * index
    }:sample_rate=48000:duration=${seconds}`
    : `testsrc2=size=${320 + 32 * index}x240:rate=25:duration=${seconds}`;
  const input = await Demuxer.open(graph, { format: "lavfi" });
  const stream = audio ? input.audio()! : input.video()!;
  const decoder = await Decoder.create(stream);
  const options: Record<string, string> = {};
  if (name === "libx265") options["x265-params"] = "log-level=error";
  if (name === "libsvtav1") options["preset"] = "12";
  if (name === "libvpx-vp9") {
    Object.assign(options, { deadline: "realtime", "cpu-used": "8" });
  }
  const encoder = await Encoder.create(name as never, {
    decoder,
    context: audio ? {} : { gopSize: 25, maxBFrames: 0 },
    options,
  } as never);
  // AC-3 and E-AC-3 take planar float only: convert as ffmpeg's auto-inserted filter does.
  const filter = name === "ac3" || name === "eac3"
    ? FilterAPI.create("aformat=sample_fmts=fltp")
    : null;
  return { name, input, stream, decoder, encoder, filter };
}

// As `ffmpeg -f flv rtmp://…`: the flv muxer over FFmpeg's own rtmp protocol, no options.
await using mux = await Muxer.open(url, { format: "flv" });
const chains = [];
for (const [i, name] of encoders.entries()) chains.push(await chain(name, i));
const streamIndex = chains.map((c) => mux.addStream(c.encoder)); // sets GLOBAL_HEADER before open

// The sources are finite: encode each, then write all packets interleaved by time.
const queued: { s: number; p: Packet; t: number }[] = [];
for (const [s, c] of chains.entries()) {
  const frames = c.decoder.frames(c.input.packets(c.stream.index));
  for await (
    const pkt of c.encoder.packets(c.filter?.frames(frames) ?? frames)
  ) {
    if (pkt === null) break;
    const tb = c.encoder.getCodecContext()!.timeBase;
    queued.push({ s, p: pkt, t: Number(pkt.dts) * tb.num / tb.den });
  }
}
queued.sort((a, b) => a.t - b.t || a.s - b.s);
const hashes: string[][] = chains.map(() => []);
const realtime = Deno.args.includes("--re");
const started = performance.now();
for (const { s, p, t } of queued) {
  const wait = t * 1000 - (performance.now() - started);
  if (realtime && wait > 0) await new Promise((r) => setTimeout(r, wait));
  const digest = await crypto.subtle.digest("SHA-1", new Uint8Array(p.data!));
  // An empty packet (FLAC's last, with only new extradata) is no frame: flv writes no tag.
  if (p.size > 0) {
    hashes[s]!.push(
      [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0"))
        .join(""),
    );
  }
  await mux.writePacket(p, streamIndex[s]!);
  p.free();
}
await mux.close();
for (const c of chains) {
  c.encoder.close();
  c.decoder.close();
  c.filter?.close();
  await c.input.close();
}
console.log(JSON.stringify(chains.map((c, s) => ({
  encoder: c.name,
  packets: hashes[s]!.length,
  hashes: hashes[s],
}))));
