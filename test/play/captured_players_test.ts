import assert from "node:assert/strict";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { MessageRecord } from "../../src/parser/types.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { decodeCommand } from "../../src/rtmp/commands.ts";
import { C0C1_SIZE, C2_SIZE, S0S1S2_SIZE } from "../../src/rtmp/handshake.ts";
import { testServer, until } from "../interop/harness.ts";
import { describe } from "./play_fixture.ts";

const CAPTURES = new URL("../../../shared/captures/play/", import.meta.url);
const HANDSHAKE = C0C1_SIZE + C2_SIZE;

/** Messages of a capture after the handshake, with the offset each one ends at. */
function messages(bytes: Uint8Array): { line: string; name: string; end: number }[] {
  using parser = createJsParser({ maxChunkStreams: 64, maxPartialBytes: 1 << 24 });
  const out: { line: string; name: string; end: number }[] = [];
  let at = 0;
  const onMessage = (rec: MessageRecord, body: Uint8Array) => {
    const name = rec.type === 20 ? decodeCommand(body, 20).name : "";
    out.push({ line: describe(rec, body), name, end: at });
  };
  for (; at < bytes.length; at++) {
    parser.push(bytes.subarray(at, at + 1));
    parser.drain(onMessage);
  }
  return out;
}

/** What a reply line says without its chunk stream (ours puts data on its own csid). */
function gist(line: string): string {
  const [head, ...rest] = line.split(" ");
  const [type, , stream] = head!.split("/");
  return `${type}/${stream} ${type === "8" || type === "9" ? "media" : rest.join(" ")}`;
}

for (const client of ["ffmpeg", "gst", "rtmpdump"]) {
  const path = new URL(`${client}-play-client.bin`, CAPTURES);
  let exists = true;
  try {
    Deno.statSync(path);
  } catch {
    exists = false;
  }
  Deno.test({
    name: `the bytes ${client} sent to nginx-rtmp get nginx's replies, in order, then media`,
    ignore: !exists,
    async fn() {
      await using s = await testServer({ config: { record: false } });
      const pub = await RtmpPublisher.connect(`${s.rtmpUrl}/live/x`);
      await pub.send({
        type: 18,
        csid: 4,
        streamId: pub.streamId,
        timestamp: 0,
        body: encodeAmf0(["@setDataFrame", "onMetaData", new Map([["width", 320]])]),
      });
      await pub.sendMedia(9, 0, new Uint8Array([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]));
      await pub.sendMedia(8, 0, new Uint8Array([0xaf, 0, 0x12, 0x10]));
      await pub.sendMedia(9, 40, new Uint8Array([0x17, 1, 0, 0, 0, 9, 9, 9]));
      const sent = Deno.readFileSync(path);
      const theirs = messages(sent.subarray(HANDSHAKE));
      const stop = theirs.findIndex((m) => m.name === "deleteStream");
      const end = HANDSHAKE + (stop < 0 ? sent.length - HANDSHAKE : theirs[stop - 1]!.end + 1);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: s.server.rtmpPort });
      await conn.write(sent.subarray(0, end));
      const got: Uint8Array[] = [];
      let total = 0;
      const reading = (async () => {
        const buf = new Uint8Array(65536);
        for (;;) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) return;
          got.push(buf.slice(0, n));
          total += n;
        }
      })();
      const ours = () => {
        const all = new Uint8Array(total);
        let o = 0;
        for (const g of got) all.set(g, (o += g.length) - g.length);
        return messages(all.subarray(S0S1S2_SIZE)).map((m) => m.line);
      };
      await until(() => total > S0S1S2_SIZE && ours().some((l) => l.startsWith("9/")));
      const nginx = messages(
        Deno.readFileSync(new URL(`${client}-play-nginx-server.bin`, CAPTURES)).subarray(
          S0S1S2_SIZE,
        ),
      ).map((m) => gist(m.line));
      const mine = ours().map(gist);
      // nginx's replies up to the first media, as a subsequence of ours (we add Play.Reset).
      const expected = nginx.slice(0, nginx.findIndex((l) => l.endsWith("media")) + 1);
      let i = 0;
      for (const line of mine) if (line === expected[i]) i++;
      assert.equal(i, expected.length, `missing ${expected[i]} in:\n${mine.join("\n")}`);
      assert.ok(!mine.some((l) => l.includes("_error")), mine.join("\n"));
      assert.ok(ours().some((l) => l.startsWith("9/7/1 @40")), "the cached key frame, on csid 7");
      conn.close();
      await reading;
      await pub.close();
    },
  });
}
