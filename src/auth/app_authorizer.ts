/**
 * Chooses the publish authorizer by the publish's app: `open` allows, `hmac` checks the
 * signature with that app's secret, `webhook` asks that app's URL.
 * @module
 */

import type { Clock } from "../clock.ts";
import type { PublishAuthorizer, PublishDecision, PublishRequest } from "./authorizer.ts";
import { hmacAuthorizer } from "./hmac.ts";

/** How one app's publishes are authorized (an `AppRules` fits). */
export interface AppAuth {
  readonly publishAuth: "open" | "hmac" | "webhook";
  /** The HMAC key (`hmac`). */
  readonly hmacSecret: string | null;
  /** The webhook URL (`webhook`). */
  readonly onPublish: string | null;
}

/** What {@linkcode appAuthorizer} needs. */
export interface AppAuthorizerOptions {
  /** The auth rules of an app as they stand now. */
  readonly authFor: (app: string) => AppAuth;
  readonly clock: Clock;
  /** How far ahead a signature's `exp` may be, in seconds (`--hmac-max-ttl`). */
  readonly maxTtlS?: number;
  /** Makes the webhook authorizer of a URL; without it, `webhook` apps refuse every publish. */
  readonly webhook?: (url: string) => PublishAuthorizer;
}

/** Reason given while no webhook authorizer is plugged in. */
export const WEBHOOK_NOT_CONFIGURED = "webhook auth not configured";

/**
 * One {@linkcode PublishAuthorizer} for every app, dispatching on the app's rules at each
 * publish (so a reload applies to the next publish).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appAuthorizer } from "./app_authorizer.ts";
 *
 * const authorize = appAuthorizer({
 *   authFor: (app) => ({ publishAuth: app === "live" ? "hmac" : "open", hmacSecret: "s", onPublish: null }),
 *   clock: { now: () => 0 },
 * });
 * const req = { name: "a", query: null, clientIp: "10.0.0.1", tcUrl: null, sessionId: "s1" };
 * assert.deepEqual(authorize({ ...req, app: "test" }), { allow: true });
 * assert.deepEqual(authorize({ ...req, app: "live" }), {
 *   allow: false,
 *   reason: "Missing signature (exp and sig)",
 * });
 * ```
 */
export function appAuthorizer(o: AppAuthorizerOptions): PublishAuthorizer {
  const refuse = (reason: string): PublishDecision => ({ allow: false, reason });
  return (req: PublishRequest) => {
    const auth = o.authFor(req.app);
    switch (auth.publishAuth) {
      case "open":
        return { allow: true };
      case "hmac":
        // The config refuses hmac without a secret; refuse here too rather than let all in.
        if (auth.hmacSecret === null) return refuse("hmac auth has no secret");
        return hmacAuthorizer(auth.hmacSecret, o.clock, o.maxTtlS)(req);
      case "webhook":
        if (auth.onPublish === null || o.webhook === undefined) {
          return refuse(WEBHOOK_NOT_CONFIGURED);
        }
        return o.webhook(auth.onPublish)(req);
    }
  };
}
