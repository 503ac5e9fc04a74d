import assert from "node:assert/strict";
import { QueueLag } from "../../src/stream/queue_lag.ts";

Deno.test("QueueLag is the media time queued and not written, across the 2^32 wrap", () => {
  const lag = new QueueLag();
  assert.equal(lag.lagMs(0), 0, "nothing queued");
  let end = 0;
  for (let i = 0; i < 5000; i++) lag.push(end += 100, (0xffffff00 + i * 40) >>> 0);
  assert.equal(lag.lagMs(0), 4999 * 40);
  assert.equal(lag.lagMs(100 * 4000), 999 * 40, "forgets what was written");
  assert.equal(lag.lagMs(end), 0);
});
