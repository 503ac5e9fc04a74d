/**
 * The notifications of a publish's end: `publish_done` with its figures at once, and
 * `recording_done` once its recording is finalized.
 * @module
 */

import { clientIp } from "../auth/authorizer.ts";
import type { HookEventSink } from "../hooks/events.ts";
import type { RecordingResult } from "../record/recording.ts";

/** What a publish came to when it ended. */
export interface PublishEnd {
  readonly app: string;
  readonly name: string;
  readonly sessionId: string;
  readonly remoteAddr: string;
  readonly durationMs: number;
  readonly bytesIn: number;
  readonly videoFrames: number;
  readonly audioFrames: number;
  readonly reason: string;
  /** The recording's end, or null when it had none. */
  readonly recording: Promise<RecordingResult> | null;
}

/** Tells `sink` that a publish ended and, later, that its recording was finalized. */
export function notifyPublishEnd(sink: HookEventSink, end: PublishEnd): void {
  const who = {
    app: end.app,
    name: end.name,
    sessionId: end.sessionId,
    clientIp: clientIp(end.remoteAddr),
  };
  sink({
    action: "publish_done",
    ...who,
    durationMs: end.durationMs,
    bytesIn: end.bytesIn,
    videoFrames: end.videoFrames,
    audioFrames: end.audioFrames,
    reason: end.reason,
  });
  void end.recording?.then((r) =>
    sink({
      action: "recording_done",
      ...who,
      path: r.path,
      bytes: r.bytes,
      durationMs: r.durationMs,
      state: r.state,
      error: r.error,
    })
  );
}
