/**
 * The authorizers and the event sink the config asks for, built once by `server.ts`, with
 * one log line each saying what is in force (hook URLs shown by origin only: a path or query
 * may carry a token).
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { PlayAuthorizer, PublishAuthorizer } from "../auth/authorizer.ts";
import { hmacAuthorizer, hmacPlayAuthorizer } from "../auth/hmac.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { EventNotifier } from "./event_notifier.ts";
import type { HookEventSink } from "./events.ts";
import { WebhookAuth } from "./webhook_auth.ts";

/** The settings hooks are built from. */
export type HookSettings = Pick<
  Config,
  | "publishAuth"
  | "hmacSecret"
  | "hmacMaxTtlS"
  | "edgeId"
  | "onPublish"
  | "onEvent"
  | "playAuth"
  | "onPlay"
  | "webhookTimeoutMs"
  | "webhookFailOpen"
>;

/** What the connections and HTTP-FLV are given, and how to stop it. */
export interface Hooks {
  readonly authorize?: PublishAuthorizer;
  readonly authorizePlay?: PlayAuthorizer;
  readonly onEvent?: HookEventSink;
  /** Cancels webhook requests still waiting, then sends queued events for up to 2 s. */
  close(): Promise<void>;
}

/** The origin of a URL, for log lines. */
function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/** Builds the hooks of `config`; throws when a mode lacks its secret or URL. */
export function setupHooks(config: HookSettings, clock: Clock, log: Logger): Hooks {
  const closers: (() => Promise<void>)[] = [];
  const webhook = (url: string) => {
    const w = new WebhookAuth({
      url,
      timeoutMs: config.webhookTimeoutMs,
      failOpen: config.webhookFailOpen,
      edgeId: config.edgeId,
      log,
    });
    closers.push(() => w.close());
    return w;
  };
  const secret = (mode: string) => {
    if (config.hmacSecret === null) throw new Error(`${mode} hmac needs --hmac-secret`);
    return config.hmacSecret;
  };
  const failOpen = config.webhookFailOpen ? ", fail-open" : "";
  let authorize: PublishAuthorizer | undefined;
  if (config.publishAuth === "hmac") {
    authorize = hmacAuthorizer(secret("--publish-auth"), clock, config.hmacMaxTtlS);
    log.info("Publish auth: hmac");
  } else if (config.publishAuth === "webhook") {
    if (config.onPublish === null) throw new Error("--publish-auth webhook needs --on-publish");
    authorize = webhook(config.onPublish).publish;
    log.info("Publish auth: webhook to {origin} ({ms} ms timeout{failOpen})", {
      origin: origin(config.onPublish),
      ms: config.webhookTimeoutMs,
      failOpen,
    });
  } else {
    log.warning("Publish auth: open (anyone may publish)");
  }
  let authorizePlay: PlayAuthorizer | undefined;
  if (config.playAuth === "hmac") {
    authorizePlay = hmacPlayAuthorizer(secret("--play-auth"), clock, config.hmacMaxTtlS);
    log.info("Play auth: hmac");
  } else if (config.playAuth === "webhook") {
    if (config.onPlay === null) throw new Error("--play-auth webhook needs --on-play");
    authorizePlay = webhook(config.onPlay).play;
    log.info("Play auth: webhook to {origin}", { origin: origin(config.onPlay) });
  }
  let onEvent: HookEventSink | undefined;
  if (config.onEvent !== null) {
    const notifier = new EventNotifier({
      url: config.onEvent,
      edgeId: config.edgeId,
      clock,
      log,
      timeoutMs: config.webhookTimeoutMs,
    });
    onEvent = (e) => notifier.notify(e);
    closers.push(() => notifier.close());
    log.info("Event hooks to {origin}", { origin: origin(config.onEvent) });
  }
  return {
    ...(authorize === undefined ? {} : { authorize }),
    ...(authorizePlay === undefined ? {} : { authorizePlay }),
    ...(onEvent === undefined ? {} : { onEvent }),
    async close() {
      await Promise.all(closers.map((c) => c()));
    },
  };
}
