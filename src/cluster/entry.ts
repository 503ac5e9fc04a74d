/**
 * What the cluster keeps in Redis, as plain data: one entry per live stream (its owner and
 * what the API shows), and the notice that asks an edge to drop a publisher.
 * @module
 */

/** A live stream as one edge registers it. */
export interface ClusterEntry {
  /** The edge that holds the publisher. */
  readonly edgeId: string;
  /** The publisher's session on that edge. */
  readonly sessionId: string;
  readonly app: string;
  readonly name: string;
  /** The publisher's address (the real client's, behind a PROXY header). */
  readonly remoteAddr: string;
  readonly videoCodec: string | null;
  readonly audioCodec: string | null;
  readonly bitrateKbps: number;
  /** When the publish started (ISO 8601). */
  readonly since: string;
  /** How long the publisher had sent nothing when the edge last wrote this entry, in ms. */
  readonly silentMs: number;
  /** Redis time of that write, in ms since the epoch (set by the script, 0 before). */
  readonly at: number;
}

/** Asks the edge that holds `key` (and, when given, that edge and session only) to drop it. */
export interface DropNotice {
  /** `app/name`. */
  readonly key: string;
  readonly edgeId: string | null;
  readonly sessionId: string | null;
  /** Why, for the dropped session's close reason. */
  readonly reason: string;
}

/**
 * Reads an entry from its JSON; null when the text is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeClusterEntry } from "./entry.ts";
 *
 * assert.equal(decodeClusterEntry("{}"), null);
 * const e = decodeClusterEntry(JSON.stringify({
 *   edgeId: "e1", sessionId: "s1", app: "live", name: "a", remoteAddr: "192.0.2.1:5000",
 *   videoCodec: "H264", audioCodec: null, bitrateKbps: 900, since: "2026-01-01T00:00:00.000Z",
 *   silentMs: 0, at: 1,
 * }));
 * assert.equal(e?.edgeId, "e1");
 * ```
 */
export function decodeClusterEntry(text: string): ClusterEntry | null {
  const o = parse(text);
  if (o === null) return null;
  const str = (k: string) => typeof o[k] === "string" ? o[k] as string : null;
  const num = (k: string) => typeof o[k] === "number" ? o[k] as number : null;
  const codec = (k: string) => typeof o[k] === "string" ? o[k] as string : null;
  const edgeId = str("edgeId"), sessionId = str("sessionId"), app = str("app"), name = str("name");
  const remoteAddr = str("remoteAddr"), since = str("since");
  const bitrateKbps = num("bitrateKbps"), silentMs = num("silentMs"), at = num("at");
  if (
    edgeId === null || sessionId === null || app === null || name === null ||
    remoteAddr === null || since === null || bitrateKbps === null || silentMs === null ||
    at === null
  ) return null;
  return {
    edgeId,
    sessionId,
    app,
    name,
    remoteAddr,
    videoCodec: codec("videoCodec"),
    audioCodec: codec("audioCodec"),
    bitrateKbps,
    since,
    silentMs,
    at,
  };
}

/** The JSON of an entry (the field order of {@linkcode ClusterEntry}). */
export function encodeClusterEntry(e: ClusterEntry): string {
  return JSON.stringify(e);
}

/**
 * Reads a drop notice from its JSON; null when the text is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeDropNotice, encodeDropNotice } from "./entry.ts";
 *
 * const n = { key: "live/a", edgeId: "e2", sessionId: null, reason: "API" };
 * assert.deepEqual(decodeDropNotice(encodeDropNotice(n)), n);
 * assert.equal(decodeDropNotice("[1]"), null);
 * ```
 */
export function decodeDropNotice(text: string): DropNotice | null {
  const o = parse(text);
  if (o === null || typeof o.key !== "string" || typeof o.reason !== "string") return null;
  const opt = (v: unknown) => typeof v === "string" ? v : null;
  return { key: o.key, edgeId: opt(o.edgeId), sessionId: opt(o.sessionId), reason: o.reason };
}

/** The JSON of a drop notice. */
export function encodeDropNotice(n: DropNotice): string {
  return JSON.stringify(n);
}

function parse(text: string): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Record<string, unknown>
    : null;
}
