import assert from "node:assert/strict";
import type { PublishRequest } from "../../src/auth/authorizer.ts";
import {
  hmacAuthorizer,
  hmacPlayAuthorizer,
  signature,
  signedString,
  signName,
  verifyPublish,
} from "../../src/auth/hmac.ts";
import { FakeClock } from "../../src/clock.ts";
import { have, missing } from "../interop/harness.ts";

const SECRET = "golden-secret";
const EXP = 1_700_000_000;
/** `printf 'live/cam:1700000000' | openssl dgst -sha256 -hmac 'golden-secret'` */
const GOLDEN = "9581d7fdd24e0fd3f33ab2d02d87af5e61a9c2b0bf3397071ad90936ddcf186e";
const BEFORE = (EXP - 60) * 1000;

function request(signed: string, app = "live"): PublishRequest {
  const at = signed.indexOf("?");
  const who = { clientIp: "127.0.0.1", tcUrl: null, sessionId: "s1" };
  return at < 0
    ? { app, name: signed, query: null, ...who }
    : { app, name: signed.slice(0, at), query: signed.slice(at + 1), ...who };
}

Deno.test("signature() matches HMAC-SHA256 vectors computed with openssl", () => {
  assert.equal(signedString({ app: "live", name: "cam", exp: EXP }), "live/cam:1700000000");
  assert.equal(signature(SECRET, { app: "live", name: "cam", exp: EXP }), GOLDEN);
  // printf 'app/a b:0' | openssl dgst -sha256 -hmac 'k'
  assert.equal(
    signature("k", { app: "app", name: "a b", exp: 0 }),
    "6f3692602098b8d91f1a67c56304be5ad6233576da92e316c784c91d765059d1",
  );
});

Deno.test("signName() appends exp and sig to the name", () => {
  assert.equal(
    signName(SECRET, { app: "live", name: "cam", exp: EXP }),
    `cam?exp=${EXP}&sig=${GOLDEN}`,
  );
});

Deno.test("verifyPublish() accepts a good signature until its exp, in upper or lower case hex", () => {
  const req = request(`cam?exp=${EXP}&sig=${GOLDEN}`);
  assert.equal(verifyPublish(SECRET, req, BEFORE), null);
  assert.equal(verifyPublish(SECRET, req, EXP * 1000), null);
  assert.equal(
    verifyPublish(SECRET, request(`cam?sig=${GOLDEN.toUpperCase()}&exp=${EXP}`), BEFORE),
    null,
  );
  assert.equal(verifyPublish(SECRET, request(`cam?exp=${EXP}&sig=${GOLDEN}&x=1`), BEFORE), null);
});

Deno.test("verifyPublish() refuses a signature once it has expired", () => {
  const req = request(`cam?exp=${EXP}&sig=${GOLDEN}`);
  assert.equal(verifyPublish(SECRET, req, EXP * 1000 + 1), "Signature expired");
});

Deno.test("verifyPublish() refuses a signature for another name, app, exp or secret", () => {
  const q = `?exp=${EXP}&sig=${GOLDEN}`;
  assert.equal(verifyPublish(SECRET, request(`cam2${q}`), BEFORE), "Bad signature");
  assert.equal(verifyPublish(SECRET, request(`cam${q}`, "other"), BEFORE), "Bad signature");
  assert.equal(
    verifyPublish(SECRET, request(`cam?exp=${EXP + 1}&sig=${GOLDEN}`), BEFORE),
    "Bad signature",
  );
  assert.equal(verifyPublish("other", request(`cam${q}`), BEFORE), "Bad signature");
  const flipped = (GOLDEN[0] === "9" ? "8" : "9") + GOLDEN.slice(1);
  assert.equal(
    verifyPublish(SECRET, request(`cam?exp=${EXP}&sig=${flipped}`), BEFORE),
    "Bad signature",
  );
});

Deno.test("verifyPublish() refuses missing or malformed parameters without quoting them", () => {
  const cases: { signed: string; reason: RegExp }[] = [
    { signed: "cam", reason: /^Missing signature/ },
    { signed: "cam?", reason: /^Missing signature/ },
    { signed: `cam?exp=${EXP}`, reason: /^Missing signature/ },
    { signed: `cam?sig=${GOLDEN}`, reason: /^Missing signature/ },
    { signed: `cam?exp=soon&sig=${GOLDEN}`, reason: /^Malformed signature: exp/ },
    { signed: `cam?exp=-1&sig=${GOLDEN}`, reason: /^Malformed signature: exp/ },
    { signed: `cam?exp=1e12&sig=${GOLDEN}`, reason: /^Malformed signature: exp/ },
    { signed: `cam?exp=${EXP}&exp=${EXP}&sig=${GOLDEN}`, reason: /^Malformed signature: exp/ },
    { signed: `cam?exp=${EXP}&sig=${GOLDEN.slice(2)}`, reason: /^Malformed signature: sig/ },
    { signed: `cam?exp=${EXP}&sig=${GOLDEN}00`, reason: /^Malformed signature: sig/ },
    { signed: `cam?exp=${EXP}&sig=zz${GOLDEN.slice(2)}`, reason: /^Malformed signature: sig/ },
    { signed: `cam?exp=${EXP}&sig=${GOLDEN}&sig=${GOLDEN}`, reason: /^Malformed signature: sig/ },
  ];
  for (const { signed, reason } of cases) {
    const why = verifyPublish(SECRET, request(signed), BEFORE);
    assert.match(why ?? "", reason, signed);
    assert.ok(!why!.includes(GOLDEN.slice(4, 20)), `${signed}: reason quotes the sig`);
  }
});

Deno.test("hmacAuthorizer() checks against its clock: a URL replayed after its exp is refused", () => {
  const clock = new FakeClock(BEFORE);
  const authorize = hmacAuthorizer(SECRET, clock);
  const req = request(`cam?exp=${EXP}&sig=${GOLDEN}`);
  assert.deepEqual(authorize(req), { allow: true });
  assert.deepEqual(authorize(req), { allow: true }, "reusable until its exp");
  clock.advance(61_000);
  assert.deepEqual(authorize(req), { allow: false, reason: "Signature expired" });
  clock.advance(86_400_000);
  assert.deepEqual(authorize(req), { allow: false, reason: "Signature expired" });
});

Deno.test("verifyPublish() refuses an exp further ahead than the max TTL", () => {
  const req = request(`cam?exp=${EXP}&sig=${GOLDEN}`);
  const tooFar = "Signature expiry too far in the future";
  // One day ahead by default: EXP is 60 s after BEFORE, and a day and a second before it.
  assert.equal(verifyPublish(SECRET, req, BEFORE), null);
  assert.equal(verifyPublish(SECRET, req, (EXP - 86_400) * 1000), null);
  assert.equal(verifyPublish(SECRET, req, (EXP - 86_401) * 1000), tooFar);
  assert.equal(verifyPublish(SECRET, req, BEFORE, { maxTtlS: 59 }), tooFar);
  assert.equal(verifyPublish(SECRET, req, BEFORE, { maxTtlS: 60 }), null);
  const far = 9_999_999_999;
  const signed = signName(SECRET, { app: "live", name: "cam", exp: far });
  assert.equal(verifyPublish(SECRET, request(signed), BEFORE), tooFar);
  const clock = new FakeClock(BEFORE);
  assert.deepEqual(hmacAuthorizer(SECRET, clock, 30)(req), { allow: false, reason: tooFar });
});

Deno.test("a publish signature does not let its holder play, nor a play signature publish", () => {
  const clock = new FakeClock(BEFORE);
  const play = signName(SECRET, { app: "live", name: "cam", exp: EXP, scope: "play" });
  const publish = signName(SECRET, { app: "live", name: "cam", exp: EXP });
  const playReq = (signed: string) => ({ ...request(signed), protocol: "rtmp" as const });
  assert.deepEqual(hmacPlayAuthorizer(SECRET, clock)(playReq(play)), { allow: true });
  assert.deepEqual(hmacPlayAuthorizer(SECRET, clock)(playReq(publish)), {
    allow: false,
    reason: "Bad signature",
  });
  assert.deepEqual(hmacAuthorizer(SECRET, clock)(request(play)), {
    allow: false,
    reason: "Bad signature",
  });
});

const noOpenssl = missing("openssl", have("openssl", "version"));

Deno.test({
  name: "signature() equals what openssl computes for the same secret and string",
  ignore: noOpenssl,
  async fn() {
    for (
      const [secret, req] of [
        [SECRET, { app: "live", name: "cam", exp: EXP }],
        ["k", { app: "app", name: "a b", exp: 0 }],
        ["s3cret with spaces", { app: "in", name: "x-1", exp: 2_000_000_000 }],
      ] as const
    ) {
      const child = new Deno.Command("openssl", {
        args: ["dgst", "-sha256", "-hmac", secret],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(signedString(req)));
      await w.close();
      const out = await child.output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const hex = /([0-9a-f]{64})\s*$/.exec(new TextDecoder().decode(out.stdout))?.[1];
      assert.equal(signature(secret, req), hex);
    }
  },
});
