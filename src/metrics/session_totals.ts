/**
 * What closed sessions leave behind for the counters: their final traffic and why they ended.
 * The registry tells {@linkcode SessionTotals.closed} once per session; live sessions are added
 * at scrape time, so every counter is closed totals plus live figures and never goes down.
 * @module
 */

import type { SessionInfo } from "../session/session_info.ts";
import { errorKind, isConsumerDrop, LabelSet, limitName, reasonLabel } from "./close_reason.ts";
import { addTraffic, type Traffic, zeroTraffic } from "./traffic.ts";

/** How many distinct values a reason-like label may take before the rest count as `other`. */
export const MAX_REASON_LABELS = 40;

/** Counts by label, each label admitted through a bounded {@linkcode LabelSet}. */
export class LabelCounts {
  readonly #labels: LabelSet;
  readonly #counts = new Map<string, number>();

  /** At most `maxLabels` distinct labels (then `other`). */
  constructor(maxLabels: number = MAX_REASON_LABELS) {
    this.#labels = new LabelSet(maxLabels);
  }

  /** Adds `n` (default 1) to `label`. */
  add(label: string, n = 1): void {
    const key = this.#labels.admit(label);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
  }

  /** The counts so far. */
  entries(): IterableIterator<[string, number]> {
    return this.#counts.entries();
  }

  /** The count of `label` (0 when none). */
  get(label: string): number {
    return this.#counts.get(label) ?? 0;
  }
}

/** Totals over closed sessions, and limit trips that never became a session. */
export class SessionTotals {
  /** Traffic of every closed session. */
  readonly traffic: Traffic = zeroTraffic();
  /** Closed sessions by protocol. */
  readonly connections = new LabelCounts(4);
  /** Ended publishes by close reason. */
  readonly publishesEnded = new LabelCounts();
  /** Ended plays by close reason. */
  readonly playsEnded = new LabelCounts();
  /** Sessions ended by a protocol error, by its kind. */
  readonly protocolErrors = new LabelCounts();
  /** Limits tripped, by flag. */
  readonly limitTrips = new LabelCounts();
  /** Consumers dropped for not keeping up, by kind (`player`, `recording`). */
  readonly consumerDrops = new LabelCounts(4);
  /** Recordings that failed. */
  recordingFailures = 0;

  /** Takes the final figures of a session that just closed. */
  closed(info: Readonly<SessionInfo>): void {
    addTraffic(this.traffic, info);
    this.connections.add(info.protocol);
    const reason = info.closeReason ?? "Closed";
    if (info.role === "publisher") this.publishesEnded.add(reasonLabel(reason));
    if (info.role === "player") {
      this.playsEnded.add(reasonLabel(reason));
      if (isConsumerDrop(reason)) this.consumerDrops.add("player");
    }
    const kind = errorKind(reason);
    if (kind !== null) this.protocolErrors.add(kind);
    const limit = limitName(reason);
    if (limit !== null) this.limitTrips.add(limit);
    if (info.recording?.state === "failed") {
      this.recordingFailures++;
      if (isConsumerDrop(info.recording.error ?? "")) this.consumerDrops.add("recording");
    }
  }

  /**
   * Counts a limit that refused or cut off a connection outside every session (a refused
   * connection, an HTTP client past a header timeout or taking no bytes).
   */
  refused(reason: string): void {
    const limit = limitName(reason);
    if (limit !== null) this.limitTrips.add(limit);
  }
}
