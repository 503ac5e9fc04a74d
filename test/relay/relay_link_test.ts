import assert from "node:assert/strict";
import { dialRtmp } from "../../src/relay/relay_link.ts";

Deno.test("dialRtmp() gives up on an origin that accepts but never answers", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted = listener.accept();
  const t0 = Date.now();
  await assert.rejects(
    dialRtmp(`rtmp://127.0.0.1:${port}/live/x`, { timeoutMs: 300 }),
    /No publish reply from 127\.0\.0\.1:\d+ within 300 ms/,
  );
  assert.ok(Date.now() - t0 < 2_000);
  (await accepted).close();
});

Deno.test("dialRtmp() reports a refused connection", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await assert.rejects(
    dialRtmp(`rtmp://127.0.0.1:${port}/live/x`, { timeoutMs: 1_000 }),
    Deno.errors.ConnectionRefused,
  );
});
