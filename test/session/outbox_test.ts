import assert from "node:assert/strict";
import { JoinMemo } from "../../src/bytes.ts";
import { Outbox } from "../../src/session/outbox.ts";

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

Deno.test("Outbox holds writes until release() and writes what joined them in one write", async () => {
  const conn = new FakeConn();
  const out = new Outbox(conn, { onError: () => assert.fail("no error") });
  out.sendRaw(bytes(1), true);
  out.sendRaw(bytes(2, 3), true);
  await settle();
  assert.equal(conn.writes.length, 0, "held until released");
  assert.equal(out.queuedBytes, 3);
  out.release();
  await settle();
  assert.deepEqual(conn.writes.map((w) => [...w]), [[1, 2, 3]]);
  assert.equal(out.queuedBytes, 0);
  out.release();
  await settle();
  assert.equal(conn.writes.length, 1, "a release with nothing held writes nothing");
});

Deno.test("Outbox: bytes sent without a hold end the wait and go out with what waited, in order", async () => {
  const conn = new FakeConn();
  const out = new Outbox(conn, { onError: () => assert.fail("no error") });
  out.sendRaw(bytes(1), true);
  out.sendRaw(bytes(2));
  await settle();
  assert.deepEqual(conn.writes.map((w) => [...w]), [[1, 2]]);
  out.sendRaw(bytes(3), true);
  await out.drained(); // draining releases
  assert.deepEqual(conn.bytes, [1, 2, 3]);
  assert.equal(conn.writes.length, 2);
});

Deno.test("Outbox: held bytes sent while a write is in progress go out after it without a release", async () => {
  const conn = new FakeConn();
  const out = new Outbox(conn, { onError: () => assert.fail("no error") });
  out.sendRaw(bytes(1));
  out.sendRaw(bytes(2), true);
  await settle();
  assert.deepEqual(conn.writes.map((w) => [...w]), [[1], [2]]);
});

Deno.test("outboxes released after the same sends write the very same joined buffer", async () => {
  const joins = new JoinMemo();
  const a = new FakeConn();
  const b = new FakeConn();
  const shared = [bytes(1, 2), bytes(3)];
  const outs = [a, b].map((conn) =>
    new Outbox(conn, { onError: () => assert.fail("no error"), joins })
  );
  for (const out of outs) for (const part of shared) out.sendRaw(part, true);
  for (const out of outs) out.release();
  await settle();
  assert.equal(a.writes.length, 1);
  assert.equal(a.writes[0], b.writes[0], "one join for both");
  assert.deepEqual(a.bytes, [1, 2, 3]);
});

Deno.test("Outbox over its limit fails once and drops what was queued; a release after writes nothing", async () => {
  const errors: string[] = [];
  const conn = new FakeConn();
  const out = new Outbox(conn, { maxQueuedBytes: 4, onError: (e) => errors.push(e.message) });
  out.sendRaw(bytes(1, 2, 3), true);
  out.sendRaw(bytes(4, 5), true);
  out.sendRaw(bytes(6), true);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /Limit max-outgoing-bytes: 5 bytes queued/);
  out.release();
  await out.drained();
  assert.equal(conn.writes.length, 0, "nothing written after the failure");
});
