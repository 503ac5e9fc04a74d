/**
 * The body a publish webhook may answer with (2xx): `{name?, push?, record?}`, checked with a
 * schema; other keys are ignored, an empty body changes nothing.
 * @module
 */

import { z } from "zod";
import { parsePushTarget } from "../relay/target.ts";

/** What a 2xx answer may change about the publish. */
export interface PublishAnswer {
  /** Publish as this name instead (stream key → channel name). */
  readonly name?: string;
  /** Also push this publish to these `rtmp[s]://host[:port]/app` targets. */
  readonly push?: readonly string[];
  /** Record this publish or not. */
  readonly record?: boolean;
}

/** Most push targets one answer may add. */
export const MAX_ANSWER_PUSH = 16;

function isPushTarget(url: string): boolean {
  try {
    parsePushTarget(url);
    return true;
  } catch {
    return false;
  }
}

const ANSWER = z.object({
  name: z.string().min(1).max(256).optional(),
  push: z.array(
    z.string().max(2048).refine(isPushTarget, { message: "expected rtmp[s]://host[:port]/app" }),
  ).max(MAX_ANSWER_PUSH).optional(),
  record: z.boolean().optional(),
});

/**
 * Decodes a 2xx answer's text: the answer, or why it is not one (a reason that quotes no value).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodePublishAnswer } from "./publish_answer.ts";
 *
 * assert.deepEqual(decodePublishAnswer(""), { answer: {} });
 * assert.deepEqual(decodePublishAnswer('{"name":"ch1","record":false}'), {
 *   answer: { name: "ch1", record: false },
 * });
 * assert.ok("error" in decodePublishAnswer("<html>"));
 * assert.ok("error" in decodePublishAnswer('{"push":["http://x/y"]}'));
 * ```
 */
export function decodePublishAnswer(
  text: string,
): { answer: PublishAnswer } | { error: string } {
  if (text.trim() === "") return { answer: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { error: "Webhook answer is not JSON" };
  }
  const r = ANSWER.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    return { error: `Webhook answer is malformed${at}: ${issue?.message ?? "invalid"}` };
  }
  const out: { -readonly [K in keyof PublishAnswer]: PublishAnswer[K] } = {};
  if (r.data.name !== undefined) out.name = r.data.name;
  if (r.data.push !== undefined) out.push = r.data.push;
  if (r.data.record !== undefined) out.record = r.data.record;
  return { answer: out };
}
