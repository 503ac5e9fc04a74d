import assert from "node:assert/strict";
import {
  type AppAuth,
  appAuthorizer,
  WEBHOOK_NOT_CONFIGURED,
} from "../../src/auth/app_authorizer.ts";
import type { PublishRequest } from "../../src/auth/authorizer.ts";
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

function signed(secret: string, app: string, name: string): PublishRequest {
  const [bare, query] = signName(secret, { app, name, exp: NOW_MS / 1000 + 60 }).split("?");
  return { app, name: bare!, query: query! };
}

Deno.test("appAuthorizer() lets anyone publish to an open app", () => {
  const authorize = appAuthorizer({ authFor, clock });
  assert.equal(authorize({ app: "open", name: "x", query: null }), null);
});

Deno.test("appAuthorizer() checks an hmac app's signature with that app's own secret", () => {
  const authorize = appAuthorizer({ authFor, clock });
  assert.equal(authorize(signed("key-a", "a", "cam")), null);
  assert.equal(authorize(signed("key-b", "b", "cam")), null);
  assert.equal(authorize(signed("key-b", "a", "cam")), "Bad signature", "b's key is not a's");
  assert.equal(
    authorize({ app: "a", name: "cam", query: null }),
    "Missing signature (exp and sig)",
  );
});

Deno.test("appAuthorizer() refuses a webhook app until a webhook authorizer is plugged in", () => {
  const req = { app: "hook", name: "x", query: "key=1" };
  assert.equal(appAuthorizer({ authFor, clock })(req), WEBHOOK_NOT_CONFIGURED);
  const asked: string[] = [];
  const authorize = appAuthorizer({
    authFor,
    clock,
    webhook: (url) => (r) => {
      asked.push(`${url} ${r.app}/${r.name}`);
      return r.query === "key=1" ? null : "Refused by webhook";
    },
  });
  assert.equal(authorize(req), null);
  assert.equal(authorize({ ...req, query: null }), "Refused by webhook");
  assert.deepEqual(asked, ["http://127.0.0.1:9/hook hook/x", "http://127.0.0.1:9/hook hook/x"]);
});

Deno.test("appAuthorizer() reads the rules at each publish, so a reload applies at once", () => {
  let mode: AppAuth["publishAuth"] = "open";
  const authorize = appAuthorizer({
    authFor: () => ({ publishAuth: mode, hmacSecret: "k", onPublish: null }),
    clock,
  });
  assert.equal(authorize({ app: "live", name: "x", query: null }), null);
  mode = "hmac";
  assert.equal(
    authorize({ app: "live", name: "x", query: null }),
    "Missing signature (exp and sig)",
  );
});
