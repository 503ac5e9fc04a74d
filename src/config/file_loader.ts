/**
 * Reads a `--config` file: TOML (`.toml`) or YAML (`.yaml`, `.yml`), checked against the
 * schema; top-level settings go into the config under construction, `[apps.<app>]` sections
 * come back as {@linkcode AppSettings}. Secret files named in it are read here.
 * @module
 */

import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { validateName } from "../record/recording_path.ts";
import type { AppSettings } from "./app_rules.ts";
import {
  type AppSection,
  describeIssues,
  type FileProblem,
  fileSchema,
  type FileSetting,
  type FileValue,
  typeName,
} from "./file_schema.ts";

/** What {@linkcode loadConfigFile} needs. */
export interface LoadOptions<T> {
  /** Reads a whole text file; throws when it cannot. */
  readonly read: (path: string) => string;
  /** The top-level settings the file may hold. */
  readonly settings: readonly FileSetting<T>[];
  /** Where the top-level settings are stored. */
  readonly into: T;
}

/** The app sections of a good file, or every problem of a bad one. */
export type LoadResult =
  | { readonly apps: Record<string, AppSettings> }
  | { readonly problems: FileProblem[] };

/**
 * Loads `file` into `o.into` and returns its app sections; on a problem, returns them all
 * (and `o.into` may hold part of the file: throw it away).
 */
export function loadConfigFile<T>(file: string, o: LoadOptions<T>): LoadResult {
  const data = parseFile(file, o.read);
  if ("problems" in data) return data;
  const checked = fileSchema(o.settings).safeParse(data.value);
  if (!checked.success) return { problems: describeIssues(checked.error.issues, data.value) };
  const values = checked.data as Record<string, unknown>;
  const problems: FileProblem[] = [];
  for (const s of o.settings) {
    const value = values[s.key] as FileValue | undefined;
    if (value === undefined) continue;
    const given = s.type === "secret-file" ? readSecretFile(String(value), o.read) : { value };
    const problem = "problem" in given ? given.problem : s.apply(given.value, o.into);
    if (problem !== undefined) problems.push({ path: s.key, reason: problem });
  }
  const apps: [string, AppSettings][] = [];
  for (const [app, section] of Object.entries(checked.data.apps ?? {})) {
    if (validateName(app) !== app) {
      problems.push({ path: `apps.${JSON.stringify(app)}`, reason: "not a valid app name" });
      continue;
    }
    const settings = appSettings(section, o.read);
    if ("problem" in settings) {
      problems.push({ path: `apps.${app}.hmac_secret_file`, reason: settings.problem });
    } else apps.push([app, settings.value]);
  }
  // fromEntries defines own properties: an app named __proto__ stays an app.
  return problems.length > 0 ? { problems } : { apps: Object.fromEntries(apps) };
}

/** One line per problem: `<file>: <key path>: <reason>`. */
export function formatProblems(file: string, problems: readonly FileProblem[]): string {
  return problems.map((p) =>
    p.path === "" ? `${file}: ${p.reason}` : `${file}: ${p.path}: ${p.reason}`
  )
    .join("\n");
}

/** The file's text parsed by its extension; it must hold a table of settings. */
function parseFile(
  file: string,
  read: (path: string) => string,
): { value: unknown } | { problems: FileProblem[] } {
  const fail = (reason: string) => ({ problems: [{ path: "", reason }] });
  const kind = /\.toml$/i.test(file) ? "toml" : /\.ya?ml$/i.test(file) ? "yaml" : null;
  if (kind === null) return fail("unknown config file type: name it .toml, .yaml or .yml");
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    return fail(`cannot read: ${firstLine(e)}`);
  }
  let value: unknown;
  try {
    value = kind === "toml" ? parseToml(text) : parseYaml(text) ?? {};
  } catch (e) {
    return fail(`not valid ${kind === "toml" ? "TOML" : "YAML"}: ${firstLine(e)}${where(e)}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return fail(`expected a table of settings, got ${typeName(value)}`);
  }
  return { value };
}

/** A section in the config's terms; its secret file read. */
function appSettings(
  s: AppSection,
  read: (path: string) => string,
): { value: AppSettings } | { problem: string } {
  const secret = s.hmac_secret_file === undefined
    ? undefined
    : readSecretFile(s.hmac_secret_file, read);
  if (secret !== undefined && "problem" in secret) return secret;
  const out: { -readonly [K in keyof AppSettings]: AppSettings[K] } = {};
  if (s.publish_auth !== undefined) out.publishAuth = s.publish_auth;
  if (secret !== undefined) out.hmacSecret = secret.value;
  if (s.on_publish !== undefined) out.onPublish = s.on_publish;
  if (s.record !== undefined) out.record = s.record;
  if (s.record_dir !== undefined) out.recordDir = s.record_dir;
  if (s.push !== undefined) out.push = s.push.map((t) => t.replace(/\/$/, ""));
  if (s.play !== undefined) out.play = s.play;
  if (s.takeover !== undefined) out.takeover = s.takeover;
  if (s.takeover_after_ms !== undefined) out.takeoverAfterMs = s.takeover_after_ms;
  return { value: out };
}

/** A secret file's content without its trailing newline; the content is never quoted. */
export function readSecretFile(
  path: string,
  read: (path: string) => string,
): { value: string } | { problem: string } {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    return { problem: `cannot read ${JSON.stringify(path)}: ${firstLine(e)}` };
  }
  const value = text.replace(/\r?\n$/, "");
  if (value.trim() === "") return { problem: `file ${JSON.stringify(path)} is empty` };
  return { value };
}

/** `at line L, column C` for TOML errors (YAML's message says it already). */
function where(e: unknown): string {
  if (e === null || typeof e !== "object" || !("line" in e) || !("column" in e)) return "";
  return typeof e.line === "number" ? ` at line ${e.line}, column ${e.column}` : "";
}

/** An error's first line, without a final period. */
function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return (message.split("\n")[0] ?? message).replace(/[.:]\s*$/, "");
}
