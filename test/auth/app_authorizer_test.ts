import assert from "node:assert/strict";
import {
  type AppAuth,
  appAuthorizer,
  WEBHOOK_NOT_CONFIGURED,
} from "../../src/auth/app_authorizer.ts";
import type { PublishDecision, PublishRequest } from "../../src/auth/authorizer.ts";
import { signName } from "../../src/auth/hmac.ts";

const NOW_MS = 1_000_000_000;
const clock = { now: () => NOW_MS };

const RULES: Record<string, AppAuth> = {
  open: { publishAuth: "open", hmacSecret: null, onPublish: null },
  a: { publishAuth: "hmac", hmacSecret: "key-a", onPublish: null },
  b: { publishAuth: "hmac", hmacSecret: "key-b", onPublish: null },
  hook: { publishAuth: "webhook", hmacSecret: null, onPublish: "http://127.0.0.1:9/hook" },
};

function authFor(app: string): AppAuth {
  return RULES[app] ?? RULES.open!;
}

function req(app: string, name: string, query: string | null): PublishRequest {
  return { app, name, query, clientIp: "10.0.0.1", tcUrl: null, sessionId: "s1" };
}

function signed(secret: string, app: string, name: string): PublishRequest {
  const [bare, query] = signName(secret, { app, name, exp: NOW_MS / 1000 + 60 }).split("?");
  return req(app, bare!, query!);
}

const ALLOW: PublishDecision = { allow: true };
const refused = (reason: string): PublishDecision => ({ allow: false, reason });

Deno.test("appAuthorizer() lets anyone publish to an open app", () => {
  const authorize = appAuthorizer({ authFor, clock });
  assert.deepEqual(authorize(req("open", "x", null)), ALLOW);
});

Deno.test("appAuthorizer() checks an hmac app's signature with that app's own secret", () => {
  const authorize = appAuthorizer({ authFor, clock });
  assert.deepEqual(authorize(signed("key-a", "a", "cam")), ALLOW);
  assert.deepEqual(authorize(signed("key-b", "b", "cam")), ALLOW);
  assert.deepEqual(authorize(signed("key-b", "a", "cam")), refused("Bad signature"));
  assert.deepEqual(
    authorize(req("a", "cam", null)),
    refused("Missing signature (exp and sig)"),
  );
});

Deno.test("appAuthorizer() holds hmac apps to the max TTL", () => {
  const authorize = appAuthorizer({ authFor, clock, maxTtlS: 10 });
  assert.deepEqual(
    authorize(signed("key-a", "a", "cam")),
    refused("Signature expiry too far in the future"),
  );
});

Deno.test("appAuthorizer() refuses a webhook app when no webhook authorizer is given", async () => {
  const r = req("hook", "x", "key=1");
  assert.deepEqual(appAuthorizer({ authFor, clock })(r), refused(WEBHOOK_NOT_CONFIGURED));
  const asked: string[] = [];
  const authorize = appAuthorizer({
    authFor,
    clock,
    webhook: (url) => (q) => {
      asked.push(`${url} ${q.app}/${q.name}`);
      return Promise.resolve(q.query === "key=1" ? ALLOW : refused("Refused by webhook"));
    },
  });
  assert.deepEqual(await authorize(r), ALLOW);
  assert.deepEqual(await authorize({ ...r, query: null }), refused("Refused by webhook"));
  assert.deepEqual(asked, ["http://127.0.0.1:9/hook hook/x", "http://127.0.0.1:9/hook hook/x"]);
});

Deno.test("appAuthorizer() reads the rules at each publish, so a reload applies at once", () => {
  let mode: AppAuth["publishAuth"] = "open";
  const authorize = appAuthorizer({
    authFor: () => ({ publishAuth: mode, hmacSecret: "k", onPublish: null }),
    clock,
  });
  assert.deepEqual(authorize(req("live", "x", null)), ALLOW);
  mode = "hmac";
  assert.deepEqual(authorize(req("live", "x", null)), refused("Missing signature (exp and sig)"));
});
