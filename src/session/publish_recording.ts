/**
 * A publish's recording under the `--on-record-error` policy: opening it, reporting a
 * storage fault once (log line, API state), ending the publish when the policy says so,
 * and reporting what was kept when it is finalized.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import {
  describeStorageError,
  type Recording,
  type RecordingFactory,
  type RecordingResult,
} from "../record/recording.ts";
import type { SessionHandle } from "./registry.ts";
import type { RecordingInfo } from "./session_info.ts";

/** What a recording fault does to its publish. */
export type RecordErrorPolicy = "continue" | "refuse";

/** Options for {@linkcode openPublishRecording}. */
export interface PublishRecordingOptions {
  readonly factory: RecordingFactory;
  readonly app: string;
  readonly name: string;
  /** `app/name`, for log lines. */
  readonly key: string;
  readonly startedAt: Date;
  readonly session: SessionHandle;
  readonly log: Logger;
  readonly policy: RecordErrorPolicy;
  /** The app's record dir (null: no file), instead of the factory's. */
  readonly dir?: string | null;
  /**
   * Under policy `refuse`: sends `code` as an error onStatus on the publish's stream and ends
   * the connection with `reason`.
   */
  readonly refuse: (code: string, reason: string) => void;
}

/** An opened (or not) recording and the API object that mirrors it. */
export interface PublishRecording {
  /** The recording, or null when nothing is recorded (off, or it could not start). */
  readonly recording: Recording | null;
  /** What the session shows, or null when recording is off. */
  readonly info: RecordingInfo | null;
  /** Whether the publish was refused under policy `refuse`. */
  readonly refused: boolean;
}

/**
 * Opens the recording of a publish. When the file cannot be created, policy `continue`
 * publishes unrecorded (the API shows `failed`), policy `refuse` refuses the publish with
 * `NetStream.Record.NoAccess`. A fault later on is logged once and, under `refuse`, ends the
 * publish with `NetStream.Record.Failed`.
 */
export function openPublishRecording(o: PublishRecordingOptions): PublishRecording {
  const info: RecordingInfo = { path: null, bytes: 0, state: "recording", error: null };
  const failed = (error: unknown, starting: boolean) => {
    const message = describeStorageError(error);
    info.state = "failed";
    info.error = message;
    const refuse = o.policy === "refuse";
    o.log.error("Session {id} recording of {key} failed: {error}; {what}", {
      id: o.session.id,
      key: o.key,
      error: message,
      what: refuse
        ? "ending the publish (--on-record-error refuse)"
        : "the publish goes on unrecorded",
    });
    if (!refuse) return;
    if (starting) {
      o.refuse(
        "NetStream.Record.NoAccess",
        `Publish refused: recording of ${o.key} could not start: ${message}`,
      );
    } else {
      o.refuse("NetStream.Record.Failed", `Recording of ${o.key} failed: ${message}`);
    }
  };
  let recording: Recording | null;
  try {
    recording = o.factory.open({
      app: o.app,
      stream: o.name,
      startedAt: o.startedAt,
      ...(o.dir === undefined ? {} : { dir: o.dir }),
      events: { onFailed: (e) => failed(e, false) },
    });
  } catch (e) {
    failed(e, true);
    return { recording: null, info, refused: o.policy === "refuse" };
  }
  if (recording?.path == null) return { recording, info: null, refused: false };
  info.path = recording.path;
  return { recording, info, refused: false };
}

/** Waits for a recording's end, stores it in `info`, logs one line, and gives the result. */
export async function reportRecordingEnd(
  done: Promise<RecordingResult>,
  info: RecordingInfo | null,
  o: { readonly log: Logger; readonly sessionId: string; readonly key: string },
): Promise<RecordingResult> {
  const result = await done;
  if (info === null) return result;
  info.path = result.path;
  info.bytes = result.bytes;
  info.state = result.state;
  info.error = result.error;
  const fields = {
    id: o.sessionId,
    key: o.key,
    path: result.path ?? "(nothing kept)",
    bytes: result.bytes,
    seconds: result.durationMs / 1000,
    error: result.error,
  };
  if (result.state === "done") {
    o.log.info(
      "Session {id} recording of {key} finalized: {path}, {bytes} bytes, {seconds} s",
      fields,
    );
  } else {
    o.log.info(
      "Session {id} recording of {key} ended failed ({error}): kept {path}, {bytes} bytes, {seconds} s",
      fields,
    );
  }
  return result;
}
