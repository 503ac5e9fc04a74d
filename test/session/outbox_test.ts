import assert from "node:assert/strict";
import { JoinMemo } from "../../src/bytes.ts";
import { Outbox } from "../../src/session/outbox.ts";
import { PaceTicker } from "../../src/session/pace_ticker.ts";

/** A socket stand-in that keeps each write and takes at most `max` bytes of it. */
class FakeConn {
  readonly writes: Uint8Array[] = [];
  constructor(readonly max = Infinity) {}
  write(p: Uint8Array): Promise<number> {
    const n = Math.min(p.length, this.max);
    this.writes.push(n === p.length ? p : p.subarray(0, n));
    return Promise.resolve(n);
  }
  get bytes(): number[] {
    return this.writes.flatMap((w) => [...w]);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const bytes = (...b: number[]) => new Uint8Array(b);

Deno.test("Outbox writes at once without a hold, in order, the rest of a partial write after it", async () => {
  const conn = new FakeConn(3);
  const out = new Outbox(conn, { onError: () => assert.fail("no error") });
  out.sendRaw(bytes(1, 2, 3, 4, 5));
  out.sendRaw(bytes(6));
  await out.drained();
  assert.deepEqual(conn.bytes, [1, 2, 3, 4, 5, 6]);
  assert.equal(out.queuedBytes, 0);
  assert.equal(out.writes, conn.writes.length);
});

Deno.test("Outbox holds a media write for the ticker's slot and writes what joined it in one write", async () => {
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  const conn = new FakeConn();
  const out = new Outbox(conn, { onError: () => assert.fail("no error"), ticker });
  out.sendRaw(bytes(1), 20);
  out.sendRaw(bytes(2, 3), 20);
  await settle();
  ticker.tick();
  await settle();
  assert.equal(conn.writes.length, 0, "held until the slot 20 ms away");
  assert.equal(out.queuedBytes, 3);
  ticker.tick();
  await settle();
  assert.deepEqual(conn.writes.map((w) => [...w]), [[1, 2, 3]]);
  assert.equal(out.queuedBytes, 0);
});

Deno.test("Outbox: bytes sent without a hold end the wait and go out with what waited, in order", async () => {
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  const conn = new FakeConn();
  const out = new Outbox(conn, { onError: () => assert.fail("no error"), ticker });
  out.sendRaw(bytes(1), 20);
  out.sendRaw(bytes(2), 0);
  await settle();
  assert.deepEqual(conn.writes.map((w) => [...w]), [[1, 2]]);
  out.sendRaw(bytes(3), 20);
  await out.drained(); // draining does not wait for the slot
  assert.deepEqual(conn.bytes, [1, 2, 3]);
  ticker.tick();
  ticker.tick();
  await settle();
  assert.equal(conn.writes.length, 2, "the slot given up writes nothing more");
});

Deno.test("Outbox without a ticker ignores the hold", async () => {
  const conn = new FakeConn();
  const out = new Outbox(conn, { onError: () => assert.fail("no error") });
  out.sendRaw(bytes(1), 50);
  await out.drained();
  assert.deepEqual(conn.bytes, [1]);
});

Deno.test("outboxes held for one slot write the very same joined buffer", async () => {
  using ticker = new PaceTicker({ periodMs: 10, manual: true });
  const joins = new JoinMemo();
  const a = new FakeConn();
  const b = new FakeConn();
  const shared = [bytes(1, 2), bytes(3)];
  for (const conn of [a, b]) {
    const out = new Outbox(conn, { onError: () => assert.fail("no error"), ticker, joins });
    for (const part of shared) out.sendRaw(part, 10);
  }
  ticker.tick();
  await settle();
  assert.equal(a.writes.length, 1);
  assert.equal(a.writes[0], b.writes[0], "one join for both");
  assert.deepEqual(a.bytes, [1, 2, 3]);
});

Deno.test("Outbox over its limit fails once and drops what was queued; a disposed ticker ends holds", async () => {
  const ticker = new PaceTicker({ periodMs: 10, manual: true });
  const errors: string[] = [];
  const conn = new FakeConn();
  const out = new Outbox(conn, {
    maxQueuedBytes: 4,
    onError: (e) => errors.push(e.message),
    ticker,
  });
  out.sendRaw(bytes(1, 2, 3), 10);
  out.sendRaw(bytes(4, 5), 10);
  out.sendRaw(bytes(6), 10);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /Limit max-outgoing-bytes: 5 bytes queued/);
  ticker[Symbol.dispose]();
  await out.drained();
  assert.equal(conn.writes.length, 0, "nothing written after the failure");
});
