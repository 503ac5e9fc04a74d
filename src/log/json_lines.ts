/**
 * Log records as JSON lines with stable field names, for log pipelines.
 * @module
 */

import { getJsonLinesFormatter, type LogRecord, type TextFormatter } from "@logtape/logtape";

/** One log line as `--log-format json` writes it. */
export interface JsonLogLine {
  /** ISO 8601. */
  readonly time: string;
  /** `trace`, `debug`, `info`, `warning`, `error` or `fatal`. */
  readonly level: string;
  /** The message with its values filled in. */
  readonly msg: string;
  /** The session the line is about, or null. */
  readonly sessionId: string | null;
  /** The app and stream name the line is about, or null. */
  readonly app: string | null;
  readonly name: string | null;
  /** `host:port` of the peer, or null. */
  readonly remoteAddr: string | null;
  /** Why something ended or was refused, or null. */
  readonly reason: string | null;
  /** The logger's category, dot-separated. */
  readonly category: string;
  /** The record's other properties, as LogTape serializes them. */
  readonly data: Record<string, unknown>;
}

/** Properties that become a stable field, under each name the log calls use. */
const FIELDS = {
  sessionId: ["sessionId", "id"],
  app: ["app"],
  name: ["name"],
  remoteAddr: ["remoteAddr", "remote"],
  reason: ["reason", "why"],
} as const;

/**
 * A LogTape formatter that writes each record as one {@linkcode JsonLogLine}. A `key` of
 * `app/name` fills `app` and `name` when they are not given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonLinesFormatter } from "./json_lines.ts";
 *
 * const line = jsonLinesFormatter()({
 *   category: ["rtmp-edge"],
 *   level: "info",
 *   message: ["Session ", "ab12", " publishing ", "live/cam", ""],
 *   rawMessage: "Session {id} publishing {key}",
 *   timestamp: 0,
 *   properties: { id: "ab12", key: "live/cam" },
 * });
 * const parsed = JSON.parse(line);
 * assert.equal(parsed.msg, "Session ab12 publishing live/cam");
 * assert.equal(parsed.sessionId, "ab12");
 * assert.equal(parsed.name, "cam");
 * ```
 */
export function jsonLinesFormatter(): TextFormatter {
  // LogTape serializes the properties (errors, cycles); the names are ours.
  const base = getJsonLinesFormatter({ message: "template", properties: "nest:properties" });
  return (record: LogRecord): string => {
    const parsed: unknown = JSON.parse(base(record));
    const rendered = isObject(parsed) ? parsed : {};
    const data: Record<string, unknown> = isObject(rendered.properties)
      ? { ...rendered.properties }
      : {};
    const pick = (names: readonly string[]): string | null => {
      let found: string | null = null;
      for (const n of names) {
        const v = data[n];
        if (v === undefined) continue;
        delete data[n];
        if (found === null && v !== null) found = String(v);
      }
      return found;
    };
    const line: JsonLogLine = {
      time: new Date(record.timestamp).toISOString(),
      level: record.level,
      msg: renderMessage(record.message),
      sessionId: pick(FIELDS.sessionId),
      app: pick(FIELDS.app),
      name: pick(FIELDS.name),
      remoteAddr: pick(FIELDS.remoteAddr),
      reason: pick(FIELDS.reason),
      category: record.category.join("."),
      data,
    };
    const key = data.key;
    if (typeof key === "string" && key.includes("/")) {
      const slash = key.indexOf("/");
      return JSON.stringify({
        ...line,
        app: line.app ?? key.slice(0, slash),
        name: line.name ?? key.slice(slash + 1),
      }) + "\n";
    }
    return JSON.stringify(line) + "\n";
  };
}

/** The message with its values as plain text: strings bare, errors by their message. */
function renderMessage(parts: readonly unknown[]): string {
  let msg = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i % 2 === 0 || typeof part === "string") msg += String(part);
    else if (part instanceof Error) msg += part.message;
    else if (typeof part === "object" && part !== null) msg += safeJson(part);
    else msg += String(part);
  }
  return msg;
}

function safeJson(v: object): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
