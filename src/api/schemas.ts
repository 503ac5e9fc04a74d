/**
 * The admin API's bodies as zod schemas: the OpenAPI document is generated from them, and the
 * tests validate real responses with them. Compile-time checks below tie each schema to the
 * TypeScript type the server fills in, both ways, so neither can drift from the other.
 * @module
 */

import { z } from "@hono/zod-openapi";
import type {
  AudioInfo,
  PlayerStats,
  RecordingInfo,
  RelayInfo,
  SessionInfo,
  VideoInfo,
} from "../session/session_info.ts";
import type { StreamView } from "../stream/live_stream.ts";
import type { StreamHealth } from "../health/stream_health.ts";
import type { ClusterStreamView } from "../cluster/cluster.ts";

/** Every error answer. */
export const ErrorSchema = z.strictObject({
  error: z.string().openapi({ example: "Session abc not found" }),
}).openapi("Error");

/** `GET /healthz`. */
export const HealthzSchema = z.strictObject({
  ok: z.literal(true),
  version: z.string().optional().openapi({ example: "0.1.0" }),
  /** This edge's cluster state (with `--cluster-redis`). */
  cluster: z.strictObject({
    edgeId: z.string(),
    state: z.enum(["ok", "degraded"]),
    reason: z.string().nullable(),
  }).optional(),
}).openapi("Healthz");

const HdrSchema = z.strictObject({
  bitDepth: z.number().nullable(),
  colorPrimaries: z.number().nullable(),
  transferCharacteristics: z.number().nullable(),
  matrixCoefficients: z.number().nullable(),
  maxCLL: z.number().nullable(),
  maxFALL: z.number().nullable(),
}).openapi("HdrInfo");

/** What the session and each of its tracks know of the video. */
const videoFields = {
  codec: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  fps: z.number().nullable(),
  frames: z.number().int(),
  keyframes: z.number().int(),
};

/** What the session and each of its tracks know of the audio. */
const audioFields = {
  codec: z.string().nullable(),
  sampleRate: z.number().nullable(),
  channels: z.number().int().nullable(),
  frames: z.number().int(),
};

/** One video track of an Enhanced RTMP publish. */
const VideoTrackSchema = z.strictObject({
  trackId: z.number().int(),
  fourcc: z.string().openapi({ example: "hvc1" }),
  ...videoFields,
  hdr: HdrSchema.nullable(),
}).openapi("VideoTrackInfo");

/** One audio track of an Enhanced RTMP publish. */
const AudioTrackSchema = z.strictObject({
  trackId: z.number().int(),
  fourcc: z.string().openapi({ example: "Opus" }),
  ...audioFields,
}).openapi("AudioTrackInfo");

const VideoSchema = z.strictObject({
  ...videoFields,
  tracks: z.array(VideoTrackSchema).optional(),
}).openapi("VideoInfo");

const AudioSchema = z.strictObject({
  ...audioFields,
  tracks: z.array(AudioTrackSchema).optional(),
}).openapi("AudioInfo");

/** What a client announced of Enhanced RTMP in connect. */
const EnhancedSchema = z.strictObject({
  fourCcList: z.array(z.string()),
  videoFourCcInfoMap: z.record(z.string(), z.number()),
  audioFourCcInfoMap: z.record(z.string(), z.number()),
  capsEx: z.number().int(),
}).openapi("EnhancedInfo");

const RecordingSchema = z.strictObject({
  path: z.string().nullable(),
  bytes: z.number().int(),
  state: z.enum(["recording", "finalizing", "done", "failed"]),
  error: z.string().nullable(),
}).openapi("RecordingInfo");

const PlayerSchema = z.strictObject({
  key: z.string(),
  bytesOut: z.number().int(),
  framesSent: z.number().int(),
  framesSkipped: z.number().int(),
  skipEpisodes: z.number().int(),
  queuedBytes: z.number().int(),
  lagMs: z.number(),
}).openapi("PlayerStats");

const RelaySchema = z.strictObject({
  target: z.string(),
  state: z.enum(["connecting", "live", "retrying", "stopped"]),
  bytesOut: z.number().int(),
  reconnects: z.number().int(),
  lastError: z.string().nullable(),
}).openapi("RelayInfo");

/** A publisher's health, from the stream-health analytics (see `src/health/`). */
const HealthSchema = z.strictObject({
  status: z.enum(["good", "warning", "bad"]),
  reasons: z.array(z.string()),
  bitrate1s: z.number(),
  bitrate10s: z.number(),
  fps: z.number().nullable(),
  metadataFps: z.number().nullable(),
  gopFrames: z.number().nullable(),
  gopSeconds: z.number().nullable(),
  gopVariationSeconds: z.number().nullable(),
  keyframeIntervalSeconds: z.number().nullable(),
  avDriftMs: z.number().nullable(),
  avStartOffsetMs: z.number().nullable(),
  timestampJumps: z.number().int(),
  largestJumpMs: z.number(),
  backwardSteps: z.number().int(),
  largestBackwardMs: z.number(),
  gaps: z.number().int(),
  longestGapMs: z.number(),
  jitterMs: z.number(),
  behindMs: z.number(),
  speed: z.number().nullable(),
  videoSilentMs: z.number().nullable(),
  audioSilentMs: z.number().nullable(),
}).openapi("StreamHealth");

/** One session, live or recently closed. */
export const SessionSchema = z.strictObject({
  id: z.string().openapi({ example: "3f9a1c0b7e21" }),
  state: z.enum(["handshake", "connected", "publishing", "playing", "closed"]),
  remoteAddr: z.string().openapi({ example: "203.0.113.7:50123" }),
  app: z.string().nullable(),
  streamName: z.string().nullable(),
  tcUrl: z.string().nullable(),
  encoder: z.string().nullable(),
  protocol: z.enum(["rtmp", "http-flv"]),
  tls: z.boolean(),
  tlsVersion: z.string().nullable().openapi({ example: "TLSv1.3" }),
  parser: z.enum(["js", "wasm"]).nullable(),
  role: z.enum(["publisher", "player"]).nullable(),
  startedAt: z.string().openapi({ format: "date-time" }),
  publishStartedAt: z.string().nullable().openapi({ format: "date-time" }),
  closedAt: z.string().nullable().openapi({ format: "date-time" }),
  closeReason: z.string().nullable(),
  bytesIn: z.number().int(),
  bitrateKbps: z.number(),
  video: VideoSchema,
  audio: AudioSchema,
  recording: RecordingSchema.nullable(),
  dataMessages: z.number().int(),
  unknownCommands: z.number().int(),
  player: PlayerSchema.nullable(),
  relays: z.array(RelaySchema),
  players: z.number().int(),
  health: HealthSchema.nullable(),
  enhanced: EnhancedSchema.optional(),
}).openapi("Session");

/** `GET /api/sessions`. */
export const SessionListSchema = z.strictObject({ sessions: z.array(SessionSchema) }).openapi(
  "SessionList",
);

/** One live stream. */
export const StreamSchema = z.strictObject({
  key: z.string().openapi({ example: "live/cam1" }),
  app: z.string(),
  name: z.string(),
  publisherId: z.string(),
  startedAt: z.string().openapi({ format: "date-time" }),
  videoCodec: z.string().nullable(),
  audioCodec: z.string().nullable(),
  consumers: z.strictObject({
    "recording": z.number().int(),
    "relay": z.number().int(),
    "rtmp-player": z.number().int(),
    "http-flv-player": z.number().int(),
  }),
  gopCacheBytes: z.number().int(),
}).openapi("Stream");

/** `GET /api/streams`. */
export const StreamListSchema = z.strictObject({ streams: z.array(StreamSchema) }).openapi(
  "StreamList",
);

/** `DELETE /api/sessions/{id}`. */
export const DroppedSchema = z.strictObject({ dropped: z.string() }).openapi("Dropped");

/** The `{id}` path parameter. */
export const SessionIdParams = z.object({
  id: z.string().min(1).openapi({ param: { name: "id", in: "path" }, example: "3f9a1c0b7e21" }),
});

/** A live stream of some edge of the cluster (`--cluster-redis`). */
export const ClusterStreamSchema = z.strictObject({
  key: z.string().openapi({ example: "live/cam1" }),
  edgeId: z.string().openapi({ example: "edge-b" }),
  sessionId: z.string().openapi({ example: "3f9a1c0b7e21" }),
  app: z.string(),
  name: z.string(),
  remoteAddr: z.string().openapi({ example: "203.0.113.7:50123" }),
  videoCodec: z.string().nullable(),
  audioCodec: z.string().nullable(),
  bitrateKbps: z.number(),
  since: z.string().openapi({ format: "date-time" }),
}).openapi("ClusterStream");

/** `GET /api/cluster/streams`. */
export const ClusterStreamListSchema = z.strictObject({
  edgeId: z.string().openapi({ description: "The edge that answered", example: "edge-a" }),
  streams: z.array(ClusterStreamSchema),
}).openapi("ClusterStreamList");

/** `DELETE /api/cluster/streams/{app}/{name}`. */
export const ClusterDroppedSchema = z.strictObject({
  dropped: z.string().openapi({ example: "live/cam1" }),
  edgeId: z.string().openapi({ description: "The edge asked to drop it", example: "edge-b" }),
}).openapi("ClusterDropped");

/** The `{app}` and `{name}` path parameters of a cluster stream. */
export const ClusterStreamParams = z.object({
  app: z.string().min(1).openapi({ param: { name: "app", in: "path" }, example: "live" }),
  name: z.string().min(1).openapi({ param: { name: "name", in: "path" }, example: "cam1" }),
});

// Compile-time checks: each type fits its schema and each schema's output fits its type.
// Optional fields are `.optional()`, not `.exactOptional()`: the OpenAPI generator takes a
// field as optional only when its schema accepts undefined. JSON has no undefined, so their
// `| undefined` is dropped before comparing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Defined<T> = T extends readonly (infer E)[] ? Defined<E>[]
  : T extends object ? { [K in keyof T]: Defined<Exclude<T[K], undefined>> }
  : T;
type Out<S extends z.ZodType> = Defined<z.infer<S>>;
const sameChecks: [
  Same<Out<typeof VideoSchema>, VideoInfo>,
  Same<Out<typeof AudioSchema>, AudioInfo>,
  Same<Out<typeof RecordingSchema>, RecordingInfo>,
  Same<Out<typeof PlayerSchema>, PlayerStats>,
  Same<Out<typeof RelaySchema>, RelayInfo>,
  Same<Out<typeof HealthSchema>, StreamHealth>,
  Same<Out<typeof SessionSchema>, SessionInfo>,
  Same<Out<typeof StreamSchema>, Omit<StreamView, "consumers"> & Pick<StreamView, "consumers">>,
  Same<Out<typeof ClusterStreamSchema>, ClusterStreamView>,
] = [true, true, true, true, true, true, true, true, true];
void sameChecks;
