/**
 * What one app's rules say to the publish and play flows. The config resolves it per app
 * (`src/config/app_rules.ts`); the flows ask once per publish or play, so a reload applies
 * to new publishes and plays only.
 * @module
 */

/** The per-app rules the session flows obey. */
export interface AppPolicy {
  /**
   * A publish of a live name takes it over when its publisher has sent nothing for this many
   * ms; 0 always refuses the second publisher (takeover `reject`).
   */
  readonly takeoverAfterMs: number;
  /** Where this app's publishes are recorded, or null when they are not. */
  readonly recordDir: string | null;
  /** Whether this app's streams may be played (RTMP and HTTP-FLV). */
  readonly play: boolean;
}

/** Gives the rules of an app as they stand now. */
export type AppPolicies = (app: string) => AppPolicy;

/** The refusal of a play in an app whose rules turn playing off. */
export function playNotAllowed(app: string): string {
  return `Playing is not allowed in app ${app}`;
}
