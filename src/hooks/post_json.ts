/**
 * One JSON POST to a hook URL, with a deadline, no redirects followed and a bounded answer.
 * What comes back says which of three things happened: an answer (2xx), a refusal (4xx), or
 * a failure (anything else); the reasons never quote the URL, which may carry a token.
 * @module
 */

/** Most bytes of an answer's body read; a longer body is garbage. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** How a POST went. */
export type PostOutcome =
  /** 2xx: the body as text (empty for none). */
  | { readonly kind: "answer"; readonly status: number; readonly text: string }
  /** 4xx: the hook said no. */
  | { readonly kind: "refused"; readonly status: number; readonly reason: string }
  /** 3xx, 5xx, a timeout, no connection, or an answer too big: the hook did not decide. */
  | { readonly kind: "failed"; readonly reason: string };

/** Options for {@linkcode postJson}. */
export interface PostOptions {
  /** The whole exchange (connect, headers, body) must end within this many ms. */
  readonly timeoutMs: number;
  /** Aborts the request (the server is stopping). */
  readonly signal?: AbortSignal;
  /** Stands in for `fetch` in tests. */
  readonly fetch?: typeof fetch;
}

/** POSTs `payload` as JSON to `url`; never throws. */
export async function postJson(
  url: string,
  payload: unknown,
  o: PostOptions,
): Promise<PostOutcome> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal === undefined ? timeout : AbortSignal.any([timeout, o.signal]);
  try {
    const res = await (o.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "rtmp-edge" },
      body: JSON.stringify(payload),
      redirect: "manual",
      signal,
    });
    const status = res.status;
    if (status < 200 || status > 299) {
      await res.body?.cancel().catch(() => {});
      if (status >= 400 && status <= 499) {
        return { kind: "refused", status, reason: `Webhook answered ${status}` };
      }
      const what = status >= 300 && status <= 399 ? " (a redirect, not followed)" : "";
      return { kind: "failed", reason: `Webhook answered ${status}${what}` };
    }
    const text = await readCapped(res, MAX_ANSWER_BYTES);
    if (text === null) {
      return { kind: "failed", reason: `Webhook answer is longer than ${MAX_ANSWER_BYTES} bytes` };
    }
    return { kind: "answer", status, text };
  } catch (e) {
    if (timeout.aborted) {
      return { kind: "failed", reason: `Webhook did not answer within ${o.timeoutMs} ms` };
    }
    if (o.signal?.aborted === true) return { kind: "failed", reason: "Webhook request cancelled" };
    return { kind: "failed", reason: `Webhook unreachable: ${describeFetchError(e)}` };
  }
}

/** The body as text, or null past `max` bytes (the rest is not read). */
async function readCapped(res: Response, max: number): Promise<string | null> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * The last clause of a fetch error or its cause ("fetch failed", caused by "error sending
 * request for url (…): … tcp connect error: Connection refused (os error 111)" gives
 * "Connection refused (os error 111)"), without the URL Deno puts in the first clause.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeFetchError } from "./post_json.ts";
 *
 * const e = new TypeError("error sending request for url (http://h/?t=secret): tcp connect error: Connection refused");
 * assert.equal(describeFetchError(e), "Connection refused");
 * ```
 */
export function describeFetchError(e: unknown): string {
  const inner = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const message = inner instanceof Error ? inner.message : String(inner);
  const last = message.split(": ").pop() ?? message;
  return last.replace(/\(?https?:\/\/\S*/g, "").trim() || "request failed";
}
