/**
 * The NetConnection/NetStream command flow of a publisher: connect, releaseStream,
 * FCPublish, createStream, publish, @setDataFrame, FCUnpublish, deleteStream.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { MessageRecord } from "../parser/types.ts";
import type { RecordingFactory } from "../record/recording.ts";
import { validateName } from "../record/recording_path.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";
import {
  type Command,
  connectResult,
  createStreamResult,
  errorResult,
  metadataFromDataMessage,
  onFCPublish,
  resultNull,
  type StatusInfo,
} from "../rtmp/commands.ts";
import {
  commandMessage,
  splitQuery,
  statusMessage,
  userControlMessage,
} from "../rtmp/command_messages.ts";
import {
  encodeSetPeerBandwidth,
  encodeU32Message,
  MessageType,
  UserControlEvent,
} from "../rtmp/messages.ts";
import type { PlayContext, PlayFlow } from "../play/play_flow.ts";
import type { Clock } from "../clock.ts";
import type { Outbox } from "./outbox.ts";
import { Publication } from "./publication.ts";
import {
  openPublishRecording,
  type RecordErrorPolicy,
  reportRecordingEnd,
} from "./publish_recording.ts";
import type { SessionHandle } from "./registry.ts";
import type { StreamHub } from "../stream/hub.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import { RecordingConsumer } from "../record/recording_consumer.ts";
import type { Recording } from "../record/recording.ts";

/** Window acknowledgement size and peer bandwidth we announce. */
export const SERVER_WINDOW = 2_500_000;
/** Chunk size we send with. */
export const SERVER_CHUNK_SIZE = 4096;
/** Most message streams one connection may create. */
export const MAX_STREAMS = 16;

/** What the flow needs from its connection. */
export interface CommandFlowOptions {
  readonly session: SessionHandle;
  readonly outbox: Outbox;
  readonly hub: StreamHub;
  readonly recordings: RecordingFactory;
  readonly clock: Clock;
  readonly log: Logger;
  /** Called when a publish starts (the connection's publish deadline ends). */
  readonly onPublished?: () => void;
  /** What a recording fault does to its publish (default `continue`). */
  readonly onRecordError?: RecordErrorPolicy;
  /** Ends the connection with `reason` once what is queued for the client is sent. */
  readonly end?: (reason: string) => void;
  /** Called when a publish went live, after its recording was attached (relays attach here). */
  readonly onLive?: (stream: LiveStream, session: SessionHandle) => void;
  /** The player commands (play, FCSubscribe, ...); without it they get `_error`. */
  readonly play?: PlayFlow;
}

/** Commands some clients send that need no answer worth logging above debug. */
const HARMLESS_COMMANDS = new Set([
  "_checkbw",
  "onBWDone",
  "_onbwcheck",
  "_onbwdone",
  "setPeerInfo",
]);

/** Per-connection command state; one per connection. */
export class CommandFlow {
  #o: CommandFlowOptions;
  #app: string | null = null;
  #streams = new Set<number>();
  #nextStreamId = 1;
  #refusedStreams = 0;
  #stopping = false;
  #publications = new Map<number, Publication>();
  #recordings = new Map<number, Recording>();
  #unknownLogged = new Set<string>();
  #refusal: string | null = null;
  #playContext: PlayContext = {
    app: null,
    hasStream: (id) => this.#streams.has(id),
  };

  /** Creates the flow for one connection. */
  constructor(options: CommandFlowOptions) {
    this.#o = options;
  }

  /** Why the last publish of this connection was refused, while none has started since. */
  get refusal(): string | null {
    return this.#refusal;
  }

  /** Handles one command. */
  command(cmd: Command, rec: MessageRecord): void {
    if (this.#o.play?.command(cmd, rec, this.#playContext) === true) return;
    switch (cmd.name) {
      case "connect":
        return this.#connect(cmd);
      case "createStream":
        return this.#createStream(cmd);
      case "publish":
        return this.#publish(cmd, rec);
      case "deleteStream":
      case "closeStream": {
        const id = cmd.name === "deleteStream" && typeof cmd.args[0] === "number"
          ? cmd.args[0]
          : rec.streamId;
        this.#unpublish(id, `${cmd.name} from client`);
        this.#o.play?.stop(id, `${cmd.name} from client`);
        if (cmd.name === "deleteStream") this.#streams.delete(id);
        return;
      }
      case "FCPublish":
        this.#reply(resultNull(cmd.transactionId));
        this.#reply(
          onFCPublish("NetStream.Publish.Start", `FCPublish to stream ${this.#argName(cmd)}`),
        );
        return;
      case "FCUnpublish":
        this.#reply(resultNull(cmd.transactionId));
        return;
      case "releaseStream":
      case "_checkbw":
      case "getStreamLength":
        this.#reply(resultNull(cmd.transactionId));
        return;
      default:
        return this.#unknown(cmd);
    }
  }

  /** Answers a command this server does not support; logs each name once per session. */
  #unknown(cmd: Command): void {
    const session = this.#o.session;
    if (session.info.state !== "closed") session.info.unknownCommands++;
    if (!this.#unknownLogged.has(cmd.name) && this.#unknownLogged.size < 16) {
      this.#unknownLogged.add(cmd.name);
      const level = HARMLESS_COMMANDS.has(cmd.name) ? "debug" : "info";
      this.#o.log[level](
        "Session {id} sent {name}, which this server does not support: answered _error",
        {
          id: session.id,
          name: cmd.name,
        },
      );
    }
    this.#reply(errorResult(cmd.transactionId, `Unknown command ${cmd.name}`));
  }

  /** Handles a data message: metadata of a live publication. */
  data(values: AmfValue[], rec: MessageRecord): void {
    const pub = this.#publications.get(rec.streamId);
    const meta = metadataFromDataMessage(values);
    if (pub && meta) pub.metadata(meta);
  }

  /** Handles audio/video; media on a stream that is not publishing is dropped. */
  media(rec: MessageRecord, body: Uint8Array): void {
    const pub = this.#publications.get(rec.streamId);
    if (pub === undefined) return;
    if (rec.type === MessageType.Audio) pub.audio(rec.timestamp, body);
    else pub.video(rec.timestamp, body);
  }

  /** Makes every recording durable so far (called about once a second). */
  sync(): void {
    for (const rec of this.#recordings.values()) rec.sync();
    this.#o.play?.sync();
  }

  /**
   * Tells each publishing stream that the server is ending it, before the connection closes;
   * frees their names at once (a new publisher may take them) and refuses new publishes.
   */
  notifyStop(description: string): void {
    this.#stopping = true;
    for (const [id, pub] of this.#publications) {
      this.#o.hub.unlist(pub.stream);
      this.#status(id, { level: "status", code: "NetStream.Unpublish.Success", description });
    }
  }

  /**
   * Ends every publication (the connection is going away; its close line gives the reason).
   * Their recordings finalize off the event loop.
   */
  close(): void {
    for (const id of [...this.#publications.keys()]) this.#unpublish(id, "connection ending");
    this.#o.play?.close();
  }

  #connect(cmd: Command): void {
    const obj = cmd.commandObject instanceof Map ? cmd.commandObject : new Map<string, AmfValue>();
    const str = (k: string) => {
      const v = obj.get(k);
      return typeof v === "string" ? v : null;
    };
    const app = splitQuery(str("app") ?? "").name.replace(/\/+$/, "");
    const enc = obj.get("objectEncoding");
    const encoder = str("flashVer") ?? str("type") ?? "unknown";
    this.#app = app;
    this.#playContext = { ...this.#playContext, app };
    this.#o.session.update({
      state: "connected",
      app,
      tcUrl: str("tcUrl") === null ? null : splitQuery(str("tcUrl")!).name,
      encoder,
    });
    const out = this.#o.outbox;
    out.send({
      type: MessageType.WindowAckSize,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: encodeU32Message(SERVER_WINDOW),
    });
    out.send({
      type: MessageType.SetPeerBandwidth,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: encodeSetPeerBandwidth(SERVER_WINDOW, 2),
    });
    out.setChunkSize(SERVER_CHUNK_SIZE);
    this.#reply(
      connectResult({
        transactionId: cmd.transactionId,
        objectEncoding: typeof enc === "number" ? enc : 0,
      }),
    );
    this.#o.log.info("Session {id} connected from {remote}: app {app}, encoder {encoder}", {
      id: this.#o.session.id,
      remote: this.#o.session.info.remoteAddr,
      app,
      encoder,
    });
  }

  #createStream(cmd: Command): void {
    if (this.#streams.size >= MAX_STREAMS) {
      if (this.#refusedStreams++ === 0) {
        this.#o.log.warning("Session {id} refused createStream: more than {max} streams", {
          id: this.#o.session.id,
          max: MAX_STREAMS,
        });
      }
      this.#reply(errorResult(cmd.transactionId, `No more than ${MAX_STREAMS} streams`));
      return;
    }
    const id = this.#nextStreamId++;
    this.#streams.add(id);
    this.#reply(createStreamResult(cmd.transactionId, id));
  }

  #publish(cmd: Command, rec: MessageRecord): void {
    const streamId = rec.streamId;
    const session = this.#o.session;
    const status = (level: StatusInfo["level"], code: string, description: string) =>
      this.#status(streamId, { level, code, description });
    const raw = cmd.args[0];
    const { name, query } = splitQuery(typeof raw === "string" ? raw : "");
    const app = this.#app;
    const refuse = (code: string, description: string) => {
      this.#refusal = `Publish refused: ${description}`;
      session.update({ streamName: name });
      this.#o.log.warning("Session {id} publish refused ({code}): {why}", {
        id: session.id,
        code,
        why: description,
      });
      status("error", code, description);
    };
    if (this.#stopping) return refuse("NetStream.Publish.Failed", "The connection is being closed");
    if (app === null) return refuse("NetStream.Publish.Failed", "Publish before connect");
    if (streamId === 0 || !this.#streams.has(streamId)) {
      return refuse("NetStream.Publish.Failed", `Stream ${streamId} was not created`);
    }
    if (validateName(name) === null || validateName(app) === null) {
      return refuse("NetStream.Publish.BadName", "Invalid stream name");
    }
    const key = `${app}/${name}`;
    if (this.#publications.has(streamId) || this.#o.hub.isLive(key)) {
      return refuse("NetStream.Publish.BadName", `${key} is already publishing`);
    }
    const startedAt = new Date(this.#o.clock.now());
    const opened = openPublishRecording({
      factory: this.#o.recordings,
      app,
      name,
      key,
      startedAt,
      session,
      log: this.#o.log,
      policy: this.#o.onRecordError ?? "continue",
      refuse: (code, reason) => this.#endFor(streamId, code, reason),
    });
    if (opened.refused) {
      this.#refusal = opened.info?.error == null
        ? "Publish refused: recording could not start"
        : `Publish refused: recording of ${key} could not start: ${opened.info.error}`;
      session.update({ streamName: name, recording: opened.info });
      return;
    }
    const { recording, info: recInfo } = opened;
    const stream = this.#o.hub.claim({
      key,
      app,
      name,
      publisherId: session.id,
      startedAt: startedAt.toISOString(),
      codecs: session.info,
      onConsumersChanged: (st) => {
        session.info.players = st.count("rtmp-player") + st.count("http-flv-player");
      },
      onConsumerError: (c, e) =>
        this.#o.log.error("Stream {key}: consumer {consumer} failed and was cut off: {error}", {
          key,
          consumer: c.id,
          error: e,
        }),
    })!;
    if (recording !== null) {
      this.#recordings.set(streamId, recording);
      stream.attach(
        new RecordingConsumer(recording, {
          id: `recording:${session.id}:${streamId}`,
          onWritten: (bytes) => {
            if (recInfo) recInfo.bytes = bytes;
          },
        }),
      );
    }
    this.#refusal = null;
    this.#publications.set(
      streamId,
      new Publication({ streamId, video: session.info.video, audio: session.info.audio, stream }),
    );
    session.update({
      state: "publishing",
      role: "publisher",
      streamName: name,
      publishStartedAt: startedAt.toISOString(),
      recording: recInfo,
    });
    this.#o.outbox.send(userControlMessage(UserControlEvent.StreamBegin, streamId));
    status("status", "NetStream.Publish.Start", `Publishing ${name}`);
    this.#o.onPublished?.();
    this.#o.onLive?.(stream, session);
    this.#o.log.info("Session {id} publishing {key}{keyNote} to {path}", {
      id: session.id,
      key,
      keyNote: query === null ? "" : " (with a query string)",
      path: recording?.path ??
        (recInfo?.state === "failed" ? "(recording failed)" : "(not recorded)"),
    });
  }

  /** Sends an error onStatus on `streamId`, then ends the connection (policy `refuse`). */
  #endFor(streamId: number, code: string, reason: string): void {
    this.#status(streamId, { level: "error", code, description: reason });
    this.#o.end?.(reason);
  }

  #unpublish(streamId: number, reason: string): void {
    const pub = this.#publications.get(streamId);
    if (pub === undefined) return;
    this.#publications.delete(streamId);
    const recording = this.#recordings.get(streamId) ?? null;
    this.#recordings.delete(streamId);
    const session = this.#o.session;
    this.#o.hub.release(pub.stream, `Publisher ended (${reason})`);
    const summary = pub.summary();
    const recInfo = session.info.recording;
    if (recording !== null && recInfo?.state === "recording") recInfo.state = "finalizing";
    this.#o.log.info(
      "Session {id} unpublished {key} ({reason}): {video} video frames, {audio} audio frames",
      {
        id: session.id,
        key: pub.key,
        reason,
        video: summary.videoFrames,
        audio: summary.audioFrames,
      },
    );
    if (recording !== null) {
      void reportRecordingEnd(recording.close(), recInfo, {
        log: this.#o.log,
        sessionId: session.id,
        key: pub.key,
      });
    }
    if (this.#publications.size === 0) session.update({ state: "connected" });
  }

  #argName(cmd: Command): string {
    const v = cmd.args[0];
    return typeof v === "string" ? splitQuery(v).name : "";
  }

  /** Sends a reply on the command chunk stream; calls with transaction id 0 expect none. */
  #reply(cmd: Command, streamId = 0): void {
    if (cmd.transactionId === 0 && (cmd.name === "_result" || cmd.name === "_error")) return;
    this.#o.outbox.send(commandMessage(cmd, streamId));
  }

  #status(streamId: number, info: StatusInfo): void {
    this.#o.outbox.send(statusMessage(streamId, info));
  }
}
