/**
 * Publish and play authorization by webhook: a JSON POST before Publish.Start / Play.Start.
 * 2xx allows (a publish answer may rename, add push targets, turn recording on or off); 4xx
 * refuses; a failure (3xx, 5xx, timeout, no connection, garbage) refuses unless fail-open,
 * which allows with a warning. The query string goes to the hook as `key`, never to a log.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type {
  PlayAuthorizer,
  PlayDecision,
  PlayRequest,
  PublishAuthorizer,
  PublishDecision,
  PublishRequest,
} from "../auth/authorizer.ts";
import { postJson } from "./post_json.ts";
import { decodePublishAnswer } from "./publish_answer.ts";

/** Options for {@linkcode WebhookAuth}. */
export interface WebhookAuthOptions {
  /** Where publish (or play) requests are POSTed. */
  readonly url: string;
  /** Each request must be answered within this many ms. */
  readonly timeoutMs: number;
  /** Allow (with a warning) when the hook fails instead of refusing. */
  readonly failOpen: boolean;
  /** This server's id in the cluster, sent as `edgeId`. */
  readonly edgeId: string;
  readonly log: Logger;
  /** Stands in for `fetch` in tests. */
  readonly fetch?: typeof fetch;
}

/** The JSON a publish webhook gets. */
export interface PublishHookRequest {
  readonly action: "publish";
  readonly app: string;
  readonly name: string;
  /** The query string of the stream name (it may hold the stream's key), or null. */
  readonly key: string | null;
  readonly clientIp: string;
  readonly tcUrl: string | null;
  readonly sessionId: string;
  readonly edgeId: string;
}

/** The JSON a play webhook gets. */
export interface PlayHookRequest {
  readonly action: "play";
  readonly app: string;
  readonly name: string;
  readonly key: string | null;
  readonly clientIp: string;
  readonly tcUrl: string | null;
  readonly sessionId: string | null;
  readonly protocol: "rtmp" | "http-flv";
  readonly edgeId: string;
}

/** The stream fields both hook requests carry, in their JSON order. */
function streamFields(
  req: PublishRequest | PlayRequest,
): Pick<PlayHookRequest, "app" | "name" | "key" | "clientIp" | "tcUrl"> {
  return { app: req.app, name: req.name, key: req.query, clientIp: req.clientIp, tcUrl: req.tcUrl };
}

/** One webhook authorizer; {@linkcode WebhookAuth.close} cancels what is still asked. */
export class WebhookAuth implements AsyncDisposable {
  #o: WebhookAuthOptions;
  #stop = new AbortController();
  #inFlight = new Set<Promise<unknown>>();

  /** Creates the authorizer; nothing is sent until it is asked. */
  constructor(options: WebhookAuthOptions) {
    this.#o = options;
  }

  /** Requests waiting for their answer now. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /** The publish authorizer: POSTs {@linkcode PublishHookRequest}. */
  readonly publish: PublishAuthorizer = (req: PublishRequest) =>
    this.#track(this.#decidePublish(req));

  /** The play authorizer: POSTs {@linkcode PlayHookRequest}; every 2xx allows. */
  readonly play: PlayAuthorizer = (req: PlayRequest) => this.#track(this.#decidePlay(req));

  async #decidePublish(req: PublishRequest): Promise<PublishDecision> {
    const out = await this.#ask({
      action: "publish",
      ...streamFields(req),
      sessionId: req.sessionId,
      edgeId: this.#o.edgeId,
    });
    if ("allow" in out) return out;
    const decoded = decodePublishAnswer(out.text);
    if ("error" in decoded) return this.#failed("publish", req.sessionId, decoded.error);
    return { allow: true, ...decoded.answer };
  }

  async #decidePlay(req: PlayRequest): Promise<PlayDecision> {
    const out = await this.#ask({
      action: "play",
      ...streamFields(req),
      sessionId: req.sessionId,
      protocol: req.protocol,
      edgeId: this.#o.edgeId,
    });
    return "allow" in out ? out : { allow: true };
  }

  /** POSTs a hook request: the decision if the hook refused or failed, else its 2xx answer. */
  async #ask(body: PublishHookRequest | PlayHookRequest): Promise<PlayDecision | { text: string }> {
    const out = await postJson(this.#o.url, body, {
      timeoutMs: this.#o.timeoutMs,
      signal: this.#stop.signal,
      ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
    });
    if (out.kind === "refused") return { allow: false, reason: out.reason };
    if (out.kind === "failed") return this.#failed(body.action, body.sessionId, out.reason);
    return { text: out.text };
  }

  /** A hook that did not decide: refuse, or allow with a warning under fail-open. */
  #failed(
    what: "publish" | "play",
    sessionId: string | null,
    reason: string,
  ): { allow: true } | { allow: false; reason: string } {
    if (!this.#o.failOpen || this.#stop.signal.aborted) return { allow: false, reason };
    this.#o.log.warning(
      "Session {id}: {what} webhook failed ({reason}); allowed by --webhook-fail-open",
      { id: sessionId ?? "(http-flv)", what, reason },
    );
    return { allow: true };
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight.add(p);
    // Not p.finally(): its promise would reject again, unhandled, when p rejects.
    const forget = () => this.#inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Cancels every request still waiting (they refuse) and waits for them to end. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Same as {@linkcode WebhookAuth.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
