/**
 * SIGHUP: read flags, environment and the config file again, and put the new rules in force
 * for new publishes and plays; a bad config is refused with one log line and the running one
 * stays.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { ParseConfigResult } from "../config.ts";
import type { LiveConfig } from "./live_config.ts";

/** What {@linkcode reloadConfig} needs. */
export interface ReloadOptions {
  readonly live: LiveConfig;
  /** Parses the config again (the same flags, the environment now, the file now). */
  readonly parse: () => ParseConfigResult;
  readonly log: Logger;
}

/** Reloads the config into `o.live`; true when the new rules are in force. */
export function reloadConfig(o: ReloadOptions): boolean {
  const { live, log } = o;
  const parsed = o.parse();
  if (!("config" in parsed)) {
    const error = "error" in parsed ? parsed.error.replaceAll("\n", "; ") : "no config";
    log.error("Config reload refused, the running config stays: {error}", { error });
    return false;
  }
  const r = live.reload(parsed.config);
  if (r.needsRestart.length > 0) {
    log.warning("Config reload: {keys} changed but need a restart; kept as they were", {
      keys: r.needsRestart.join(", "),
    });
  }
  log.info("Config reloaded from {file}: new publishes and plays follow it ({apps})", {
    file: live.config.configFile ?? "flags and environment",
    apps: r.appsChanged.length === 0 ? "no app changed" : `changed: ${r.appsChanged.join(", ")}`,
  });
  logAppRules(live, log);
  return true;
}

/** One log line per app section: what its publishes and plays obey (never its secret). */
export function logAppRules(live: LiveConfig, log: Logger): void {
  for (const app of Object.keys(live.config.apps).sort()) {
    const r = live.rulesFor(app);
    log.info(
      "App {app}: publish auth {auth}, recording {record}, push to {push}, play {play}, takeover {takeover}",
      {
        app,
        auth: r.publishAuth,
        record: r.recordDir ?? "off",
        push: r.push.length === 0
          ? "none"
          : r.push.map((t) => `${t.host}:${t.port}/${t.app}`).join(" "),
        play: r.play ? "allowed" : "refused",
        takeover: r.takeoverAfterMs > 0 ? `after ${r.takeoverAfterMs} ms silent` : "reject",
      },
    );
  }
}
