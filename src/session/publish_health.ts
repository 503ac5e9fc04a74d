/**
 * One publication's health as the publish flow keeps it: the tracker the media feeds, and
 * the status last reported, so that a change of status is logged once.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { HealthTracker } from "../health/health_tracker.ts";
import type { HealthStatus, StreamHealth } from "../health/stream_health.ts";
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from "../health/thresholds.ts";

/** Who a health change is logged for. */
export interface HealthSubject {
  readonly id: string;
  readonly app: string | null;
  readonly name: string | null;
}

/** A publication's health tracker and its last reported status. */
export class PublishHealth {
  /** What the publication feeds its media into. */
  readonly tracker: HealthTracker;
  #status: HealthStatus = "good";

  /** Starts tracking (default thresholds {@linkcode DEFAULT_HEALTH_THRESHOLDS}). */
  constructor(clock: Clock, thresholds: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS) {
    this.tracker = new HealthTracker({ clock, thresholds });
  }

  /** The health now; logs a change of status since the last call (warning unless good). */
  report(log: Logger, who: HealthSubject): StreamHealth {
    const health = this.tracker.report();
    if (health.status === this.#status) return health;
    const props = {
      ...who,
      from: this.#status,
      status: health.status,
      reason: health.reasons.join("; "),
    };
    this.#status = health.status;
    const message = "Session {id} health {from} -> {status}: {reason}";
    if (health.status === "good") log.info("Session {id} health {from} -> {status}", props);
    else log.warning(message, props);
    return health;
  }
}
