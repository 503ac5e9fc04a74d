/**
 * Enhanced RTMP with real FFmpeg 8 code (node-av's libraries): FFmpeg's flv muxer publishes
 * HEVC, AV1, VP9, Opus, FLAC and a multitrack stream over `rtmp://` to server A, which
 * records, relays to server B (which records) and plays to an FFmpeg player that announced
 * E-RTMP and to a legacy one. Frames in = recorded = relayed = played, per track, byte-exact.
 * @module
 */

import assert from "node:assert/strict";
import { recordings, testServer, until } from "../interop/harness.ts";
import { nodeAv, nodeAvError, type StreamPackets } from "./node_av.ts";

const loadError = await nodeAvError();
/** CI installs node-av from npm on first use: there, a load failure fails the tests. */
const skip = loadError !== null && Deno.env.get("CI") !== "true";
if (skip) console.warn(`\n!!! SKIPPED: node-av (FFmpeg 8) does not load: ${loadError} !!!\n`);

/** Packets per stream as [count, hashes] for comparing two reads. */
function shape(streams: StreamPackets[]): { codec?: number; hashes: string[] }[] {
  return streams.map((s) => ({
    ...(s.codec === undefined ? {} : { codec: s.codec }),
    hashes: s.hashes,
  }));
}

const AUDIO_ENCODERS = ["libopus", "flac", "ac3", "eac3"];

interface Case {
  readonly name: string;
  readonly encoders: string[];
  /** Streams a legacy player gets (the default tracks), by index into the published ones. */
  readonly legacy: number[];
}

const CASES: Case[] = [
  { name: "HEVC + Opus", encoders: ["libx265", "libopus"], legacy: [0, 1] },
  { name: "AV1", encoders: ["libsvtav1"], legacy: [0] },
  { name: "VP9 + Opus", encoders: ["libvpx-vp9", "libopus"], legacy: [0, 1] },
  {
    name: "VP9 + AC-3, E-AC-3 as track 1",
    encoders: ["libvpx-vp9", "ac3", "eac3"],
    legacy: [0, 1],
  },
  {
    name: "multitrack HEVC + AV1, Opus + FLAC",
    encoders: ["libx265", "libsvtav1", "libopus", "flac"],
    legacy: [0, 2],
  },
];

for (const c of CASES) {
  Deno.test({
    name: `FFmpeg 8 publishes ${c.name}: frames in = recorded = relayed = played, byte-exact`,
    ignore: skip,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    if (loadError !== null) throw new Error(`node-av (FFmpeg 8) does not load: ${loadError}`);
    await using b = await testServer();
    await using a = await testServer({
      config: { push: [`${b.rtmpUrl}/live`], playWaitMs: 120_000 },
    });
    const url = `${a.rtmpUrl}/live/t`;
    const enhancedPlay = nodeAv("read.ts", [url, "--enhanced"], 180_000);
    const legacyPlay = nodeAv("read.ts", [url], 180_000);
    await until(
      () => a.server.registry.view().list().filter((s) => s.role === "player").length === 2,
      60_000,
    );
    const published = await nodeAv("publish.ts", [url, "2", c.encoders.join(",")], 180_000);
    const [enhanced, legacy] = await Promise.all([enhancedPlay, legacyPlay]);
    let recA: string[] = [];
    let recB: string[] = [];
    await until(async () => {
      recA = await recordings(a.recordDir, 0);
      recB = await recordings(b.recordDir, 0);
      return recA.length === 1 && recB.length === 1;
    }, 30_000);
    const recordedA = await nodeAv("read.ts", [recA[0]!]);
    const recordedB = await nodeAv("read.ts", [recB[0]!]);

    const counts = (s: StreamPackets[]) => s.map((x) => x.packets);
    console.log(
      `${c.name}: published ${JSON.stringify(published.map((p) => [p.encoder, p.packets]))}, ` +
        `recorded ${counts(recordedA)}, relayed ${counts(recordedB)}, ` +
        `played E-RTMP ${counts(enhanced)}, legacy ${counts(legacy)}`,
    );
    assert.deepEqual(counts(recordedA), counts(published), "frames in = frames recorded");
    for (const p of published) assert.ok(p.packets > 0, `${p.encoder} made packets`);
    assert.deepEqual(shape(recordedB), shape(recordedA), "relayed = recorded, byte-exact");
    assert.deepEqual(shape(enhanced), shape(recordedA), "played (E-RTMP) = recorded, byte-exact");
    assert.deepEqual(
      shape(legacy),
      c.legacy.map((i) => shape(recordedA)[i]!),
      "a legacy player gets the default tracks, byte-exact",
    );
    // Packets the flv muxer writes as the encoder made them are byte-exact from the encoder on.
    for (const [i, p] of published.entries()) {
      if (p.encoder !== "libx265") {
        assert.deepEqual(recordedA[i]!.hashes, p.hashes, `${p.encoder} bytes`);
      }
    }

    // The E-RTMP player announced its FourCCs in connect; the legacy one nothing.
    const players = a.server.registry.view().list().filter((s) => s.role === "player");
    const announced = players.map((p) => p.enhanced?.fourCcList.join(",") ?? "legacy").sort();
    assert.deepEqual(announced, ["hvc1,av01,vp09,avc1,Opus,fLaC,mp4a,ac-3,ec-3", "legacy"]);

    const pub = a.server.registry.view().list().find((s) => s.role === "publisher");
    assert.ok(pub !== undefined);
    const videoTracks = pub.video.tracks ?? [];
    const audioTracks = pub.audio.tracks ?? [];
    const isAudio = (p: StreamPackets) => AUDIO_ENCODERS.includes(p.encoder!);
    const videoEncoders = published.filter((p) => !isAudio(p));
    const audioEncoders = published.filter(isAudio);
    assert.deepEqual(
      videoTracks.map((t) => t.frames),
      videoEncoders.map((p) => p.packets),
      "video frames per track",
    );
    assert.deepEqual(
      audioTracks.map((t) => t.frames),
      audioEncoders.map((p) => p.packets),
      "audio frames per track",
    );
    for (const t of videoTracks) {
      assert.ok(t.width !== null && t.width >= 320, `track ${t.trackId} width ${t.width}`);
      assert.equal(t.height, 240);
      assert.ok(t.fps !== null && Math.abs(t.fps - 25) < 1, `track ${t.trackId} fps ${t.fps}`);
      assert.ok(t.hdr !== null, `track ${t.trackId} colour info`);
    }
    for (const t of audioTracks) {
      if (t.codec === "ac-3" || t.codec === "ec-3") continue; // no rate in their sequence start
      assert.equal(t.sampleRate, 48000);
      assert.equal(t.channels, 1);
    }
    // The top-level facts are the default track's.
    assert.equal(pub.video.codec, videoTracks[0]?.codec);
    assert.equal(pub.video.frames, videoTracks[0]?.frames);
    assert.ok(pub.video.fps !== null && Math.abs(pub.video.fps - 25) < 1, `fps ${pub.video.fps}`);
    if (audioTracks[0] !== undefined) assert.equal(pub.audio.frames, audioTracks[0].frames);
  });
}

Deno.test({
  name: "FFmpeg 8 players joining a live multitrack stream late get every track, byte-exact",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  if (loadError !== null) throw new Error(`node-av (FFmpeg 8) does not load: ${loadError}`);
  await using a = await testServer();
  const url = `${a.rtmpUrl}/live/late`;
  const publishing = nodeAv("publish.ts", [url, "4", "libx265,libsvtav1,libopus,flac", "--re"]);
  // Join once the publisher has sent over a second of video (past the first key frame).
  await until(() => {
    const pub = a.server.registry.view().list().find((s) => s.role === "publisher");
    return (pub?.video.tracks?.[0]?.frames ?? 0) > 30;
  }, 60_000);
  const [published, enhanced, legacy] = await Promise.all([
    publishing,
    nodeAv("read.ts", [url, "--enhanced"]),
    nodeAv("read.ts", [url]),
  ]);
  let rec: string[] = [];
  await until(async () => (rec = await recordings(a.recordDir, 0)).length === 1, 30_000);
  const recorded = await nodeAv("read.ts", [rec[0]!]);
  console.log(
    `late join: published ${published.map((p) => p.packets)}, recorded ${
      recorded.map((r) => r.packets)
    }, E-RTMP player ${enhanced.map((e) => e.packets)}, legacy ${legacy.map((l) => l.packets)}`,
  );
  assert.deepEqual(recorded.map((r) => r.packets), published.map((p) => p.packets));
  const tail = (s: StreamPackets, n: number) => s.hashes.slice(s.hashes.length - n);
  // Every track decodes from the cached sequence headers: same codecs, a suffix of each track.
  assert.deepEqual(enhanced.map((e) => e.codec), recorded.map((r) => r.codec));
  for (const [i, e] of enhanced.entries()) {
    assert.ok(e.packets > 0 && e.packets < recorded[i]!.packets, `track ${i}: ${e.packets}`);
    assert.deepEqual(e.hashes, tail(recorded[i]!, e.packets), `track ${i} bytes`);
  }
  // Both video tracks start at the same key frame (the GOP starts at track 0's, not track 1's).
  assert.equal(enhanced[0]!.packets, enhanced[1]!.packets);
  assert.deepEqual(legacy.map((l) => l.codec), [recorded[0]!.codec, recorded[2]!.codec]);
  for (const [i, l] of legacy.entries()) {
    const r = recorded[i === 0 ? 0 : 2]!;
    assert.deepEqual(l.hashes, tail(r, l.packets), `legacy stream ${i} bytes`);
  }
});
