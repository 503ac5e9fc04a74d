/**
 * A connection's NetConnection/NetStream command flow: connect, createStream, deleteStream,
 * the small replies (releaseStream, FCPublish, ...) and unknown commands; publishing goes to
 * the publish flow, playing to the play flow.
 * @module
 */

import type { MessageRecord } from "../parser/types.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";
import {
  type Command,
  connectResult,
  createStreamResult,
  errorResult,
  onFCPublish,
  resultNull,
} from "../rtmp/commands.ts";
import { commandMessage, splitQuery } from "../rtmp/command_messages.ts";
import {
  answerEnhancedCaps,
  decodeEnhancedCaps,
  type EnhancedCaps,
} from "../rtmp/enhanced_caps.ts";
import type { EnhancedInfo } from "./session_info.ts";
import { encodeSetPeerBandwidth, encodeU32Message, MessageType } from "../rtmp/messages.ts";
import type { PlayContext, PlayFlow } from "../play/play_flow.ts";
import { type PublishContext, PublishFlow, type PublishFlowOptions } from "./publish_flow.ts";

/** Window acknowledgement size and peer bandwidth we announce. */
export const SERVER_WINDOW = 2_500_000;
/** Chunk size we send with. */
export const SERVER_CHUNK_SIZE = 4096;
/** Most message streams one connection may create. */
export const MAX_STREAMS = 16;

/** What the flow needs from its connection: the publish flow's needs and the play flow. */
export interface CommandFlowOptions extends PublishFlowOptions {
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
  #nextStreamId = 1;
  #refusedStreams = 0;
  #stopping = false;
  #unknownLogged: Set<string> | null = null;
  #publish: PublishFlow;
  /** What the publish and play flows check against: the app and the created streams, live. */
  readonly #context = new FlowContext();

  /** Creates the flow for one connection. */
  constructor(options: CommandFlowOptions) {
    this.#o = options;
    this.#publish = new PublishFlow(options);
  }

  /** Why the last publish of this connection was refused, while none has started since. */
  get refusal(): string | null {
    return this.#publish.refusal;
  }

  /** Handles one command. */
  command(cmd: Command, rec: MessageRecord): void {
    if (this.#o.play?.command(cmd, rec, this.#context) === true) return;
    switch (cmd.name) {
      case "connect":
        return this.#connect(cmd);
      case "createStream":
        return this.#createStream(cmd);
      case "publish":
        return this.#publish.publish(cmd, rec, this.#context);
      case "deleteStream":
      case "closeStream": {
        const id = cmd.name === "deleteStream" && typeof cmd.args[0] === "number"
          ? cmd.args[0]
          : rec.streamId;
        this.#publish.unpublish(id, `${cmd.name} from client`);
        this.#o.play?.stop(id, `${cmd.name} from client`);
        if (cmd.name === "deleteStream") this.#context.streams.delete(id);
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
    const logged = this.#unknownLogged ??= new Set();
    if (!logged.has(cmd.name) && logged.size < 16) {
      logged.add(cmd.name);
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
    this.#publish.data(values, rec);
  }

  /** Handles audio/video; media on a stream that is not publishing is dropped. */
  media(rec: MessageRecord, body: Uint8Array): void {
    this.#publish.media(rec, body);
  }

  /** The connection's read is done: see {@linkcode PublishFlow.readDone}. */
  readDone(): void {
    this.#publish.readDone();
  }

  /** Null while the recordings keep up with the disk; else resolves once they caught up. */
  recordingBacklog(): Promise<unknown> | null {
    return this.#publish.recordingBacklog();
  }

  /** Makes every recording durable so far (called about once a second). */
  sync(): void {
    this.#publish.sync();
    this.#o.play?.sync();
  }

  /**
   * Tells each publishing stream that the server is ending it, before the connection closes;
   * frees their names at once and refuses new publishes.
   */
  notifyStop(description: string): void {
    this.#publish.notifyStop(description);
  }

  /** Ends every publication and play (the connection is going away). */
  close(): void {
    this.#publish.close();
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
    const enhanced = decodeEnhancedCaps(obj);
    this.#context.app = app;
    this.#context.enhanced = enhanced !== null;
    if (enhanced !== null) this.#o.session.info.enhanced = enhancedInfo(enhanced);
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
        ...(enhanced === null ? {} : { enhanced: answerEnhancedCaps(enhanced) }),
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
    const streams = this.#context.streams;
    if (streams.size >= MAX_STREAMS) {
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
    streams.add(id);
    this.#reply(createStreamResult(cmd.transactionId, id));
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
}

/** The caps a client announced, as the session info shows them. */
function enhancedInfo(caps: EnhancedCaps): EnhancedInfo {
  return {
    fourCcList: [...caps.fourCcList],
    videoFourCcInfoMap: Object.fromEntries(caps.videoFourCcInfoMap),
    audioFourCcInfoMap: Object.fromEntries(caps.audioFourCcInfoMap),
    capsEx: caps.capsEx,
  };
}

/** The connection's app and created streams, as the publish and play flows see them. */
class FlowContext implements PlayContext, PublishContext {
  /** The app from connect, or null before it. */
  app: string | null = null;
  /** Whether connect announced Enhanced RTMP. */
  enhanced = false;
  /** The message streams createStream made. */
  readonly streams = new Set<number>();

  hasStream(id: number): boolean {
    return this.streams.has(id);
  }
}
