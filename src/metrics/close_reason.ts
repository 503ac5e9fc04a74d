/**
 * Close reasons as metric labels: a free-text reason ("Limit idle-timeout: no data for 30000 ms")
 * becomes a short, number-free label, and what it says (a protocol error's kind, a limit's
 * flag, a player dropped for falling behind) is read from its wording.
 * @module
 */

/** The label of reasons past a {@linkcode LabelSet}'s bound. */
export const OTHER_LABEL = "other";

/**
 * The kind of protocol error a close reason names (`ChunkError: …` gives `ChunkError`), or
 * null when the session did not end on one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorKind } from "./close_reason.ts";
 *
 * assert.equal(errorKind("ChunkError: Chunk size 0 is outside 1..2147483647"), "ChunkError");
 * assert.equal(errorKind("Parser core trapped: unreachable"), "ParserTrap");
 * assert.equal(errorKind("Client closed the connection"), null);
 * ```
 */
export function errorKind(reason: string): string | null {
  const m = /^([A-Z][A-Za-z]*Error): /.exec(reason);
  if (m !== null) return m[1]!;
  if (reason.startsWith("Parser core trapped:")) return "ParserTrap";
  return null;
}

/** The HTTP front's limit messages, which do not start with `Limit <flag>:`, by their flag. */
const HTTP_LIMITS: readonly (readonly [RegExp, string])[] = [
  [/^Request headers not complete within /, "http-header-timeout"],
  [/^Over \d+ requests with unfinished headers/, "http-max-pending-requests"],
  [/^Client took no bytes for /, "http-write-stall"],
];

/**
 * The flag of the limit a reason says was tripped (`Limit max-connections: …` gives
 * `max-connections`; the HTTP front's own messages give `http-header-timeout`,
 * `http-max-pending-requests` or `http-write-stall`), or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitName } from "./close_reason.ts";
 *
 * assert.equal(limitName("Limit idle-timeout: no data for 30000 ms"), "idle-timeout");
 * assert.equal(limitName("Request headers not complete within 5000 ms"), "http-header-timeout");
 * assert.equal(limitName("Client closed the connection"), null);
 * ```
 */
export function limitName(reason: string): string | null {
  const m = /^Limit ([a-z0-9-]{1,40}):/.exec(reason);
  if (m !== null) return m[1]!;
  for (const [pattern, name] of HTTP_LIMITS) if (pattern.test(reason)) return name;
  return null;
}

/**
 * Whether a reason says a consumer was dropped for not keeping up (a player behind or too slow,
 * a recording or pipe behind its disk or reader).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isConsumerDrop } from "./close_reason.ts";
 *
 * assert.equal(isConsumerDrop("Player fell behind: skipping for over 10000 ms"), true);
 * assert.equal(isConsumerDrop("Client closed the connection"), false);
 * ```
 */
export function isConsumerDrop(reason: string): boolean {
  return /fell behind|too slow/i.test(reason);
}

/**
 * A reason as a label: the text before its first colon, with digits replaced by `N`, at most
 * 48 characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reasonLabel } from "./close_reason.ts";
 *
 * assert.equal(reasonLabel("Limit idle-timeout: no data for 30000 ms"), "Limit idle-timeout");
 * assert.equal(reasonLabel("Client closed the connection"), "Client closed the connection");
 * assert.equal(reasonLabel("Closed after 12 tries"), "Closed after N tries");
 * ```
 */
export function reasonLabel(reason: string): string {
  const colon = reason.indexOf(":");
  const head = colon > 0 ? reason.slice(0, colon) : reason;
  const label = head.replace(/[0-9]+/g, "N").trim().slice(0, 48);
  return label === "" ? "unknown" : label;
}

/**
 * At most `max` distinct labels; each label past them is counted as {@linkcode OTHER_LABEL}, so a
 * metric's series stay bounded whatever the reasons say.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LabelSet } from "./close_reason.ts";
 *
 * const set = new LabelSet(2);
 * assert.equal(set.admit("a"), "a");
 * assert.equal(set.admit("b"), "b");
 * assert.equal(set.admit("c"), "other");
 * assert.equal(set.admit("a"), "a");
 * ```
 */
export class LabelSet {
  readonly #max: number;
  readonly #seen = new Set<string>();

  /** Admits up to `max` distinct labels. */
  constructor(max: number) {
    this.#max = max;
  }

  /** `label` when it is known or there is room for it, else {@linkcode OTHER_LABEL}. */
  admit(label: string): string {
    if (this.#seen.has(label)) return label;
    if (this.#seen.size >= this.#max) return OTHER_LABEL;
    this.#seen.add(label);
    return label;
  }
}
