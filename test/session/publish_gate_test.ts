import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { PublishDecision, PublishRequest } from "../../src/auth/authorizer.ts";
import {
  AUTHORIZER_FAILED,
  MAX_ASKING,
  PublishGate,
  TOO_MANY_ASKING,
} from "../../src/session/publish_gate.ts";

const REQ: PublishRequest = {
  app: "live",
  name: "cam",
  query: null,
  clientIp: "127.0.0.1",
  tcUrl: null,
  sessionId: "s",
};
const log = getLogger(["rtmp-edge-test"]);

Deno.test("PublishGate gives a synchronous answer at once, with nothing left waiting", () => {
  const gate = new PublishGate({ authorize: () => ({ allow: true, name: "x" }), log });
  const got: PublishDecision[] = [];
  gate.ask(1, REQ, (d) => got.push(d));
  assert.deepEqual(got, [{ allow: true, name: "x" }]);
  assert.equal(gate.waiting(1), false);
});

Deno.test("PublishGate waits for a late answer, and drops it when cancelled first", async () => {
  const answers: ((d: PublishDecision) => void)[] = [];
  const gate = new PublishGate({
    authorize: () => new Promise<PublishDecision>((r) => answers.push(r)),
    log,
  });
  const got: [number, PublishDecision][] = [];
  gate.ask(1, REQ, (d) => got.push([1, d]));
  gate.ask(2, REQ, (d) => got.push([2, d]));
  assert.ok(gate.waiting(1) && gate.waiting(2));
  gate.cancel(1);
  answers[0]!({ allow: true });
  answers[1]!({ allow: false, reason: "no" });
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(got, [[2, { allow: false, reason: "no" }]]);
  assert.equal(gate.waiting(2), false);
  gate.ask(3, REQ, (d) => got.push([3, d]));
  gate.cancelAll();
  answers[2]!({ allow: true });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(got.length, 1, "cancelAll drops every late answer");
});

Deno.test("PublishGate refuses when the authorizer throws or rejects", async () => {
  const got: PublishDecision[] = [];
  new PublishGate({
    authorize: () => {
      throw new Error("bug");
    },
    log,
  }).ask(1, REQ, (d) => got.push(d));
  new PublishGate({ authorize: () => Promise.reject(new Error("down")), log })
    .ask(1, REQ, (d) => got.push(d));
  await new Promise((r) => setTimeout(r, 0));
  const refused = { allow: false, reason: AUTHORIZER_FAILED };
  assert.deepEqual(got, [refused, refused]);
});

Deno.test("PublishGate refuses at once while MAX_ASKING questions wait, cancelled ones included", async () => {
  const answers: ((d: PublishDecision) => void)[] = [];
  const gate = new PublishGate({
    authorize: () => new Promise<PublishDecision>((r) => answers.push(r)),
    log,
  });
  const got: PublishDecision[] = [];
  for (let i = 0; i < MAX_ASKING; i++) {
    gate.ask(1, REQ, (d) => got.push(d));
    gate.cancel(1); // deleteStream: the request goes on
  }
  gate.ask(1, REQ, (d) => got.push(d));
  assert.equal(answers.length, MAX_ASKING, "no request past the bound");
  const refused: PublishDecision = { allow: false, reason: TOO_MANY_ASKING };
  assert.deepEqual([...got], [refused]);
  answers[0]!({ allow: true });
  await new Promise((r) => setTimeout(r, 0));
  gate.ask(2, REQ, (d) => got.push(d));
  assert.equal(answers.length, MAX_ASKING + 1, "an answer frees room");
});
