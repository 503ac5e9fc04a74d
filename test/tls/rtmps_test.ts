/**
 * RTMPS end to end: FFmpeg and GStreamer publish over TLS to a server with a certificate from a
 * test CA; our client and a relay verify it (and refuse an untrusted or expired one); SIGHUP's
 * reload swaps the certificate without dropping a session.
 * @module
 */

import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import type { SessionInfo } from "../../src/session/session_info.ts";
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
import { haveOpenssl, makeTestPki, type TestPki } from "./test_ca.ts";

const noOpenssl = missing("openssl", haveOpenssl());
const noFfmpeg = missing(
  "ffmpeg/ffprobe",
  have("ffmpeg", "-version") && have("ffprobe", "-version"),
);
const noGst = missing("GStreamer rtmp2sink", have("gst-inspect-1.0", "rtmp2sink"));

/** A server with RTMPS on a free port, its certificate files copied to paths a reload rereads. */
async function tlsServer(pki: TestPki, extra: { push?: string[]; tlsCa?: string } = {}) {
  const cert = `${pki.dir}/live-${crypto.randomUUID()}.pem`;
  const key = `${cert}.key`;
  await Deno.copyFile(pki.cert, cert);
  await Deno.copyFile(pki.key, key);
  const s = await testServer({
    config: {
      rtmpsPort: 0,
      tlsCert: cert,
      tlsKey: key,
      ...(extra.push === undefined ? {} : { push: extra.push }),
      ...(extra.tlsCa === undefined ? {} : { tlsCa: extra.tlsCa }),
    },
  });
  const port = s.server.rtmpsPort;
  assert.ok(port !== null && port > 0);
  return { s, port, rtmpsUrl: `rtmps://127.0.0.1:${port}`, files: { cert, key } };
}

function sessions(s: TestServer): SessionInfo[] {
  return s.server.registry.view().list();
}

Deno.test({
  name: "FFmpeg publishes over rtmps:// and every frame is recorded; the session says tls",
  ignore: noOpenssl || noFfmpeg,
  async fn() {
    await using pki = await makeTestPki();
    const { s, rtmpsUrl } = await tlsServer(pki);
    await using _s = s;
    const r = await run("ffmpeg", [
      ...["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"],
      ...["-i", "testsrc=size=320x240:rate=25", "-t", "2"],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "25"],
      ...["-f", "flv", `${rtmpsUrl}/live/ff`],
    ]);
    assert.equal(r.code, 0, r.stderr);
    await until(() => sessions(s).every((x) => x.state === "closed"));
    const [info] = sessions(s);
    assert.equal(info?.tls, true);
    assert.match(info?.tlsVersion ?? "", /^TLSv1\.[23]$/);
    assert.equal(info?.streamName, "ff");
    assert.equal(info?.tcUrl, `${rtmpsUrl}/live`);
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    assert.deepEqual(await countFrames(files[0]!), { video: 50, audio: 0 });
  },
});

Deno.test({
  name: "GStreamer rtmp2sink publishes over rtmps:// and every frame is recorded",
  ignore: noOpenssl || noFfmpeg || noGst,
  async fn() {
    await using pki = await makeTestPki();
    const { s, rtmpsUrl } = await tlsServer(pki);
    await using _s = s;
    // glib-networking checks against the system store only: the test CA is not in it.
    const r = await run("gst-launch-1.0", [
      ...["-q", "videotestsrc", "num-buffers=40", "!", "video/x-raw,width=320,height=240"],
      ...["!", "x264enc", "speed-preset=ultrafast", "key-int-max=20", "!", "flvmux", "!"],
      ...["rtmp2sink", `location=${rtmpsUrl}/live/gst`, "tls-validation-flags=0"],
    ]);
    assert.equal(r.code, 0, r.stderr);
    await until(() => sessions(s).length > 0 && sessions(s).every((x) => x.state === "closed"));
    const [info] = sessions(s);
    assert.equal(info?.tls, true);
    assert.equal(info?.video.frames, 40);
    const files = await recordings(s.recordDir);
    assert.equal(files.length, 1);
    assert.deepEqual(await countFrames(files[0]!), { video: 40, audio: 0 });
  },
});

Deno.test({
  name:
    "our client verifies the certificate: trusted CA publishes, untrusted and expired are refused",
  ignore: noOpenssl,
  async fn() {
    await using pki = await makeTestPki();
    const { s, rtmpsUrl, files } = await tlsServer(pki);
    await using _s = s;
    const caCerts = [await Deno.readTextFile(pki.caCert)];
    const kept = await RtmpPublisher.connect(`${rtmpsUrl}/live/kept`, { caCerts });
    try {
      const keptInfo = sessions(s).find((x) => x.streamName === "kept");
      assert.equal(keptInfo?.tls, true);
      assert.equal(keptInfo?.tlsVersion, "TLSv1.3");
      await assert.rejects(
        RtmpPublisher.connect(`${rtmpsUrl}/live/nocas`, { timeoutMs: 5_000 }),
        /TLS connection to 127\.0\.0\.1:\d+ failed: .*UnknownIssuer/,
      );
      for (
        const [name, cert, key, why] of [
          ["untrusted", pki.untrustedCert, pki.untrustedKey, /UnknownIssuer/],
          ["expired", pki.expiredCert, pki.expiredKey, /certificate expired/],
        ] as const
      ) {
        await Deno.copyFile(cert, files.cert);
        await Deno.copyFile(key, files.key);
        s.server.reloadTls();
        await assert.rejects(
          RtmpPublisher.connect(`${rtmpsUrl}/live/${name}`, { caCerts, timeoutMs: 5_000 }),
          why,
          name,
        );
      }
      // A renewal signed by the CA: new connections use it, the first session never noticed.
      await Deno.copyFile(pki.cert2, files.cert);
      await Deno.copyFile(pki.key2, files.key);
      s.server.reloadTls();
      const renewed = await RtmpPublisher.connect(`${rtmpsUrl}/live/renewed`, { caCerts });
      await renewed.close();
      assert.equal(kept.closed, false);
      assert.equal(sessions(s).find((x) => x.streamName === "kept")?.state, "publishing");
      // A pair Deno refuses (a key of another certificate) leaves the renewal in use.
      await Deno.copyFile(pki.key, files.key);
      assert.throws(() => s.server.reloadTls(), /KeyMismatch|consistent/);
      const after = await RtmpPublisher.connect(`${rtmpsUrl}/live/after`, { caCerts });
      await after.close();
    } finally {
      await kept.close();
    }
  },
});

Deno.test({
  name: "a relay pushes to an rtmps:// origin it verifies with --tls-ca, and refuses one it cannot",
  ignore: noOpenssl,
  async fn() {
    await using pki = await makeTestPki();
    const origin = await tlsServer(pki);
    await using _origin = origin.s;
    const push = [`rtmps://127.0.0.1:${origin.port}/live`];
    const edge = await tlsServer(pki, { push, tlsCa: pki.caCert });
    await using _edge = edge.s;
    const blind = await tlsServer(pki, { push }); // no --tls-ca: the test CA is not trusted
    await using _blind = blind.s;
    for (const [s, name] of [[edge.s, "trusted"], [blind.s, "untrusted"]] as const) {
      const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/${name}`);
      try {
        await until(() => {
          const relay = sessions(s).find((x) => x.streamName === name)?.relays[0];
          return relay !== undefined && (relay.state === "live" || relay.lastError !== null);
        }, 10_000);
        const relay = sessions(s).find((x) => x.streamName === name)!.relays[0]!;
        if (name === "trusted") {
          assert.equal(relay.state, "live", relay.lastError ?? "");
          const at = sessions(origin.s).find((x) => x.streamName === name);
          assert.equal(at?.tls, true);
          assert.equal(at?.state, "publishing");
        } else {
          assert.notEqual(relay.state, "live");
          assert.match(relay.lastError ?? "", /UnknownIssuer/);
          assert.equal(sessions(origin.s).some((x) => x.streamName === name), false);
        }
      } finally {
        await pub.close();
      }
    }
  },
});
