/**
 * The cluster as a real deployment on loopback: redis-server, HAProxy (TCP, send-proxy-v2)
 * in front of three rtmp-edge processes that push to an nginx-rtmp origin, FFmpeg as the
 * encoder. Phases: publish through HAProxy; a second publish via another edge; Redis stopped
 * and started; kill -9 of the owning edge and the encoder back through HAProxy; a silent
 * publisher taken over from another edge. Frames at the origin are counted with ffprobe at
 * each phase and printed as a timeline.
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { encodeProxyHeader } from "../../src/proxy_protocol/encode.ts";
import { have, missing, until } from "../interop/harness.ts";
import { makeClip, streamGood } from "../hostile/clip.ts";
import { noNginx, startNginx } from "../relay/nginx.ts";
import { noHaproxy, startHaproxy } from "../proxy_protocol/haproxy.ts";
import {
  clientPortsOf,
  clusterHealth,
  type Edge,
  ffmpegPublish,
  listed,
  originFrames,
  originStartsOnKeyframes,
  startEdge,
} from "./deployment.ts";
import { noRedis, startRedis } from "./redis.ts";

const noFfmpeg = missing(
  "ffmpeg/ffprobe or ss (iproute2)",
  have("ffmpeg", "-version") && have("ffprobe", "-version") && have("ss", "-V"),
);

/** Our own client's PROXY header: as if it came through the proxy from 192.0.2.10:5000. */
const OUR_CLIENT = encodeProxyHeader({
  version: 2,
  command: "proxy",
  family: "tcp4",
  source: { address: "192.0.2.10", port: 5000 },
  destination: { address: "127.0.0.1", port: 1935 },
});

interface Row {
  readonly phase: string;
  readonly ms: number;
  readonly frames: string;
  readonly note: string;
}

Deno.test({
  name:
    "three edges behind HAProxy on Redis with an nginx-rtmp origin survive a crash and an outage",
  ignore: noRedis || noHaproxy || noNginx || noFfmpeg,
  async fn() {
    const t0 = Date.now();
    const rows: Row[] = [];
    await using redis = await startRedis();
    await using origin = await startNginx();
    const clipDir = await Deno.makeTempDir({ prefix: "rtmp-edge-cluster-clip-" });
    const edges: Edge[] = await Promise.all(
      [0, 1, 2].map((i) => startEdge(`edge-${i}`, redis.url, origin.url)),
    );
    const ffmpegs: Deno.ChildProcess[] = [];
    const frames = async () => (await originFrames(origin.recordDir, "cam")).join("+") || "0";
    const mark = async (phase: string, note: string) => {
      rows.push({ phase, ms: Date.now() - t0, frames: await frames(), note });
    };
    try {
      await using proxy = await startHaproxy({
        backends: edges.map((e) => e.rtmpPort),
        proxyVersion: 2,
      });
      for (const e of edges) await until(async () => (await clusterHealth(e)) === "ok", 15_000);
      await mark("start", "redis, origin, 3 edges, haproxy up");

      // 1. FFmpeg publishes through HAProxy: every edge lists it with FFmpeg's own address.
      ffmpegs.push(ffmpegPublish(`rtmp://127.0.0.1:${proxy.port}/live/cam`));
      await until(async () => (await listed(edges[2]!)).length === 1, 15_000);
      const [first] = await listed(edges[0]!);
      const ports = await clientPortsOf(proxy.port);
      assert.ok(first !== undefined);
      assert.deepEqual(ports.map((p) => `127.0.0.1:${p}`), [first.remoteAddr]);
      const owner = edges.find((e) => e.id === first.edgeId)!;
      const others = edges.filter((e) => e !== owner);
      await until(async () => Number(await frames()) > 25, 15_000);
      await mark("publish via haproxy", `on ${owner.id} from ${first.remoteAddr}`);

      // 2. The same key via another edge while FFmpeg sends: refused by the cluster.
      await assert.rejects(
        RtmpPublisher.connect(`rtmp://127.0.0.1:${others[0]!.rtmpPort}/live/cam`, {
          preamble: OUR_CLIENT,
        }),
        /Publish refused: NetStream.Publish.BadName/,
      );
      await mark("second publish", `via ${others[0]!.id}: refused (BadName)`);

      // 3. Redis stopped and started: publishing goes on, ownership comes back.
      const beforeOutage = Number(await frames());
      await redis.stop();
      await until(async () => (await clusterHealth(owner)) === "degraded", 10_000);
      await mark("redis stopped", `${owner.id} /healthz: degraded`);
      await new Promise((r) => setTimeout(r, 1_500));
      await redis.start();
      await until(
        async () => (await listed(others[1]!)).some((x) => x.edgeId === owner.id),
        15_000,
      );
      assert.ok(
        Number(await frames()) > beforeOutage,
        "the origin got no frames during the outage",
      );
      await mark("redis restarted", `ownership of live/cam back on ${owner.id}`);

      // 4. kill -9 of the owning edge: FFmpeg republishes through HAProxy to another edge.
      const filesBefore = (await originFrames(origin.recordDir, "cam")).length;
      const killedAt = Date.now();
      await owner.kill();
      await Promise.race([ffmpegs[0]!.status, new Promise((r) => setTimeout(r, 3_000))]);
      let holder: string | null = null;
      while (holder === null) {
        if (Date.now() - killedAt > 20_000) throw new Error("No edge took the stream back");
        const ff = ffmpegPublish(`rtmp://127.0.0.1:${proxy.port}/live/cam`);
        ffmpegs.push(ff);
        const exited = ff.status.then(() => true);
        const deadline = Date.now() + 4_000;
        while (holder === null && Date.now() < deadline) {
          const l = (await listed(others[0]!)).find((x) => x.edgeId !== owner.id);
          if (l !== undefined) holder = l.edgeId;
          else if (await Promise.race([exited, new Promise((r) => setTimeout(r, 200, false))])) {
            break; // refused while the dead edge's claim was fresh: try again
          }
        }
      }
      const reconnectMs = Date.now() - killedAt;
      await until(async () => (await originFrames(origin.recordDir, "cam")).length > filesBefore);
      await until(async () => ((await originFrames(origin.recordDir, "cam")).at(-1) ?? 0) > 25);
      const keyframes = await originStartsOnKeyframes(origin.recordDir, "cam");
      assert.equal(
        keyframes.at(-1),
        true,
        "the origin's new recording does not start on a key frame",
      );
      await mark(
        "kill -9 owner",
        `${owner.id} killed; FFmpeg on ${holder} after ${reconnectMs} ms, ` +
          `${ffmpegs.length - 1} FFmpeg starts; origin resumes on a key frame`,
      );

      // 5. FFmpeg falls silent (SIGSTOP): our client takes the name over via the other edge.
      const ff = ffmpegs.at(-1)!;
      const y = edges.find((e) => e.id === holder)!;
      const z = others.find((e) => e !== y)!;
      const filesNow = (await originFrames(origin.recordDir, "cam")).length;
      ff.kill("SIGSTOP");
      const stoppedAt = Date.now();
      const clip = await makeClip(clipDir);
      let ours: RtmpPublisher | null = null;
      while (ours === null) {
        try {
          ours = await RtmpPublisher.connect(`rtmp://127.0.0.1:${z.rtmpPort}/live/cam`, {
            preamble: OUR_CLIENT,
          });
        } catch (e) {
          if (Date.now() - stoppedAt > 10_000) throw e;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      const tookMs = Date.now() - stoppedAt;
      let stop = false;
      const streaming = streamGood(ours, clip, () => stop, 0);
      try {
        await until(async () => (await listed(y)).some((x) => x.edgeId === z.id), 10_000);
        await until(async () => (await originFrames(origin.recordDir, "cam")).length > filesNow);
        await until(async () => ((await originFrames(origin.recordDir, "cam")).at(-1) ?? 0) > 30);
        assert.equal((await originStartsOnKeyframes(origin.recordDir, "cam")).at(-1), true);
        const [now] = await listed(y);
        assert.equal(now?.remoteAddr, "192.0.2.10:5000");
        await mark(
          "stale takeover",
          `FFmpeg on ${y.id} stopped; ours took over via ${z.id} after ${tookMs} ms`,
        );
      } finally {
        stop = true;
        await streaming;
        await ours.close();
        ff.kill("SIGCONT");
      }
    } finally {
      for (const ff of ffmpegs) {
        try {
          ff.kill("SIGKILL");
        } catch { /* exited */ }
        await ff.status;
      }
      const logs = await Promise.all(edges.map((e) => e.stop()));
      await Deno.remove(clipDir, { recursive: true });
      const table = rows.map((r) =>
        `  ${r.phase.padEnd(20)} ${String(r.ms).padStart(6)} ms  ${
          r.frames.padStart(12)
        }  ${r.note}`
      );
      console.log(
        "cluster timeline (frames: video packets per origin recording, by ffprobe; a 0 is a file\n" +
          "nginx-rtmp opened for a relay it refused as already publishing):\n" + table.join("\n"),
      );
      if (rows.length < 6) console.log(logs.map((l) => l.slice(-3000)).join("\n-----\n"));
    }
  },
});
