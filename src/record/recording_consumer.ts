/**
 * The recording as a consumer of its live stream: every message in order, nothing skipped.
 * Its queue is the file's (bounded; a disk that falls behind fails the recording alone).
 * @module
 */

import { decodeAmf0 } from "../rtmp/amf0.ts";
import { AmfEcmaArray } from "../rtmp/amf_value.ts";
import type { StreamConsumer } from "../stream/consumer.ts";
import type { MediaMessage } from "../stream/media_message.ts";
import type { Recording } from "./recording.ts";

/** Options for {@linkcode RecordingConsumer}. */
export interface RecordingConsumerOptions {
  /** Unique among the stream's consumers. */
  readonly id: string;
  /** Called after each message with the bytes on disk so far. */
  readonly onWritten?: (bytes: number) => void;
}

/** Writes a live stream into a {@linkcode Recording}; ending the stream finalizes it. */
export class RecordingConsumer implements StreamConsumer {
  readonly kind = "recording";
  /** The file's batch and the pipe's queue copy each tag at once. */
  readonly copiesOnTake = true;
  readonly id: string;
  #recording: Recording;
  #onWritten: ((bytes: number) => void) | undefined;

  /** Creates the consumer. */
  constructor(recording: Recording, options: RecordingConsumerOptions) {
    this.#recording = recording;
    this.id = options.id;
    this.#onWritten = options.onWritten;
  }

  /** Bytes waiting for the disk. */
  get queuedBytes(): number {
    return this.#recording.queuedBytes;
  }

  /** Writes one message. */
  take(msg: MediaMessage): void {
    const r = this.#recording;
    if (msg.kind === "video") r.writeVideo(msg.timestamp, msg.body);
    else if (msg.kind === "audio") r.writeAudio(msg.timestamp, msg.body);
    else {
      const meta = onMetaData(msg.body);
      if (meta !== null) r.writeMetadata(meta);
    }
    this.#onWritten?.(r.bytes);
  }

  /** Starts finalizing the recording (off the event loop). */
  end(): void {
    void this.#recording.close();
  }
}

/** The object of an `onMetaData` data message body, or null. */
function onMetaData(body: Uint8Array): AmfEcmaArray | null {
  try {
    const [name, data] = decodeAmf0(body);
    if (name !== "onMetaData" || !(data instanceof Map)) return null;
    return data instanceof AmfEcmaArray ? data : new AmfEcmaArray([...data]);
  } catch {
    return null;
  }
}
