/**
 * Per-app rules: the server-wide defaults (flags, environment, the config file's top level),
 * overridden by the file's `[apps.<app>]` section, resolved into one {@linkcode AppRules}.
 * @module
 */

import { parsePushTarget, type PushTarget, pushUrl } from "../relay/target.ts";
import type { AppPolicy } from "../session/app_policy.ts";

/** How an app's publishes are authorized. */
export type PublishAuthMode = "open" | "hmac" | "webhook";

/** What a publish of a live name whose publisher went silent does. */
export type TakeoverMode = "reject" | "takeover";

/** One `[apps.<app>]` section as given: each field set overrides the server-wide default. */
export interface AppSettings {
  readonly publishAuth?: PublishAuthMode;
  /** The key of this app's signatures (read from `hmac_secret_file`). */
  readonly hmacSecret?: string;
  /** The webhook asked before each publish (`publish_auth = "webhook"`). */
  readonly onPublish?: string;
  readonly record?: boolean;
  readonly recordDir?: string;
  /** Origins this app's publishes are pushed to, `rtmp[s]://host[:port]/app` (whatever app is there). */
  readonly push?: readonly string[];
  readonly play?: boolean;
  readonly takeover?: TakeoverMode;
  readonly takeoverAfterMs?: number;
}

/** The server-wide defaults and the app sections (a `Config` fits). */
export interface RuleDefaults {
  readonly publishAuth: PublishAuthMode;
  readonly hmacSecret: string | null;
  /** The server-wide `--on-publish` webhook URL, or null. */
  readonly onPublish: string | null;
  readonly record: boolean;
  readonly recordDir: string;
  /** Server-wide `--push` targets: each takes the publishes of its own app. */
  readonly push: readonly string[];
  readonly takeoverAfterMs: number;
  readonly apps: Readonly<Record<string, AppSettings>>;
}

/** Everything one app's publishes and plays obey. */
export interface AppRules extends AppPolicy {
  readonly app: string;
  readonly publishAuth: PublishAuthMode;
  /** The HMAC key (`hmac`), or null. Never logged. */
  readonly hmacSecret: string | null;
  /** The publish webhook (`webhook`), or null. */
  readonly onPublish: string | null;
  /** Where each publish is pushed: to `<target app>/<name>` at each origin. */
  readonly push: readonly PushTarget[];
  readonly takeover: TakeoverMode;
}

/** A rule that cannot hold, at its key path in the config file. */
export interface RuleProblem {
  /** Like `apps.live.publish_auth`. */
  readonly path: string;
  readonly reason: string;
}

/**
 * Resolves the rules of `app`: its section's fields, else the server-wide defaults. Without
 * a section, the server-wide `push` targets of that app apply; a section's `push` replaces them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rulesFor } from "./app_rules.ts";
 *
 * const defaults = {
 *   onPublish: null,
 *   publishAuth: "open" as const, hmacSecret: null, record: true, recordDir: "rec",
 *   push: [], takeoverAfterMs: 2000, apps: { test: { record: false, takeover: "reject" as const } },
 * };
 * assert.equal(rulesFor(defaults, "live").recordDir, "rec");
 * assert.equal(rulesFor(defaults, "test").recordDir, null);
 * assert.equal(rulesFor(defaults, "test").takeoverAfterMs, 0);
 * ```
 */
export function rulesFor(defaults: RuleDefaults, app: string): AppRules {
  const a = Object.hasOwn(defaults.apps, app) ? defaults.apps[app] ?? {} : {};
  const takeover = a.takeover ?? "takeover";
  const record = a.record ?? defaults.record;
  const push = a.push === undefined
    ? defaults.push.map(parsePushTarget).filter((t) => t.app === app)
    : a.push.map(parsePushTarget);
  return {
    app,
    publishAuth: a.publishAuth ?? defaults.publishAuth,
    hmacSecret: a.hmacSecret ?? defaults.hmacSecret,
    onPublish: a.onPublish ?? defaults.onPublish,
    recordDir: record ? a.recordDir ?? defaults.recordDir : null,
    push: unique(push),
    play: a.play ?? true,
    takeover,
    takeoverAfterMs: takeover === "reject" ? 0 : a.takeoverAfterMs ?? defaults.takeoverAfterMs,
  };
}

/** The same origin given twice (or as `host` and `host:1935`) is pushed to once. */
function unique(targets: readonly PushTarget[]): PushTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = pushUrl(t, "");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The rules of the app sections that cannot work with the defaults they fall back on: `hmac`
 * with no secret, `webhook` with no URL, `takeover` with no silence time.
 */
export function checkAppRules(defaults: RuleDefaults): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const app of Object.keys(defaults.apps)) {
    const r = rulesFor(defaults, app);
    const at = (key: string) => `apps.${pathKey(app)}.${key}`;
    if (r.publishAuth === "hmac" && r.hmacSecret === null) {
      problems.push({
        path: at("publish_auth"),
        reason: "hmac needs a secret: set hmac_secret_file in this section or a server-wide one " +
          "(hmac_secret_file, --hmac-secret-file, RTMP_EDGE_HMAC_SECRET)",
      });
    }
    if (r.publishAuth === "webhook" && r.onPublish === null) {
      problems.push({ path: at("publish_auth"), reason: "webhook needs on_publish (its URL)" });
    }
    if (defaults.apps[app]?.takeover === "takeover" && r.takeoverAfterMs === 0) {
      problems.push({
        path: at("takeover_after_ms"),
        reason: "takeover needs a silence time above 0 ms (0 would mean reject)",
      });
    }
  }
  return problems;
}

/** An app name as a key path part: bare when it is a plain word, else quoted. */
export function pathKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}
