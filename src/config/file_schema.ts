/**
 * The config file's schema (zod): top-level server settings, built from the flag table, and
 * `[apps.<app>]` sections; and its issues as `key.path: reason` lines.
 * @module
 */

import { z } from "zod";
import { parsePushTarget } from "../relay/target.ts";

/** A value a top-level setting may hold once the schema let it through. */
export type FileValue = number | boolean | string | readonly string[];

/** How a top-level setting is written in the file. */
export type FileValueType =
  | "number"
  | "boolean"
  | "string"
  | "scalar"
  | "push-targets"
  | "secret-file";

/** One top-level key of the config file: its type there, and how it lands in the config. */
export interface FileSetting<T> {
  /** snake_case, like `rtmp_port` or `hmac_secret_file`. */
  readonly key: string;
  /**
   * `secret-file` is a path, and the file's content is what `apply` gets; `scalar` is a number
   * or a string (a setting that is off by default, checked by `apply`).
   */
  readonly type: FileValueType;
  /** Checks a value and stores it in `out`; returns what is wrong with it. */
  apply(value: FileValue, out: T): string | undefined;
}

/**
 * A config field's key in the file: its name in snake_case.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileKey } from "./file_schema.ts";
 *
 * assert.equal(fileKey("takeoverAfterMs"), "takeover_after_ms");
 * ```
 */
export function fileKey(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Expected form of a push target, for messages. */
const PUSH_FORM = "expected rtmp://host[:port]/app or rtmps://host[:port]/app";

/** A push target: checked by the parser relays use; the URL is not quoted (it may hold a user). */
export const pushTargetSchema = z.string().refine((url) => {
  try {
    parsePushTarget(url);
    return true;
  } catch {
    return false;
  }
}, { message: PUSH_FORM });

/** One `[apps.<app>]` section, as the file spells it. */
export const appSectionSchema = z.strictObject({
  publish_auth: z.enum(["open", "hmac", "webhook"]).optional(),
  hmac_secret_file: z.string().min(1).optional(),
  on_publish: z.url({ protocol: /^https?$/ }).optional(),
  record: z.boolean().optional(),
  record_dir: z.string().min(1).optional(),
  push: z.array(pushTargetSchema).optional(),
  play: z.boolean().optional(),
  takeover: z.enum(["reject", "takeover"]).optional(),
  takeover_after_ms: z.int().min(0).max(3_600_000).optional(),
});

/** A section as the schema gives it back. */
export type AppSection = z.infer<typeof appSectionSchema>;

/** The whole file's schema for the given top-level settings. */
export function fileSchema<T>(settings: readonly FileSetting<T>[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const s of settings) shape[s.key] = valueSchema(s.type).optional();
  return z.strictObject({
    ...shape,
    apps: z.record(z.string(), appSectionSchema).optional(),
  });
}

function valueSchema(type: FileValueType): z.ZodType {
  switch (type) {
    case "number":
      return z.number();
    case "boolean":
      return z.boolean();
    case "scalar":
      return z.union([z.number(), z.string().min(1)]);
    case "push-targets":
      return z.array(pushTargetSchema);
    case "string":
    case "secret-file":
      return z.string().min(1);
  }
}

/** One problem of the file: where, and what is wrong. */
export interface FileProblem {
  /** Like `apps.live.push[1]`, or empty for the file as a whole. */
  readonly path: string;
  readonly reason: string;
}

/**
 * A key path as the file's reader sees it: dotted keys, `[n]` for list items, odd keys quoted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { keyPath } from "./file_schema.ts";
 *
 * assert.equal(keyPath(["apps", "live", "push", 1]), "apps.live.push[1]");
 * assert.equal(keyPath(["apps", "a b"]), 'apps."a b"');
 * ```
 */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else {
      const s = String(p);
      const part = /^[A-Za-z0-9_-]+$/.test(s) ? s : JSON.stringify(s);
      out += out === "" ? part : `.${part}`;
    }
  }
  return out;
}

/** The file's problems as the schema found them, with the value's type where it is wrong. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], data: unknown): FileProblem[] {
  const out: FileProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        out.push({ path: keyPath([...issue.path, k]), reason: "unknown key" });
      }
      continue;
    }
    out.push({ path: keyPath(issue.path), reason: reasonOf(issue, valueAt(data, issue.path)) });
  }
  return out;
}

function reasonOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${typeWord(issue.expected)}, got ${typeName(value)}`;
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join(", ")}, got ${shown(value)}`;
    case "too_small":
      return issue.origin === "string"
        ? "expected a non-empty string"
        : `expected at least ${issue.minimum}, got ${shown(value)}`;
    case "too_big":
      return `expected at most ${issue.maximum}, got ${shown(value)}`;
    case "invalid_format":
      return issue.format === "url" ? "expected an http:// or https:// URL" : issue.message;
    default:
      return issue.message;
  }
}

function typeWord(expected: string): string {
  if (expected === "int") return "a whole number";
  if (expected === "object" || expected === "record") return "a table";
  if (expected === "array") return "a list";
  return `a ${expected}`;
}

/** A scalar as it was written; anything else by its type. */
function shown(value: unknown): string {
  return typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : typeof value === "string"
    ? JSON.stringify(value.slice(0, 64))
    : typeName(value);
}

/** A value's type in the words of TOML and YAML. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a table";
  if (typeof value === "number" && !Number.isInteger(value)) return `a fraction (${value})`;
  return `a ${typeof value}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
