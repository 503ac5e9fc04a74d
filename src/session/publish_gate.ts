/**
 * The publish authorizer as one connection asks it: at most one question per message stream
 * at a time, an answer that comes late (a webhook) dropped when the stream's publish was
 * cancelled meanwhile, and an authorizer that throws or rejects taken as a refusal.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { PublishAuthorizer, PublishDecision, PublishRequest } from "../auth/authorizer.ts";

/** Options for {@linkcode PublishGate}. */
export interface PublishGateOptions {
  readonly authorize: PublishAuthorizer;
  readonly log: Logger;
}

/** The reason given when the authorizer itself failed. */
export const AUTHORIZER_FAILED = "Authorization failed";

/**
 * Most questions of one connection waiting for their answer, cancelled ones included (their
 * webhook requests go on): a client looping publish and deleteStream cannot pile them up.
 */
export const MAX_ASKING = 4;

/** The reason given when {@linkcode MAX_ASKING} questions are waiting. */
export const TOO_MANY_ASKING = "Too many publishes being authorized on this connection";

/** The questions of one connection to its publish authorizer, by message stream id. */
export class PublishGate {
  #o: PublishGateOptions;
  /** Made on the first question not answered at once (the usual answer is at once). */
  #pending: Map<number, symbol> | null = null;
  /** Questions whose answer has not come, cancelled ones included. */
  #asking = 0;

  /** Creates the gate of one connection. */
  constructor(options: PublishGateOptions) {
    this.#o = options;
  }

  /** Whether a publish on `streamId` waits for its answer. */
  waiting(streamId: number): boolean {
    return this.#pending?.has(streamId) === true;
  }

  /**
   * Asks about `req` on `streamId`; `then` gets the decision at once when the authorizer
   * answers at once, else later, and never when the question was cancelled first.
   */
  ask(streamId: number, req: PublishRequest, then: (d: PublishDecision) => void): void {
    if (this.#asking >= MAX_ASKING) return then({ allow: false, reason: TOO_MANY_ASKING });
    let decision: PublishDecision | Promise<PublishDecision>;
    try {
      decision = this.#o.authorize(req);
    } catch (e) {
      decision = this.#failed(req.sessionId, e);
    }
    if (!(decision instanceof Promise)) return then(decision);
    const token = Symbol(req.name);
    const pending = this.#pending ??= new Map();
    pending.set(streamId, token);
    this.#asking++;
    decision.catch((e) => this.#failed(req.sessionId, e)).then((d) => {
      this.#asking--;
      // deleteStream or the connection's end came first: nothing is to be claimed.
      if (pending.get(streamId) !== token) return;
      pending.delete(streamId);
      then(d);
    }).catch((e) =>
      this.#o.log.error("Session {id} publish failed: {error}", { id: req.sessionId, error: e })
    );
  }

  /** Forgets the question on `streamId`: its answer will be dropped. */
  cancel(streamId: number): void {
    this.#pending?.delete(streamId);
  }

  /** Forgets every question (the connection is ending). */
  cancelAll(): void {
    this.#pending?.clear();
  }

  #failed(sessionId: string, e: unknown): PublishDecision {
    this.#o.log.error("Session {id}: the publish authorizer failed: {error}", {
      id: sessionId,
      error: e,
    });
    return { allow: false, reason: AUTHORIZER_FAILED };
  }
}
