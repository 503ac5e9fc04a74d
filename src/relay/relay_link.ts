/**
 * A relay's connection to its origin, as the relay sees it, and the real one on our RTMP
 * publish client.
 * @module
 */

import { RtmpPublisher } from "../client/publisher.ts";
import { concatBytes } from "../bytes.ts";
import { encodeAmf0 } from "../rtmp/amf0.ts";
import { MessageType } from "../rtmp/messages.ts";
import { answerEnhancedCaps } from "../rtmp/enhanced_caps.ts";
import { forConsumer, type MediaMessage } from "../stream/media_message.ts";

/** One publishing connection to an origin. */
export interface RelayLink {
  /** Writes one message; resolves to the bytes written, rejects when the connection failed. */
  send(msg: MediaMessage): Promise<number>;
  /** Resolves when the connection has ended (the origin closed it, or it failed). */
  readonly ended: Promise<void>;
  /** FCUnpublish and deleteStream, then closes. Never rejects. */
  unpublish(): Promise<void>;
  /** Closes at once (pending sends reject). Never rejects. */
  close(): Promise<void>;
}

/** Opens a link publishing at `url` (`rtmp[s]://host:port/app/name`). */
export type Dial = (url: string) => Promise<RelayLink>;

/** Options for {@linkcode dialRtmp}. */
export interface DialOptions {
  /** Give up on the TCP connect or a reply after this many ms. */
  readonly timeoutMs: number;
  /** PEM CA certificates trusted besides the system's (for `rtmps://`). */
  readonly caCerts?: readonly string[];
}

/** The `@setDataFrame` a publisher puts before `onMetaData` (the hub keeps the body without it). */
const SET_DATA_FRAME = encodeAmf0(["@setDataFrame"]);

/** Chunk streams as FFmpeg uses them: metadata and audio 4, video 6. */
const CSID = { audio: 4, video: 6, data: 4 } as const;

/** What a relay announces: every FourCC we forward, multitrack, ModEx and nanosecond offsets. */
const RELAY_CAPS = answerEnhancedCaps({
  fourCcList: ["*"],
  videoFourCcInfoMap: new Map(),
  audioFourCcInfoMap: new Map(),
  capsEx: 0,
});

/** Connects and publishes with {@linkcode RtmpPublisher}; resolves once publishing. */
export async function dialRtmp(url: string, options: DialOptions): Promise<RelayLink> {
  const pub = await RtmpPublisher.connect(url, {
    timeoutMs: options.timeoutMs,
    keepControl: false,
    ...(options.caCerts === undefined ? {} : { caCerts: options.caCerts }),
    enhanced: RELAY_CAPS,
  });
  const ended = pub.ended();
  // An origin that answered no E-RTMP caps gets each multitrack tag's default track.
  const multitrack = pub.serverCaps !== null;
  return {
    send(whole) {
      if (pub.closed) return Promise.reject(new Error("Origin closed the connection"));
      const msg = forConsumer(whole, multitrack);
      if (msg === null) return Promise.resolve(0);
      const body = msg.kind === "data" ? concatBytes([SET_DATA_FRAME, msg.body]) : msg.body;
      const type = msg.kind === "data"
        ? MessageType.DataAmf0
        : msg.kind === "audio"
        ? MessageType.Audio
        : MessageType.Video;
      return pub.send({
        type,
        csid: CSID[msg.kind],
        streamId: pub.streamId,
        timestamp: msg.timestamp,
        body,
      });
    },
    ended,
    unpublish: () => pub.unpublish().catch(() => {}),
    close: () => pub.close(true).catch(() => {}),
  };
}
