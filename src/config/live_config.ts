/**
 * The running server's config, one object passed down from `main.ts`: the per-app rules are
 * read from it at each publish and play, and a reload (SIGHUP) swaps them; settings that
 * only take effect at start are kept and reported as needing a restart.
 * @module
 */

import type { Config } from "../config.ts";
import { type AppRules, rulesFor } from "./app_rules.ts";
import { fileKey } from "./file_schema.ts";

/** The settings a reload applies: the rules of publishes and plays. */
const RELOADABLE: ReadonlySet<keyof Config> = new Set<keyof Config>([
  "publishAuth",
  "hmacSecret",
  "record",
  "recordDir",
  "push",
  "takeoverAfterMs",
  "apps",
  "configFile",
  "onPublish",
]);

/** What a reload did. */
export interface ReloadResult {
  /** File keys of the settings that changed but apply only after a restart (kept as they were). */
  readonly needsRestart: readonly string[];
  /** Apps whose section was added, changed or removed. */
  readonly appsChanged: readonly string[];
}

/** The config in force, and the rules of each app under it. */
export class LiveConfig {
  #config: Config;

  /** Holds `config` as the one in force. */
  constructor(config: Config) {
    this.#config = config;
  }

  /** The config in force. */
  get config(): Config {
    return this.#config;
  }

  /** The rules of `app` now (new publishes and plays ask; live ones keep what they got). */
  rulesFor(app: string): AppRules {
    return rulesFor(this.#config, app);
  }

  /** The record dirs of the server and of every app section that records. */
  recordDirs(): string[] {
    const dirs = [this.#config.record ? this.#config.recordDir : null];
    for (const app of Object.keys(this.#config.apps)) dirs.push(this.rulesFor(app).recordDir);
    return [...new Set(dirs.filter((d) => d !== null))];
  }

  /** Takes the rules of `next`; its other changed settings are kept as they are and listed. */
  reload(next: Config): ReloadResult {
    const old = this.#config;
    const merged: Record<string, unknown> = { ...old };
    const needsRestart: string[] = [];
    for (const key of Object.keys(next) as (keyof Config)[]) {
      if (RELOADABLE.has(key)) merged[key] = next[key];
      else if (!same(old[key], next[key])) needsRestart.push(fileKey(key));
    }
    const apps = new Set([...Object.keys(old.apps), ...Object.keys(next.apps)]);
    const appsChanged = [...apps].filter((a) => !same(old.apps[a], next.apps[a])).sort();
    this.#config = merged as unknown as Config;
    return { needsRestart, appsChanged };
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
