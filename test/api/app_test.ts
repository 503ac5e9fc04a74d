import assert from "node:assert/strict";
import { HTTPException } from "hono/http-exception";
import { createApp } from "../../src/api/app.ts";
import { FakeClock } from "../../src/clock.ts";
import { type RegistryView, SessionRegistry } from "../../src/session/registry.ts";

function setup() {
  let n = 0;
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const registry = new SessionRegistry({ clock, newId: () => `id${++n}` });
  const drops: string[] = [];
  const open = () =>
    registry.open({ remoteAddr: "127.0.0.1:5000", parser: "js", drop: (r) => drops.push(r) });
  return { app: createApp(registry.view()), open, drops };
}

async function json(res: Response): Promise<unknown> {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return await res.json();
}

Deno.test("GET /healthz answers ok", async () => {
  const { app } = setup();
  const res = await app.request("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await json(res), { ok: true });
});

Deno.test("GET /healthz shows the version createApp() was given", async () => {
  const app = createApp({ list: () => [], get: () => undefined, drop: () => false }, {
    version: "9.8.7",
  });
  assert.deepEqual(await json(await app.request("/healthz")), { ok: true, version: "9.8.7" });
});

Deno.test("GET /api/sessions lists live and closed sessions", async () => {
  const { app, open } = setup();
  assert.deepEqual(await json(await app.request("/api/sessions")), { sessions: [] });
  const live = open();
  live.update({ state: "publishing", app: "live", streamName: "cam" });
  open().close("Peer closed the connection");
  const res = await app.request("/api/sessions");
  assert.equal(res.status, 200);
  const body = await json(res);
  assert.ok(typeof body === "object" && body !== null && "sessions" in body);
  assert.ok(Array.isArray(body.sessions));
  assert.deepEqual(
    body.sessions.map((s: { id: string; state: string }) => [s.id, s.state]),
    [["id1", "publishing"], ["id2", "closed"]],
  );
});

Deno.test("GET /api/sessions/:id gives the session", async () => {
  const { app, open } = setup();
  const h = open();
  h.update({ state: "connected", app: "live" });
  const res = await app.request(`/api/sessions/${h.id}`);
  assert.equal(res.status, 200);
  assert.deepEqual(await json(res), JSON.parse(JSON.stringify(h.info)));
});

Deno.test("GET /api/sessions/:id answers 404 for an unknown id", async () => {
  const { app } = setup();
  const res = await app.request("/api/sessions/nope");
  assert.equal(res.status, 404);
  assert.deepEqual(await json(res), { error: "Session nope not found" });
});

Deno.test("DELETE /api/sessions/:id asks the live session to drop", async () => {
  const { app, open, drops } = setup();
  const h = open();
  const res = await app.request(`/api/sessions/${h.id}`, { method: "DELETE" });
  assert.equal(res.status, 200);
  assert.deepEqual(await json(res), { dropped: h.id });
  assert.equal(drops.length, 1);
});

Deno.test("DELETE /api/sessions/:id answers 404 for unknown and closed sessions", async () => {
  const { app, open, drops } = setup();
  const unknown = await app.request("/api/sessions/nope", { method: "DELETE" });
  assert.equal(unknown.status, 404);
  assert.deepEqual(await json(unknown), { error: "Session nope not found" });
  const h = open();
  h.close("done");
  const closed = await app.request(`/api/sessions/${h.id}`, { method: "DELETE" });
  assert.equal(closed.status, 404);
  assert.deepEqual(await json(closed), { error: `Session ${h.id} is already closed` });
  assert.deepEqual(drops, []);
});

Deno.test("unknown routes answer 404 JSON", async () => {
  const { app } = setup();
  const cases: [string, string][] = [
    ["GET", "/"],
    ["GET", "/api/nope"],
    ["POST", "/api/nope"],
    ["GET", "/api/sessions/x/y"],
  ];
  for (const [method, path] of cases) {
    const res = await app.request(path, { method });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.deepEqual(await json(res), { error: `No route for ${method} ${path}` });
  }
});

Deno.test("a known path with the wrong method answers 405 JSON with Allow", async () => {
  const { app } = setup();
  const cases: [method: string, path: string, allow: string][] = [
    ["POST", "/api/sessions", "GET, HEAD"],
    ["DELETE", "/api/sessions", "GET, HEAD"],
    ["PUT", "/healthz", "GET, HEAD"],
    ["POST", "/api/sessions/id1", "GET, DELETE, HEAD"],
    ["PATCH", "/api/sessions/id1", "GET, DELETE, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    const res = await app.request(path, { method });
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get("Allow"), allow);
    assert.deepEqual(await json(res), {
      error: `Method ${method} not allowed on ${path}; allowed: ${allow}`,
    });
  }
});

Deno.test("HEAD on a GET route answers 200 without a body", async () => {
  const { app } = setup();
  const res = await app.request("/api/sessions", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
});

Deno.test("a wrong method with a token but no bearer answers 401, not 405", async () => {
  const app = createApp({ list: () => [], get: () => undefined, drop: () => false }, {
    token: "s3cret",
  });
  assert.equal((await app.request("/api/sessions", { method: "POST" })).status, 401);
  const ok = await app.request("/api/sessions", {
    method: "POST",
    headers: { Authorization: "Bearer s3cret" },
  });
  assert.equal(ok.status, 405);
});

Deno.test("a failing view gives 500 JSON without the error's details", async () => {
  const secret = "at secretFunction (/srv/secret.ts:1:1)";
  const throwing: RegistryView = {
    list: () => {
      throw new Error(secret);
    },
    get: () => {
      throw new TypeError(secret);
    },
    drop: () => {
      throw new Error(secret);
    },
  };
  const app = createApp(throwing);
  const cases: [string, string][] = [
    ["GET", "/api/sessions"],
    ["GET", "/api/sessions/x"],
    ["DELETE", "/api/sessions/x"],
  ];
  for (const [method, path] of cases) {
    const res = await app.request(path, { method });
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.equal(text, JSON.stringify({ error: "Internal error" }));
    assert.ok(!text.includes("secret"));
  }
});

Deno.test("an HTTPException below 500 keeps its status and message", async () => {
  const app = createApp({ list: () => [], get: () => undefined, drop: () => false });
  app.get("/teapot", () => {
    throw new HTTPException(418, { message: "Short and stout" });
  });
  const res = await app.request("/teapot");
  assert.equal(res.status, 418);
  assert.deepEqual(await json(res), { error: "Short and stout" });
});

Deno.test("createApp() with a token answers 401 JSON without the right bearer, except /healthz", async () => {
  const view = { list: () => [], get: () => undefined, drop: () => false };
  const app = createApp(view, { token: "s3cret" });
  assert.equal((await app.request("/healthz")).status, 200);
  for (const auth of [undefined, "Bearer nope", "Basic czNjcmV0", "Bearer", "s3cret"]) {
    const res = await app.request(
      "/api/sessions",
      auth ? { headers: { Authorization: auth } } : {},
    );
    assert.equal(res.status, 401, String(auth));
    assert.match((await res.json()).error, /Unauthorized/);
  }
  const ok = await app.request("/api/sessions", { headers: { Authorization: "Bearer s3cret" } });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { sessions: [] });
});
