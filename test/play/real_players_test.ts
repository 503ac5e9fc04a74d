import assert from "node:assert/strict";
import type { SessionInfo } from "../../src/session/session_info.ts";
import type { StreamView } from "../../src/stream/live_stream.ts";
import { recordings, testServer, until } from "../interop/harness.ts";
import { assertTail, codedTags, noPlayers, PLAYERS, publishAv } from "./players.ts";

async function sessions(httpUrl: string): Promise<SessionInfo[]> {
  return (await (await fetch(`${httpUrl}/api/sessions`)).json()).sessions;
}

Deno.test({
  name:
    "FFmpeg, GStreamer and rtmpdump joining mid-stream get every later frame, byte-exact, from a key frame",
  ignore: noPlayers,
  async fn() {
    await using s = await testServer();
    const url = `${s.rtmpUrl}/live/x`;
    const publishing = publishAv(url, 6);
    await until(async () => (await sessions(s.httpUrl)).some((x) => x.state === "publishing"));
    await new Promise((r) => setTimeout(r, 1_500));
    const dir = s.recordDir;
    const names = Object.keys(PLAYERS) as (keyof typeof PLAYERS)[];
    const playing = names.map((n) => PLAYERS[n](url, `${dir}/${n}.out`));
    await until(async () => {
      const list = await sessions(s.httpUrl);
      return list.filter((x) => x.role === "player" && x.player!.framesSent > 0).length === 3;
    });
    // The API while they play: roles, figures, the publisher's count, consumers by kind.
    const list = await sessions(s.httpUrl);
    const players = list.filter((x) => x.role === "player");
    assert.equal(players.length, 3);
    for (const p of players) {
      assert.equal(p.player?.key, "live/x");
      assert.equal(p.streamName, "x");
      assert.equal(p.app, "live");
    }
    assert.equal(list.find((x) => x.role === "publisher")?.players, 3);
    const streams: StreamView[] = (await (await fetch(`${s.httpUrl}/api/streams`)).json()).streams;
    assert.equal(streams[0]?.consumers["rtmp-player"], 3);
    const results = await Promise.all(playing);
    assert.equal((await publishing).code, 0);
    for (const [i, r] of results.entries()) assert.equal(r.code, 0, `${names[i]}: ${r.stderr}`);
    const [recording] = await recordings(dir);
    const want = await codedTags(recording!);
    const sent = new Set<number>();
    for (const n of names) {
      const got = await codedTags(`${dir}/${n}.out`);
      // FFmpeg's muxer starts its output at 0; the others keep the publisher's timestamps.
      const at = assertTail(got, want, {
        who: n,
        timestamps: n !== "ffmpeg",
        lastLost: n === "ffmpeg" ? 0 : 3,
      });
      console.log(`${n}: ${got.length} of ${want.length} frames, joined at ${at}`);
      sent.add(want.length - at);
    }
    await until(async () => (await sessions(s.httpUrl)).every((x) => x.state === "closed"));
    const closed = await sessions(s.httpUrl);
    for (const p of closed.filter((x) => x.role === "player")) {
      assert.match(p.closeReason ?? "", /closed the connection|reset by peer/);
      assert.ok(p.player!.bytesOut > 100_000, `bytesOut ${p.player!.bytesOut}`);
      // The server sent every frame from the join on (a player may lose its last ones itself).
      assert.ok(sent.has(p.player!.framesSent), `framesSent ${p.player!.framesSent}`);
    }
  },
});

Deno.test({
  name: "rtmpdump playing before the publisher comes waits, then gets every frame",
  ignore: noPlayers,
  async fn() {
    await using s = await testServer({ config: { playWaitMs: 15_000 } });
    const url = `${s.rtmpUrl}/live/early`;
    const out = `${s.recordDir}/early.out`;
    const playing = PLAYERS.rtmpdump(url, out);
    await until(async () => (await sessions(s.httpUrl)).some((x) => x.role === "player"));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await publishAv(url, 3)).code, 0);
    assert.equal((await playing).code, 0);
    const want = await codedTags((await recordings(s.recordDir))[0]!);
    const got = await codedTags(out);
    assert.equal(assertTail(got, want, { who: "rtmpdump", timestamps: true, lastLost: 3 }), 0);
  },
});

Deno.test({
  name: "DELETE /api/sessions/:id drops an FFmpeg player and the publisher goes on",
  ignore: noPlayers,
  async fn() {
    await using s = await testServer();
    const url = `${s.rtmpUrl}/live/drop`;
    const publishing = publishAv(url, 4);
    await until(async () => (await sessions(s.httpUrl)).some((x) => x.state === "publishing"));
    const playing = PLAYERS.ffmpeg(url, `${s.recordDir}/drop.out`);
    let id = "";
    await until(async () => {
      id = (await sessions(s.httpUrl)).find((x) => x.role === "player")?.id ?? "";
      return id !== "";
    });
    const res = await fetch(`${s.httpUrl}/api/sessions/${id}`, { method: "DELETE" });
    await res.body?.cancel();
    assert.equal(res.ok, true);
    await playing;
    await until(async () =>
      (await sessions(s.httpUrl)).find((x) => x.id === id)?.state === "closed"
    );
    const info = (await sessions(s.httpUrl)).find((x) => x.id === id)!;
    assert.equal(info.closeReason, "Dropped by API request");
    assert.equal((await publishing).code, 0);
    // A publisher nobody plays any more may read its last bytes a merge interval later.
    const publisher = async () => (await sessions(s.httpUrl)).find((x) => x.role === "publisher")!;
    await until(async () => (await publisher()).video.frames >= 120);
    assert.equal((await publisher()).video.frames, 120);
  },
});
