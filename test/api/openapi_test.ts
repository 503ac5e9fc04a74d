import assert from "node:assert/strict";
import { emptyFigures } from "../../src/health/health_tracker.ts";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { createApp } from "../../src/api/app.ts";
import type { ClusterView } from "../../src/api/cluster_routes.ts";
import type { ClusterStreamView } from "../../src/cluster/cluster.ts";
import { DOCS_SCRIPT_ROUTE, readDocsScript } from "../../src/api/docs_page.ts";
import { FakeClock } from "../../src/clock.ts";
import { ServerMetrics } from "../../src/metrics/server_metrics.ts";
import { SessionTotals } from "../../src/metrics/session_totals.ts";
import { SessionRegistry } from "../../src/session/registry.ts";
import { StreamHub } from "../../src/stream/hub.ts";
import { SCALAR_SHA256, sha256Hex } from "../../tools/build_docs.ts";

const TOKEN = "t0ken";
const AUTH = { Authorization: `Bearer ${TOKEN}` };

/** A registry with a publisher (recording, relay), a player and a closed session, and a hub. */
function setup() {
  let n = 0;
  const clock = new FakeClock(Date.UTC(2024, 0, 1));
  const totals = new SessionTotals();
  const registry = new SessionRegistry({
    clock,
    newId: () => `id${++n}`,
    onClose: (i) => totals.closed(i),
  });
  const hub = new StreamHub();
  const open = () =>
    registry.open({ remoteAddr: "127.0.0.1:5000", parser: "wasm", drop: () => {} });
  const pub = open();
  pub.update({
    state: "publishing",
    role: "publisher",
    app: "live",
    streamName: "cam",
    publishStartedAt: new Date(clock.now()).toISOString(),
    recording: { path: "/rec/live/cam.flv.part", bytes: 1000, state: "recording", error: null },
  });
  pub.info.relays.push({
    target: "rtmp://origin:1935/live/cam",
    state: "live",
    bytesOut: 500,
    reconnects: 1,
    lastError: null,
  });
  pub.addBytesIn(4096);
  hub.claim({
    key: "live/cam",
    app: "live",
    name: "cam",
    publisherId: pub.id,
    startedAt: new Date(clock.now()).toISOString(),
    codecs: pub.info,
  });
  const player = open();
  player.update({ state: "playing", role: "player", app: "live", streamName: "cam" });
  player.update({
    player: {
      key: "live/cam",
      bytesOut: 10,
      framesSent: 1,
      framesSkipped: 0,
      skipEpisodes: 0,
      queuedBytes: 0,
      lagMs: 0,
    },
  });
  open().close("Client closed the connection");
  const metrics = new ServerMetrics({
    sessions: () => registry.live(),
    streams: () => hub.list(),
    totals,
    maxStreams: 10,
    clock,
  });
  const options = { streams: () => hub.list(), version: "1.2.3", metrics };
  return {
    app: createApp(registry.view(), { ...options, token: TOKEN }),
    bare: createApp(registry.view(), { streams: options.streams }),
    pub,
  };
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, Response3> }>>;
  components: Record<string, unknown>;
}
interface Response3 {
  content?: Record<string, { schema: Record<string, unknown> }>;
}

async function fetchDoc(app: { request: (p: string) => Response | Promise<Response> }) {
  const res = await app.request("/openapi.json");
  assert.equal(res.status, 200);
  return await res.json() as OpenApiDoc;
}

const validators = new WeakMap<OpenApiDoc, (path: string[]) => ValidateFunction>();

/** A JSON Schema 2020-12 validator (OpenAPI 3.1's dialect) of the schema at `path` in `doc`. */
function validatorOf(doc: OpenApiDoc): (path: string[]) => ValidateFunction {
  let v = validators.get(doc);
  if (v === undefined) {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...doc, $id: "openapi.json" });
    const pointer = (path: string[]) =>
      path.map((p) => encodeURIComponent(p.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/");
    const cache = new Map<string, ValidateFunction>();
    v = (path) => {
      const ref = `openapi.json#/${pointer(path)}`;
      let f = cache.get(ref);
      if (f === undefined) cache.set(ref, f = ajv.compile({ $ref: ref }));
      return f;
    };
    validators.set(doc, v);
  }
  return v;
}

/** Checks `res` against the document: its status is documented for the route, its body fits. */
async function checkAgainstDoc(doc: OpenApiDoc, route: string, method: string, res: Response) {
  const op = doc.paths[route]?.[method];
  assert.ok(op, `${method.toUpperCase()} ${route} is not in the document`);
  const documented = op.responses[String(res.status)];
  assert.ok(documented, `${method.toUpperCase()} ${route} answered ${res.status}, undocumented`);
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  const content = documented.content?.[type];
  assert.ok(content, `${method.toUpperCase()} ${route} ${res.status} answered ${type}`);
  const validate = validatorOf(doc)(
    ["paths", route, method, "responses", String(res.status), "content", type, "schema"],
  );
  const body: unknown = type === "application/json" ? await res.json() : await res.text();
  assert.ok(
    validate(body),
    `${method.toUpperCase()} ${route} ${res.status}: ${JSON.stringify(validate.errors)}\n${
      JSON.stringify(body)
    }`,
  );
}

Deno.test("GET /openapi.json is an OpenAPI 3.1 document of every API route, without a token", async () => {
  const { app } = setup();
  const doc = await fetchDoc(app);
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    "/api/sessions",
    "/api/sessions/{id}",
    "/api/streams",
    "/healthz",
    "/metrics",
  ]);
  assert.deepEqual(Object.keys(doc.paths["/api/sessions/{id}"]!).sort(), ["delete", "get"]);
});

Deno.test("every route's real answers match the OpenAPI document", async () => {
  const { app, bare, pub } = setup();
  const doc = await fetchDoc(app);
  const cases: [route: string, method: string, path: string, auth: boolean, status: number][] = [
    ["/healthz", "get", "/healthz", false, 200],
    ["/api/sessions", "get", "/api/sessions", true, 200],
    ["/api/sessions", "get", "/api/sessions", false, 401],
    ["/api/streams", "get", "/api/streams", true, 200],
    ["/api/streams", "get", "/api/streams", false, 401],
    ["/api/sessions/{id}", "get", `/api/sessions/${pub.id}`, true, 200],
    ["/api/sessions/{id}", "get", "/api/sessions/id3", true, 200],
    ["/api/sessions/{id}", "get", "/api/sessions/nope", true, 404],
    ["/api/sessions/{id}", "get", "/api/sessions/nope", false, 401],
    ["/api/sessions/{id}", "delete", "/api/sessions/id3", true, 404],
    ["/api/sessions/{id}", "delete", `/api/sessions/${pub.id}`, true, 200],
    ["/api/sessions/{id}", "delete", `/api/sessions/${pub.id}`, false, 401],
    ["/metrics", "get", "/metrics", true, 200],
    ["/metrics", "get", "/metrics", false, 401],
  ];
  const covered = new Set<string>();
  for (const [route, method, path, auth, status] of cases) {
    const res = await app.request(path, {
      method: method.toUpperCase(),
      headers: auth ? AUTH : {},
    });
    assert.equal(res.status, status, `${method} ${path}`);
    await checkAgainstDoc(doc, route, method, res);
    covered.add(`${method} ${route} ${status}`);
  }
  const noMetrics = await bare.request("/metrics");
  assert.equal(noMetrics.status, 404);
  await checkAgainstDoc(doc, "/metrics", "get", noMetrics);
  covered.add("get /metrics 404");
  for (const [route, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const status of Object.keys(op.responses)) {
        assert.ok(covered.has(`${method} ${route} ${status}`), `${method} ${route} ${status}`);
      }
    }
  }
});

const CAM: ClusterStreamView = {
  key: "live/cam",
  edgeId: "e2",
  sessionId: "s1",
  app: "live",
  name: "cam",
  remoteAddr: "198.51.100.7:4000",
  videoCodec: "H264",
  audioCodec: null,
  bitrateKbps: 900.5,
  since: "2026-01-01T00:00:00.000Z",
};

/** A cluster that holds `live/cam` on edge e2, or one whose Redis is away (every call throws). */
function fakeCluster(live: boolean): ClusterView {
  const away = () => {
    throw new Error("Redis did not answer within 1000 ms");
  };
  return {
    health: () => ({
      edgeId: "e1",
      state: live ? "ok" : "degraded",
      reason: live ? null : "Redis unreachable",
    }),
    list: () => live ? Promise.resolve([CAM, { ...CAM, key: "live/b", name: "b" }]) : away(),
    drop: (key) => live ? Promise.resolve(key === CAM.key ? CAM : null) : away(),
  };
}

Deno.test("the document lists the cluster routes only when the server has a cluster", async () => {
  const { app } = setup();
  const view = { list: () => [], get: () => undefined, drop: () => false };
  const clustered = createApp(view, { token: TOKEN, cluster: fakeCluster(true) });
  const doc = await fetchDoc(clustered);
  const plain = Object.keys((await fetchDoc(app)).paths);
  assert.ok(plain.every((p) => !p.startsWith("/api/cluster")), plain.join(", "));
  assert.deepEqual(
    Object.keys(doc.paths).filter((p) => p.startsWith("/api/cluster")).sort(),
    ["/api/cluster/streams", "/api/cluster/streams/{app}/{name}"],
  );
  assert.deepEqual(Object.keys(doc.paths["/api/cluster/streams"]!), ["get"]);
  assert.deepEqual(Object.keys(doc.paths["/api/cluster/streams/{app}/{name}"]!), ["delete"]);
});

Deno.test("every cluster route's real answers match the OpenAPI document", async () => {
  const view = { list: () => [], get: () => undefined, drop: () => false };
  const live = createApp(view, { token: TOKEN, cluster: fakeCluster(true) });
  const away = createApp(view, { token: TOKEN, cluster: fakeCluster(false) });
  const doc = await fetchDoc(live);
  const list = "/api/cluster/streams";
  const one = "/api/cluster/streams/{app}/{name}";
  const cases: [app: typeof live, route: string, method: string, path: string, status: number][] = [
    [live, list, "get", list, 200],
    [away, list, "get", list, 503],
    [live, one, "delete", "/api/cluster/streams/live/cam", 200],
    [live, one, "delete", "/api/cluster/streams/live/nope", 404],
    [away, one, "delete", "/api/cluster/streams/live/cam", 503],
  ];
  const covered = new Set<string>();
  for (const [app, route, method, path, status] of cases) {
    for (const auth of [true, false]) {
      const res = await app.request(path, {
        method: method.toUpperCase(),
        headers: auth ? AUTH : {},
      });
      const expected = auth ? status : 401;
      assert.equal(res.status, expected, `${method} ${path}`);
      await checkAgainstDoc(doc, route, method, res);
      covered.add(`${method} ${route} ${expected}`);
    }
  }
  for (const route of [list, one]) {
    for (const [method, op] of Object.entries(doc.paths[route]!)) {
      for (const status of Object.keys(op.responses)) {
        assert.ok(covered.has(`${method} ${route} ${status}`), `${method} ${route} ${status}`);
      }
    }
  }
  const post = await live.request(list, { method: "POST", headers: AUTH });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("Allow"), "GET, HEAD");
  await post.body?.cancel();
});

Deno.test("a session with a health object still matches the document", async () => {
  const { app, pub } = setup();
  const doc = await fetchDoc(app);
  const health = { ...emptyFigures(), status: "warning" as const, bitrate1s: 800_000, fps: 25 };
  Object.assign(pub.info, { health: { ...health, reasons: ["keyframe interval 5.0 s (> 4 s)"] } });
  const res = await app.request(`/api/sessions/${pub.id}`, { headers: AUTH });
  await checkAgainstDoc(doc, "/api/sessions/{id}", "get", res);
});

Deno.test("an Enhanced RTMP session over TLS, and /healthz with a cluster, match the document", async () => {
  const { app, pub } = setup();
  const doc = await fetchDoc(app);
  pub.update({ tlsVersion: "TLSv1.3" });
  Object.assign(pub.info, {
    tls: true,
    enhanced: {
      fourCcList: ["hvc1", "Opus"],
      videoFourCcInfoMap: { hvc1: 3 },
      audioFourCcInfoMap: { Opus: 1 },
      capsEx: 4,
    },
  });
  pub.info.video.tracks = [{
    trackId: 0,
    fourcc: "hvc1",
    codec: "h265",
    width: 1920,
    height: 1080,
    fps: 30,
    frames: 3,
    keyframes: 1,
    hdr: null,
  }];
  pub.info.audio.tracks = [{
    trackId: 1,
    fourcc: "Opus",
    codec: "opus",
    sampleRate: 48000,
    channels: 2,
    frames: 9,
  }];
  const one = await app.request(`/api/sessions/${pub.id}`, { headers: AUTH });
  await checkAgainstDoc(doc, "/api/sessions/{id}", "get", one);
  const all = await app.request("/api/sessions", { headers: AUTH });
  await checkAgainstDoc(doc, "/api/sessions", "get", all);
  const cluster = {
    health: () => ({ edgeId: "e1", state: "degraded" as const, reason: "Redis unreachable" }),
    list: () => Promise.resolve([]),
    drop: () => Promise.resolve(null),
  };
  const clustered = createApp({ list: () => [], get: () => undefined, drop: () => false }, {
    version: "1.2.3",
    cluster,
  });
  const healthz = await clustered.request("/healthz");
  assert.equal(healthz.status, 200);
  await checkAgainstDoc(doc, "/healthz", "get", healthz);
});

Deno.test("the document's schemas refuse a body that drifted from them", async () => {
  const { app, pub } = setup();
  const doc = await fetchDoc(app);
  const body = JSON.parse(JSON.stringify(pub.info));
  body.surprise = 1;
  const drifted = new Response(JSON.stringify(body), {
    headers: { "content-type": "application/json" },
  });
  await assert.rejects(
    checkAgainstDoc(doc, "/api/sessions/{id}", "get", drifted),
    /must NOT have additional properties/,
  );
});

Deno.test("405 and the bearer token behave as before on the OpenAPI routes", async () => {
  const { app } = setup();
  const post = await app.request("/metrics", { method: "POST", headers: AUTH });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("Allow"), "GET, HEAD");
  const del = await app.request("/openapi.json", { method: "DELETE" });
  assert.equal(del.status, 405);
  const wrong = await app.request("/api/sessions", { headers: { Authorization: "Bearer nope" } });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("WWW-Authenticate"), 'Bearer realm="rtmp-edge"');
});

Deno.test("GET /docs is a reference page whose script comes from this server, not a CDN", async () => {
  const script = new TextEncoder().encode("window.Scalar = {};");
  const app = createApp({ list: () => [], get: () => undefined, drop: () => false }, {
    token: TOKEN,
    docsScript: () => script,
  });
  const res = await app.request("/docs");
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<script src="\/docs\/scalar\.js"/);
  assert.match(html, /"url": "\/openapi\.json"/);
  const external = [...html.matchAll(/(?:src|href)=["']([^"']+)["']|from\s+['"]([^'"]+)['"]/g)]
    .map((m) => m[1] ?? m[2] ?? "").filter((u) => /^(https?:)?\/\//.test(u));
  assert.deepEqual(external, []);
  const js = await app.request(DOCS_SCRIPT_ROUTE);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  assert.deepEqual(new Uint8Array(await js.arrayBuffer()), script);
  const none = createApp({ list: () => [], get: () => undefined, drop: () => false });
  const missing = await none.request(DOCS_SCRIPT_ROUTE);
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /deno task build:docs/);
});

Deno.test("the built reference script is Scalar's pinned standalone bundle", async () => {
  const { script, error } = readDocsScript();
  assert.ok(script, `No build/scalar-api-reference.js (${error}): run deno task build:docs`);
  assert.equal(await sha256Hex(new Uint8Array(script)), SCALAR_SHA256);
  assert.match(new TextDecoder().decode(script.subarray(-200_000)), /createApiReference/);
});
