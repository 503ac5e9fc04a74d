/**
 * The notifications the flows report (`--on-event`): what happened, to which stream, with its
 * figures. Plain data; the notifier adds `edgeId` and `time`.
 * @module
 */

/** What every event names. */
export interface HookEventBase {
  readonly app: string;
  readonly name: string;
  readonly sessionId: string;
  /** The client's address, without the port. */
  readonly clientIp: string;
}

/** A publish ended. */
export interface PublishDoneEvent extends HookEventBase {
  readonly action: "publish_done";
  readonly durationMs: number;
  /** Bytes the publisher's connection had sent when it ended. */
  readonly bytesIn: number;
  readonly videoFrames: number;
  readonly audioFrames: number;
  readonly reason: string;
}

/** A player started (RTMP or HTTP-FLV). */
export interface PlayEvent extends HookEventBase {
  readonly action: "play";
  readonly protocol: "rtmp" | "http-flv";
}

/** A player ended. */
export interface PlayDoneEvent extends HookEventBase {
  readonly action: "play_done";
  readonly protocol: "rtmp" | "http-flv";
  readonly durationMs: number;
  readonly bytesOut: number;
  readonly framesSent: number;
  readonly reason: string;
}

/** A recording was finalized (or ended failed). */
export interface RecordingDoneEvent extends HookEventBase {
  readonly action: "recording_done";
  /** The final file, the `.part` left for repair, or null when nothing was kept. */
  readonly path: string | null;
  readonly bytes: number;
  readonly durationMs: number;
  readonly state: "done" | "failed";
  readonly error: string | null;
}

/** Any notification. */
export type HookEvent = PublishDoneEvent | PlayEvent | PlayDoneEvent | RecordingDoneEvent;

/** Takes an event; must return at once (delivery happens elsewhere). */
export type HookEventSink = (event: HookEvent) => void;
