import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import type { PublishRequest } from "../../src/auth/authorizer.ts";
import { WebhookAuth } from "../../src/hooks/webhook_auth.ts";
import { freePort } from "../relay/nginx.ts";
import { type Answer, hookServer, json } from "./hook_server.ts";

const REQ: PublishRequest = {
  app: "live",
  name: "key123",
  query: "token=s3cret",
  clientIp: "10.1.2.3",
  tcUrl: "rtmp://edge/live",
  sessionId: "sess-1",
};

function auth(url: string, opts: { timeoutMs?: number; failOpen?: boolean } = {}): WebhookAuth {
  return new WebhookAuth({
    url,
    timeoutMs: opts.timeoutMs ?? 2_000,
    failOpen: opts.failOpen ?? false,
    edgeId: "edge-a",
    log: getLogger(["rtmp-edge-test"]),
  });
}

/** The decision for REQ when the hook answers with `answer`. */
async function decide(answer: Answer, opts: { timeoutMs?: number; failOpen?: boolean } = {}) {
  await using hook = hookServer(answer);
  await using w = auth(`${hook.url}/auth`, opts);
  return await w.publish(REQ);
}

Deno.test("publish webhook gets the request as JSON and a 2xx with no body allows", async () => {
  await using hook = hookServer(() => new Response(null, { status: 204 }));
  await using w = auth(`${hook.url}/auth?t=1`);
  assert.deepEqual(await w.publish(REQ), { allow: true });
  assert.equal(hook.calls.length, 1);
  assert.equal(hook.calls[0]!.path, "/auth");
  assert.deepEqual(hook.calls[0]!.body, {
    action: "publish",
    app: "live",
    name: "key123",
    key: "token=s3cret",
    clientIp: "10.1.2.3",
    tcUrl: "rtmp://edge/live",
    sessionId: "sess-1",
    edgeId: "edge-a",
  });
});

Deno.test("publish webhook's 2xx body renames, adds push targets and turns recording off", async () => {
  const d = await decide(() =>
    json({ name: "channel-9", push: ["rtmp://origin:1936/live"], record: false, extra: 1 })
  );
  assert.deepEqual(d, {
    allow: true,
    name: "channel-9",
    push: ["rtmp://origin:1936/live"],
    record: false,
  });
});

Deno.test("publish webhook refuses on 4xx, 3xx (not followed), 5xx and garbage", async () => {
  const cases: [string, Answer, RegExp][] = [
    ["403", () => new Response("no", { status: 403 }), /^Webhook answered 403$/],
    [
      "302",
      () => new Response(null, { status: 302, headers: { location: "/allow" } }),
      /^Webhook answered 302 \(a redirect, not followed\)$/,
    ],
    ["500", () => new Response("oops", { status: 500 }), /^Webhook answered 500$/],
    ["html", () => new Response("<html>ok</html>"), /^Webhook answer is not JSON$/],
    ["array", () => json([1, 2]), /^Webhook answer is malformed/],
    ["bad push", () => json({ push: ["http://x/y"] }), /^Webhook answer is malformed at push\.0/],
    ["bad record", () => json({ record: "no" }), /^Webhook answer is malformed at record/],
    ["huge", () => new Response("x".repeat(70_000)), /longer than 65536 bytes/],
  ];
  for (const [name, answer, reason] of cases) {
    const d = await decide(answer);
    assert.equal(d.allow, false, name);
    assert.match(d.allow ? "" : d.reason, reason, name);
  }
});

Deno.test("a 302 is not followed: the hook sees one request only", async () => {
  await using hook = hookServer((call) =>
    call.path === "/allow"
      ? json({})
      : new Response(null, { status: 302, headers: { location: "/allow" } })
  );
  await using w = auth(`${hook.url}/auth`);
  assert.equal((await w.publish(REQ)).allow, false);
  assert.deepEqual(hook.calls.map((c) => c.path), ["/auth"]);
});

Deno.test("publish webhook refuses when the hook is slow or unreachable, naming why", async () => {
  const slow = await decide(async (_c, _n) => {
    await new Promise((r) => setTimeout(r, 600));
    return json({});
  }, { timeoutMs: 150 });
  assert.deepEqual(slow, { allow: false, reason: "Webhook did not answer within 150 ms" });
  await using w = auth(`http://127.0.0.1:${freePort()}/auth?token=hidden`);
  const down = await w.publish(REQ);
  assert.equal(down.allow, false);
  assert.match(down.allow ? "" : down.reason, /^Webhook unreachable: .*refused/i);
  assert.doesNotMatch(down.allow ? "" : down.reason, /hidden|127\.0\.0\.1/);
});

Deno.test("--webhook-fail-open allows when the hook fails, but a 4xx still refuses", async () => {
  assert.deepEqual(await decide(() => new Response("", { status: 503 }), { failOpen: true }), {
    allow: true,
  });
  assert.deepEqual(await decide(() => new Response("{"), { failOpen: true }), { allow: true });
  await using w = auth(`http://127.0.0.1:${freePort()}/`, { failOpen: true });
  assert.deepEqual(await w.publish(REQ), { allow: true });
  assert.deepEqual(await decide(() => new Response("", { status: 401 }), { failOpen: true }), {
    allow: false,
    reason: "Webhook answered 401",
  });
});

Deno.test("play webhook sends action play with the protocol; any 2xx allows", async () => {
  await using hook = hookServer((call) =>
    call.body.name === "ok" ? new Response("anything") : new Response("", { status: 403 })
  );
  await using w = auth(hook.url);
  const req = { ...REQ, sessionId: null, tcUrl: null, protocol: "http-flv" as const };
  assert.deepEqual(await w.play({ ...req, name: "ok" }), { allow: true });
  assert.deepEqual(await w.play({ ...req, name: "no" }), {
    allow: false,
    reason: "Webhook answered 403",
  });
  assert.equal(hook.calls[0]!.body.action, "play");
  assert.equal(hook.calls[0]!.body.protocol, "http-flv");
  assert.equal(hook.calls[0]!.body.key, "token=s3cret");
});

Deno.test("close() cancels a request still waiting: it refuses, and nothing is left running", async () => {
  await using hook = hookServer(async (_c, _n) => {
    await hook.wait();
    return json({});
  });
  const w = auth(hook.url, { failOpen: true });
  const pending = w.publish(REQ);
  await hook.until(1);
  assert.equal(w.pending, 1);
  await w.close();
  assert.deepEqual(await pending, { allow: false, reason: "Webhook request cancelled" });
  assert.equal(w.pending, 0);
});

Deno.test("a decision that fails rejects to its caller only, with no unhandled rejection", async () => {
  const log = getLogger(["rtmp-edge-test"]);
  const throwing = Object.assign(Object.create(log), {
    warning: () => {
      throw new Error("log sink broke");
    },
  });
  await using w = new WebhookAuth({
    url: "http://127.0.0.1:9/auth",
    timeoutMs: 500,
    failOpen: true,
    edgeId: "edge-a",
    log: throwing,
    fetch: () => Promise.reject(new TypeError("unreachable")),
  });
  await assert.rejects(async () => await w.publish(REQ), /log sink broke/);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(w.pending, 0);
});
