/**
 * The publishing half of a connection's command flow: publish (checks, recording, the
 * stream in the hub), media and metadata into it, and unpublish with the recording's end.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import { clientIp, type PublishAuthorizer, type PublishDecision } from "../auth/authorizer.ts";
import { notifyPublishEnd } from "./publish_events.ts";
import { PublishGate } from "./publish_gate.ts";
import type { HookEventSink } from "../hooks/events.ts";
import type { Clock } from "../clock.ts";
import type { HealthThresholds } from "../health/thresholds.ts";
import type { MessageRecord } from "../parser/types.ts";
import type { Recording, RecordingFactory } from "../record/recording.ts";
import { RecordingConsumer } from "../record/recording_consumer.ts";
import { validateName } from "../record/recording_path.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";
import { type Command, metadataFromDataMessage, type StatusInfo } from "../rtmp/commands.ts";
import { splitQuery, statusMessage, userControlMessage } from "../rtmp/command_messages.ts";
import { MessageType, UserControlEvent } from "../rtmp/messages.ts";
import type { StreamHub } from "../stream/hub.ts";
import type { LiveStream } from "../stream/live_stream.ts";
import type { AppPolicies } from "./app_policy.ts";
import type { Outbox } from "./outbox.ts";
import { Publication } from "./publication.ts";
import { PublishHealth } from "./publish_health.ts";
import type { FlushPacer } from "./flush_pacer.ts";
import {
  openPublishRecording,
  type RecordErrorPolicy,
  reportRecordingEnd,
} from "./publish_recording.ts";
import type { SessionHandle } from "./registry.ts";
import type { RecordingInfo } from "./session_info.ts";

/** What the publish flow needs from its connection. */
export interface PublishFlowOptions {
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
  /**
   * Called when a publish went live, after its recording was attached (relays attach here);
   * `extra.push` are the authorizer's push targets for this publish.
   */
  readonly onLive?: (
    stream: LiveStream,
    session: SessionHandle,
    extra: { readonly push?: readonly string[] },
  ) => void;
  /** Asked after the name checks, before anything is claimed; without it, anyone may publish. */
  readonly authorize?: PublishAuthorizer;
  /** Told when a publish or its recording ends (notification hooks); must return at once. */
  readonly onEvent?: HookEventSink;
  /** A live name whose publisher sent nothing this long is taken over (0 or unset: never). */
  readonly takeoverAfterMs?: number;
  /** Drops another session (the silent publisher being taken over); false when it is gone. */
  readonly dropSession?: (id: string, reason: string) => boolean;
  /** Each app's rules (takeover, record dir), asked once per publish; they win over the above. */
  readonly policy?: AppPolicies;
  /** Levels of a publish's health (default `DEFAULT_HEALTH_THRESHOLDS`). */
  readonly health?: HealthThresholds;
  /**
   * Asked after the hub's claim, before Publish.Start: the cluster's claim of the name across
   * edges; null allows, a string refuses (the hub's claim is then released).
   */
  readonly clusterClaim?: (req: { key: string; sessionId: string }) => Promise<string | null>;
  /**
   * Told whether the connection's reads may wait to be merged (`ReadPacer`): true
   * while it publishes and none of its streams feeds a player or relay; told again on change.
   */
  readonly onReadsMayWait?: (may: boolean) => void;
  /** When each read's messages reach the players (merged writes); none: at the read's end. */
  readonly flushes?: FlushPacer;
}

/**
 * Most cluster claims of one connection waiting for Redis, cancelled ones included: a client
 * looping publish and deleteStream cannot pile up names in the hub and calls to Redis.
 */
export const MAX_CLAIMS_WAITING = 4;

/** A publish that was allowed, as it is to start. */
interface StartingPublish {
  readonly streamId: number;
  readonly app: string;
  /** The name to publish as (the authorizer's, when it renamed). */
  readonly name: string;
  readonly query: string | null;
  /** Whether the authorizer gave the name (the client's may be a secret stream key). */
  readonly renamed: boolean;
  readonly push?: readonly string[];
  readonly record?: boolean;
}

/** What the connection's flow knows that a publish is checked against. */
export interface PublishContext {
  /** The app from connect, or null before it. */
  readonly app: string | null;
  /** Whether createStream made `streamId`. */
  hasStream(streamId: number): boolean;
}

/** A live publication of a connection and what it keeps. */
interface LivePublish {
  readonly pub: Publication;
  readonly recording: Recording | null;
  readonly health: PublishHealth;
  /** When it started, ms. */
  readonly startedAt: number;
}

/** The publications of one connection. */
export class PublishFlow {
  #o: PublishFlowOptions;
  #stopping = false;
  /** The live publications by message stream id, each with what it keeps (one map). */
  #live = new Map<number, LivePublish>();
  /** The publication media last went to (a connection publishes on one stream nearly always). */
  #lastPub: Publication | null = null;
  #refusal: string | null = null;
  /** The authorizer's questions, or null when anyone may publish. */
  #gate: PublishGate | null;
  /** Publishes waiting for the cluster's claim, by message stream id (made on first use). */
  #claiming: Map<number, symbol> | null = null;
  /** Cluster claims not yet answered, cancelled ones included (each holds a name in the hub). */
  #claimsWaiting = 0;
  #closed = false;
  /** What {@linkcode PublishFlowOptions.onReadsMayWait} was last told. */
  #readsMayWait = false;

  /** Creates the flow for one connection. */
  constructor(options: PublishFlowOptions) {
    this.#o = options;
    this.#gate = options.authorize === undefined
      ? null
      : new PublishGate({ authorize: options.authorize, log: options.log });
  }

  /** Why the last publish of this connection was refused, while none has started since. */
  get refusal(): string | null {
    return this.#refusal;
  }

  /** Handles a data message: metadata of a live publication. */
  data(values: AmfValue[], rec: MessageRecord): void {
    const pub = this.#live.get(rec.streamId)?.pub;
    const meta = metadataFromDataMessage(values);
    if (pub && meta) pub.metadata(meta);
  }

  /** Handles audio/video; media on a stream that is not publishing is dropped. */
  media(rec: MessageRecord, body: Uint8Array): void {
    let pub = this.#lastPub;
    if (pub === null || pub.streamId !== rec.streamId) {
      pub = this.#live.get(rec.streamId)?.pub ?? null;
      if (pub === null) return;
      this.#lastPub = pub;
    }
    // One clock call per message for its health sample and the stream's last-message time.
    const now = this.#o.clock.now();
    if (rec.type === MessageType.Audio) pub.audio(rec.timestamp, body, now);
    else pub.video(rec.timestamp, body, now);
  }

  /**
   * The connection's read is done: each stream it published to hands its players what they
   * held back from the read, now or merged with the next reads ({@linkcode FlushPacer}).
   */
  readDone(): void {
    const flushes = this.#o.flushes;
    for (const { pub: { stream } } of this.#live.values()) {
      if (!stream.unflushed) continue;
      if (flushes === undefined) stream.flush();
      else flushes.readDone(stream);
    }
  }

  /**
   * Null while every recording of this connection keeps up with its disk; otherwise a promise
   * that resolves once they have caught up (or failed): the connection reads no more until then.
   */
  recordingBacklog(): Promise<unknown> | null {
    let waits: Promise<void>[] | null = null;
    for (const { recording } of this.#live.values()) {
      const wait = recording?.backlog() ?? null;
      if (wait !== null) (waits ??= []).push(wait);
    }
    return waits === null ? null : Promise.all(waits);
  }

  /**
   * Makes every recording durable so far and updates each publication's health, logging a
   * change of its status (called about once a second).
   */
  sync(): void {
    for (const live of this.#live.values()) {
      live.recording?.sync();
      this.#reportHealth(live);
    }
  }

  /** Puts the health of a live publication into the session; logs a status change. */
  #reportHealth({ pub, health }: LivePublish): void {
    const session = this.#o.session;
    session.info.health = health.report(this.#o.log, {
      id: session.id,
      app: pub.stream.app,
      name: pub.stream.name,
    });
  }

  /**
   * Tells each publishing stream that the server is ending it, before the connection closes;
   * frees their names at once (a new publisher may take them) and refuses new publishes.
   */
  notifyStop(description: string): void {
    this.#stopping = true;
    for (const [id, { pub }] of this.#live) {
      this.#o.hub.unlist(pub.stream);
      this.#status(id, { level: "status", code: "NetStream.Unpublish.Success", description });
    }
  }

  /** Ends every publication; their recordings finalize off the event loop. */
  close(): void {
    this.#stopping = true;
    this.#gate?.cancelAll();
    this.#claiming?.clear();
    this.#closed = true;
    for (const id of [...this.#live.keys()]) this.unpublish(id, "connection ending");
  }

  /**
   * Handles `publish` on the message stream of `rec`. The authorizer may answer later (a
   * webhook): meanwhile the connection goes on, a second publish on the same stream is
   * refused, and a deleteStream or the connection's end cancels the publish.
   */
  publish(cmd: Command, rec: MessageRecord, ctx: PublishContext): void {
    const streamId = rec.streamId;
    const session = this.#o.session;
    const raw = cmd.args[0];
    const { name, query } = splitQuery(typeof raw === "string" ? raw : "");
    const app = ctx.app;
    const refuse = (code: string, description: string) =>
      this.#refuse(streamId, name, code, description);
    if (this.#stopping) return refuse("NetStream.Publish.Failed", "The connection is being closed");
    if (app === null) return refuse("NetStream.Publish.Failed", "Publish before connect");
    if (streamId === 0 || !ctx.hasStream(streamId)) {
      return refuse("NetStream.Publish.Failed", `Stream ${streamId} was not created`);
    }
    if (validateName(name) === null || validateName(app) === null) {
      return refuse("NetStream.Publish.BadName", "Invalid stream name");
    }
    if (this.#gate?.waiting(streamId) === true) {
      return refuse(
        "NetStream.Publish.BadName",
        `A publish on stream ${streamId} is being authorized`,
      );
    }
    if (this.#gate === null) return this.#start({ streamId, app, name, query, renamed: false });
    // Before the live check, so an unauthorized client does not learn which names are live.
    // The query may carry a signature or key: it goes to the authorizer only, never to a log.
    const req = {
      app,
      name,
      query,
      clientIp: clientIp(session.info.remoteAddr),
      tcUrl: session.info.tcUrl,
      sessionId: session.id,
    };
    this.#gate.ask(streamId, req, (d) => {
      if (!this.#stopping) this.#decided(streamId, app, name, query, d);
    });
  }

  /** Applies an authorizer's decision: refuse and close, or start (renamed, pushed, recorded). */
  #decided(
    streamId: number,
    app: string,
    name: string,
    query: string | null,
    d: PublishDecision,
  ): void {
    // Refused here, the client's name stays out of the session (it may be a stream key).
    if (!d.allow) {
      this.#refuse(streamId, null, "NetStream.Publish.BadName", d.reason);
      this.#o.end?.(this.#refusal ?? d.reason);
      return;
    }
    const channel = d.name ?? name;
    if (validateName(channel) === null) {
      this.#refuse(
        streamId,
        null,
        "NetStream.Publish.BadName",
        "The authorizer gave an invalid stream name",
      );
      this.#o.end?.(this.#refusal ?? "Invalid stream name");
      return;
    }
    this.#start({
      streamId,
      app,
      name: channel,
      query,
      renamed: channel !== name,
      ...(d.push === undefined ? {} : { push: d.push }),
      ...(d.record === undefined ? {} : { record: d.record }),
    });
  }

  /**
   * Refuses a publish on `streamId` with an error onStatus and one log line; `name` (null: not
   * shown) goes into the session.
   */
  #refuse(streamId: number, name: string | null, code: string, description: string): void {
    const session = this.#o.session;
    this.#refusal = `Publish refused: ${description}`;
    if (name !== null) session.update({ streamName: name });
    this.#o.log.warning("Session {id} publish refused ({code}): {why}", {
      id: session.id,
      code,
      why: description,
    });
    this.#status(streamId, { level: "error", code, description });
  }

  /** Claims the name, opens the recording, says Publish.Start and attaches the relays. */
  #start(p: StartingPublish): void {
    const { streamId, app, name } = p;
    const session = this.#o.session;
    const refuse = (code: string, description: string) =>
      this.#refuse(streamId, name, code, description);
    const key = `${app}/${name}`;
    if (this.#claiming?.has(streamId) === true) {
      return refuse(
        "NetStream.Publish.BadName",
        `A publish on stream ${streamId} is being claimed`,
      );
    }
    if (this.#claimsWaiting >= MAX_CLAIMS_WAITING) {
      return refuse(
        "NetStream.Publish.Failed",
        "Too many publishes being claimed on this connection",
      );
    }
    const rules = this.#o.policy?.(app);
    if (!this.#live.has(streamId)) {
      this.#takeOver(key, rules?.takeoverAfterMs ?? this.#o.takeoverAfterMs ?? 0);
    }
    if (this.#live.has(streamId) || this.#o.hub.isLive(key)) {
      return refuse("NetStream.Publish.BadName", `${key} is already publishing`);
    }
    const startedAt = new Date(this.#o.clock.now());
    const opened = p.record === false
      ? { recording: null, info: null, refused: false }
      : openPublishRecording({
        factory: this.#o.recordings,
        app,
        name,
        key,
        startedAt,
        session,
        log: this.#o.log,
        policy: this.#o.onRecordError ?? "continue",
        // The app's record dir; a decision that turns recording on in an app that does not
        // record uses the server's.
        ...(rules === undefined || (p.record === true && rules.recordDir === null)
          ? {}
          : { dir: rules.recordDir }),
        refuse: (code, reason) => this.#endFor(streamId, code, reason),
      });
    if (opened.refused) {
      this.#refusal = opened.info?.error == null
        ? "Publish refused: recording could not start"
        : `Publish refused: recording of ${key} could not start: ${opened.info.error}`;
      session.update({ streamName: name, recording: opened.info });
      return;
    }
    if (p.record === true && opened.recording === null) {
      this.#o.log.warning("Session {id}: recording of {key} was asked for, but recording is off", {
        id: session.id,
        key,
      });
    }
    const { recording, info: recInfo } = opened;
    const stream = this.#claim(key, app, name, startedAt);
    const goLive = () => this.#goLive(p, { stream, recording, recInfo, key, startedAt });
    if (this.#o.clusterClaim === undefined) return goLive();
    // Until the answer, a second publish on this stream is refused, and deleteStream or the
    // connection's end cancels this one: the answer then releases what was claimed.
    const token = Symbol(key);
    const claiming = this.#claiming ??= new Map();
    claiming.set(streamId, token);
    this.#claimsWaiting++;
    const settle = (denied: string | null) => {
      this.#claimsWaiting--;
      const cancelled = claiming.get(streamId) !== token;
      if (!cancelled) claiming.delete(streamId);
      const gone = cancelled || this.#closed || this.#stopping || this.#o.hub.get(key) !== stream;
      if (denied === null && !gone) return goLive();
      this.#o.hub.release(stream, `Publish refused: ${denied ?? "publish cancelled"}`);
      void recording?.close();
      if (denied !== null && !cancelled && !this.#closed) {
        refuse("NetStream.Publish.BadName", denied);
      }
    };
    this.#o.clusterClaim({ key, sessionId: session.id })
      .catch((e) => {
        this.#o.log.error("Session {id}: the cluster claim of {key} failed: {error}", {
          id: session.id,
          key,
          error: e,
        });
        return "The cluster claim failed";
      })
      .then(settle)
      .catch((e) =>
        this.#o.log.error("Session {id} publish failed: {error}", { id: session.id, error: e })
      );
  }

  /**
   * Claims `key` in the hub. Its own method: the stream keeps its callbacks for its life, and
   * closures made in {@linkcode PublishFlow.#start} would keep everything that one captures.
   */
  #claim(key: string, app: string, name: string, startedAt: Date): LiveStream {
    const session = this.#o.session;
    return this.#o.hub.claim({
      key,
      app,
      name,
      publisherId: session.id,
      startedAt: startedAt.toISOString(),
      now: () => this.#o.clock.now(),
      codecs: session.info,
      onConsumersChanged: (st) => {
        session.info.players = st.players;
        this.#updateReadsMayWait();
      },
      onConsumerError: (c, e) =>
        this.#o.log.error("Stream {key}: consumer {consumer} failed and was cut off: {error}", {
          key,
          consumer: c.id,
          error: e,
        }),
    })!;
  }

  /** Attaches the recording, makes the publication and says Publish.Start. */
  #goLive(p: StartingPublish, live: {
    stream: LiveStream;
    recording: Recording | null;
    recInfo: RecordingInfo | null;
    key: string;
    startedAt: Date;
  }): void {
    const { streamId, name, query } = p;
    const { stream, recording, recInfo, key, startedAt } = live;
    const session = this.#o.session;
    if (recording !== null) {
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
    const health = new PublishHealth(this.#o.clock, this.#o.health);
    session.info.health = health.tracker.report();
    this.#live.set(streamId, {
      pub: new Publication({
        streamId,
        video: session.info.video,
        audio: session.info.audio,
        stream,
        health: health.tracker,
        counts: session.info,
      }),
      recording,
      health,
      startedAt: startedAt.getTime(),
    });
    session.update({
      state: "publishing",
      role: "publisher",
      streamName: name,
      publishStartedAt: startedAt.toISOString(),
      recording: recInfo,
    });
    this.#o.outbox.send(userControlMessage(UserControlEvent.StreamBegin, streamId));
    this.#status(streamId, {
      level: "status",
      code: "NetStream.Publish.Start",
      description: `Publishing ${name}`,
    });
    this.#o.onPublished?.();
    this.#o.onLive?.(stream, session, p.push === undefined ? {} : { push: p.push });
    this.#updateReadsMayWait();
    this.#o.log.info("Session {id} publishing {key}{keyNote} to {path}", {
      id: session.id,
      key,
      keyNote: p.renamed
        ? " (named by the authorizer)"
        : query === null
        ? ""
        : " (with a query string)",
      path: recording?.path ??
        (recInfo?.state === "failed" ? "(recording failed)" : "(not recorded)"),
    });
  }

  /** Sends an error onStatus on `streamId`, then ends the connection (policy `refuse`). */
  #endFor(streamId: number, code: string, reason: string): void {
    this.#status(streamId, { level: "error", code, description: reason });
    this.#o.end?.(reason);
  }

  /**
   * Drops the publisher of live `key` when it has been silent for the takeover time (an encoder
   * reconnecting after a network drop finds its old session still open); its name is freed at
   * once, the old session closes with the reason.
   */
  #takeOver(key: string, after: number): void {
    const live = this.#o.hub.get(key);
    if (after <= 0 || live === undefined || this.#o.dropSession === undefined) return;
    if (live.publisherId === this.#o.session.id) return; // its own publish on another stream
    const silent = live.silentMs();
    if (silent < after) return;
    const why = `Taken over by session ${this.#o.session.id}: no data for ${silent} ms`;
    if (this.#o.dropSession(live.publisherId, why)) {
      this.#o.log.info("Session {id} takes over {key} from silent session {old} ({ms} ms)", {
        id: this.#o.session.id,
        key,
        old: live.publisherId,
        ms: silent,
      });
    }
  }

  /** Ends the publication on `streamId` (or cancels one being authorized); `reason` is logged. */
  unpublish(streamId: number, reason: string): void {
    this.#gate?.cancel(streamId);
    this.#claiming?.delete(streamId);
    const live = this.#live.get(streamId);
    if (live === undefined) return;
    this.#live.delete(streamId);
    if (this.#lastPub === live.pub) this.#lastPub = null;
    const { pub, health, startedAt, recording } = live;
    this.#o.session.info.health = health.tracker.report();
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
    const ended = recording === null ? null : reportRecordingEnd(recording.close(), recInfo, {
      log: this.#o.log,
      sessionId: session.id,
      key: pub.key,
    });
    if (this.#o.onEvent !== undefined) {
      notifyPublishEnd(this.#o.onEvent, {
        app: pub.stream.app,
        name: pub.stream.name,
        sessionId: session.id,
        remoteAddr: session.info.remoteAddr,
        durationMs: this.#o.clock.now() - startedAt,
        bytesIn: session.info.bytesIn,
        videoFrames: summary.videoFrames,
        audioFrames: summary.audioFrames,
        reason,
        recording: ended,
      });
    }
    if (this.#live.size === 0) session.update({ state: "connected" });
    this.#updateReadsMayWait();
  }

  /** Tells the connection when whether its reads may wait changed. */
  #updateReadsMayWait(): void {
    if (this.#o.onReadsMayWait === undefined) return;
    let may = this.#live.size > 0;
    for (const { pub } of this.#live.values()) if (pub.stream.watched) may = false;
    if (may === this.#readsMayWait) return;
    this.#readsMayWait = may;
    this.#o.onReadsMayWait(may);
  }

  #status(streamId: number, info: StatusInfo): void {
    this.#o.outbox.send(statusMessage(streamId, info));
  }
}
