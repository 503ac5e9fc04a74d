import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { RtmpPublisher } from "../../src/client/publisher.ts";
import { systemClock } from "../../src/clock.ts";
import { DEFAULT_CONFIG } from "../../src/config.ts";
import { createJsParser } from "../../src/parser/js_parser.ts";
import type { ChunkParser } from "../../src/parser/types.ts";
import { startServer } from "../../src/server.ts";
import { until } from "./harness.ts";

/** A parser that traps like a broken WASM core once video arrives on the "trap" publisher. */
function trapping(inner: ChunkParser): ChunkParser {
  let armed = false;
  return {
    kind: "wasm",
    get chunkSize() {
      return inner.chunkSize;
    },
    writable: () => inner.writable(),
    commit: (n) => inner.commit(n),
    push: (b) => inner.push(b),
    drain(onMessage) {
      inner.drain((rec, body) => {
        if (rec.type === 20 && new TextDecoder().decode(body).includes("trap")) armed = true;
        if (armed && rec.type === 9) throw new WebAssembly.RuntimeError("unreachable");
        onMessage(rec, body);
      });
    },
    [Symbol.dispose]: () => inner[Symbol.dispose](),
  };
}

Deno.test("a trap in one connection's parser closes that connection only", async () => {
  const recordDir = await Deno.makeTempDir();
  const server = startServer({
    config: { ...DEFAULT_CONFIG, host: "127.0.0.1", rtmpPort: 0, httpPort: 0, recordDir },
    clock: systemClock,
    log: getLogger(["rtmp-edge-test"]),
    makeParser: (limits) => trapping(createJsParser(limits)),
  });
  try {
    const url = `rtmp://127.0.0.1:${server.rtmpPort}/live`;
    const good = await RtmpPublisher.connect(`${url}/good`);
    const bad = await RtmpPublisher.connect(`${url}/trap`);
    const frame = new Uint8Array([0x17, 1, 0, 0, 0, 0xaa]);
    await bad.sendMedia(9, 0, frame);
    await until(() => bad.closed);
    for (let i = 0; i < 5; i++) await good.sendMedia(9, i * 40, frame);
    const view = server.registry.view();
    await until(() => view.list().some((s) => s.streamName === "good" && s.video.frames === 5));
    const trapped = view.list().find((s) => s.streamName === "trap")!;
    assert.equal(trapped.state, "closed");
    assert.match(trapped.closeReason!, /^Parser core trapped: unreachable/);
    await good.close();
    await bad.close(true);
  } finally {
    await server.close();
    await Deno.remove(recordDir, { recursive: true });
  }
});
