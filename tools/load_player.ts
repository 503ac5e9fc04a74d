/**
 * One load player: handshake, connect, createStream, play, SetBufferLength, then it reads with
 * the chunk parser straight into the parser's 64 KiB input buffer and counts frames.
 *
 * ```
 * C0C1 → S0S1S2 → C2, connect ─_result→ createStream ─_result→ play NAME -2000 + SetBufferLength
 * media: count video/audio frames (sequence headers not counted), first keyframe time from
 *        sending play, delivery lag = arrival − the publisher's write time of that timestamp
 * ```
 *
 * Replies with Acknowledgement once per window and answers pings; commands are decoded only
 * until play starts. The arrival time is taken once per socket read.
 * @module
 */

import { parseAudioTag } from "../src/media/audio_tag.ts";
import { parseVideoTag } from "../src/media/video_tag.ts";
import { createJsParser } from "../src/parser/js_parser.ts";
import type { MessageRecord } from "../src/parser/types.ts";
import type { AmfValue } from "../src/rtmp/amf_value.ts";
import { ChunkWriter, type OutgoingMessage } from "../src/rtmp/chunk_writer.ts";
import { type Command, decodeCommand, encodeCommand } from "../src/rtmp/commands.ts";
import { createC0C1, createC2, S0S1S2_SIZE } from "../src/rtmp/handshake.ts";
import {
  decodeUserControl,
  decodeWindowAckSize,
  encodeU32Message,
  encodeUserControl,
  MessageType,
  UserControlEvent,
} from "../src/rtmp/messages.ts";
import type { LagHistogram } from "./lag_histogram.ts";
import type { SendLog, Track } from "./load_send_log.ts";

/** Where a player plays and what it measures against. */
export interface PlayerTarget {
  readonly host: string;
  readonly port: number;
  readonly app: string;
  readonly tcUrl: string;
  readonly stream: string;
  /** The publisher's send log when it runs in this process, else null (no lag). */
  readonly log: SendLog | null;
  /** Shared histogram the player adds its delivery lags to. */
  readonly lag: LagHistogram;
}

const BUFFER_MS = 3000;
const COMMAND_CSID = 3;
const PLAY_CSID = 8;

/** A playing RTMP client and its counters. */
export class LoadPlayer {
  /** Video frames received (sequence headers not counted). */
  video = 0;
  /** Audio frames received. */
  audio = 0;
  /** Bytes read from the socket, handshake included. */
  bytes = 0;
  /** performance.now() when play was sent; NaN before. */
  playAtMs = NaN;
  /** From sending play to the first video keyframe, ms; null before it. */
  firstKeyMs: number | null = null;
  /** Timestamps of the first and last frame received per track (NaN before). */
  readonly firstTs = [NaN, NaN];
  readonly lastTs = [NaN, NaN];
  /** Frames whose timestamp the publisher's log does not hold. */
  unmatched = 0;
  /** performance.now() of the last read. */
  lastReadMs = 0;
  /** The onStatus code play got, once it got one. */
  status: string | null = null;
  /** First error; the player stops at it. */
  error: string | null = null;
  readonly #t: PlayerTarget;
  #conn: Deno.Conn | null = null;
  #writer = new ChunkWriter();
  #parser = createJsParser();
  #writing: Promise<void> = Promise.resolve();
  #reading: Promise<void> = Promise.resolve();
  #streamId = 0;
  #ackWindow = 0;
  #acked = 0;
  #now = 0;
  #started: (() => void) | null = null;
  #closed = false;
  readonly #onMessage = (rec: MessageRecord, body: Uint8Array) => this.#message(rec, body);

  /** Creates a player for `target`; nothing happens until {@linkcode start}. */
  constructor(target: PlayerTarget) {
    this.#t = target;
  }

  /** Connects and plays; resolves once play got its onStatus or media, rejects on failure. */
  async start(timeoutMs: number): Promise<void> {
    const t = this.#t;
    const conn = await Deno.connect({ hostname: t.host, port: t.port });
    this.#conn = conn;
    conn.setNoDelay(true);
    await writeAll(conn, createC0C1({ epochMs: 0, random: (b) => crypto.getRandomValues(b) }));
    const s0s1s2 = new Uint8Array(S0S1S2_SIZE);
    for (let have = 0; have < s0s1s2.length;) {
      const n = await conn.read(s0s1s2.subarray(have));
      if (n === null) throw new Error("Server closed the connection during the handshake");
      have += n;
    }
    this.bytes += S0S1S2_SIZE;
    await writeAll(conn, createC2(s0s1s2));
    const started = new Promise<void>((resolve) => this.#started = resolve);
    this.#reading = this.#readLoop(conn);
    this.#command({
      name: "connect",
      transactionId: 1,
      commandObject: new Map<string, AmfValue>([
        ["app", t.app],
        ["flashVer", "LNX 9,0,124,2"],
        ["tcUrl", t.tcUrl],
        ["fpad", false],
        ["capabilities", 15],
        ["audioCodecs", 4071],
        ["videoCodecs", 252],
        ["videoFunction", 1],
      ]),
      args: [],
    }, 0);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`No play start within ${timeoutMs} ms`)), timeoutMs)
    );
    try {
      await Promise.race([started, late, this.#reading.then(() => this.#closedEarly())]);
    } finally {
      clearTimeout(timer);
    }
    if (this.error !== null) throw new Error(this.error);
  }

  #closedEarly(): void {
    if (this.status === null && this.video + this.audio === 0) {
      this.error ??= "Connection closed before play started";
    }
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    const parser = this.#parser;
    try {
      for (;;) {
        const n = await conn.read(parser.writable());
        if (n === null) break;
        this.#now = this.lastReadMs = performance.now();
        this.bytes += n;
        parser.commit(n);
        parser.drain(this.#onMessage);
        if (this.#ackWindow > 0 && this.bytes - this.#acked >= this.#ackWindow) {
          this.#acked = this.bytes;
          this.#send(MessageType.Acknowledgement, 2, 0, encodeU32Message(this.bytes));
        }
      }
    } catch (e) {
      if (!this.#closed) this.error ??= e instanceof Error ? e.message : String(e);
    } finally {
      this.#closed = true;
      this.#started?.();
    }
  }

  #message(rec: MessageRecord, body: Uint8Array): void {
    const type = rec.type;
    if (type === MessageType.Video) {
      if (body.length === 0) return;
      const tag = parseVideoTag(body);
      if (tag.kind !== "frame") return;
      this.video++;
      if (tag.keyframe && this.firstKeyMs === null) this.firstKeyMs = this.#now - this.playAtMs;
      this.#frame(0, rec.timestamp);
    } else if (type === MessageType.Audio) {
      if (body.length === 0 || parseAudioTag(body).kind !== "frame") return;
      this.audio++;
      this.#frame(1, rec.timestamp);
    } else if (type === MessageType.CommandAmf0) {
      this.#reply(decodeCommand(body, 20));
    } else if (type === MessageType.WindowAckSize) {
      this.#ackWindow = decodeWindowAckSize(body);
    } else if (type === MessageType.UserControl) {
      const uc = decodeUserControl(body);
      if (uc.event === UserControlEvent.PingRequest) {
        const pong = encodeUserControl({ event: UserControlEvent.PingResponse, value: uc.value });
        this.#send(MessageType.UserControl, 2, 0, pong);
      }
    }
  }

  #frame(track: Track, ts: number): void {
    if (Number.isNaN(this.firstTs[track]!)) {
      this.firstTs[track] = ts;
      this.#started?.();
      this.#started = null;
    }
    this.lastTs[track] = ts;
    const log = this.#t.log;
    if (log === null) return;
    const sent = log.sendTime(track, ts);
    if (Number.isNaN(sent)) this.unmatched++;
    // Frames written before play (a GOP cache's) are not delivery lag.
    else if (sent >= this.playAtMs) this.#t.lag.add(this.#now - sent);
  }

  #reply(cmd: Command): void {
    if (cmd.name === "_result" && cmd.transactionId === 1) {
      this.#command({ name: "createStream", transactionId: 2, commandObject: null, args: [] }, 0);
    } else if (cmd.name === "_result" && cmd.transactionId === 2) {
      const id = cmd.args[0];
      this.#streamId = typeof id === "number" ? id : 1;
      this.playAtMs = performance.now();
      this.#command(
        {
          name: "play",
          transactionId: 4,
          commandObject: null,
          args: [this.#t.stream, -2000],
        },
        this.#streamId,
        PLAY_CSID,
      );
      const buffer = encodeUserControl({
        event: UserControlEvent.SetBufferLength,
        value: this.#streamId,
        extra: BUFFER_MS,
      });
      this.#send(MessageType.UserControl, 2, 0, buffer);
    } else if (cmd.name === "_error") {
      const what = ["connect", "createStream", "", "play"][cmd.transactionId - 1] || "command";
      this.error ??= `${what} refused: ${describe(cmd.args[0])}`;
      this.#started?.();
    } else if (cmd.name === "onStatus") {
      const code = describe(cmd.args[0]);
      if (this.status === null || code.startsWith("NetStream.Play.Start")) this.status = code;
      if (/Failed|StreamNotFound|BadName|Rejected/.test(code)) this.error ??= `Play: ${code}`;
      this.#started?.();
      this.#started = null;
    }
  }

  #command(cmd: Command, streamId: number, csid = COMMAND_CSID): void {
    this.#send(MessageType.CommandAmf0, csid, streamId, encodeCommand(cmd));
  }

  #send(type: number, csid: number, streamId: number, body: Uint8Array): void {
    const msg: OutgoingMessage = { type, csid, streamId, timestamp: 0, body };
    const bytes = this.#writer.encode(msg);
    const conn = this.#conn!;
    this.#writing = this.#writing.then(() => writeAll(conn, bytes)).catch((e) => {
      if (!this.#closed) this.error ??= e instanceof Error ? e.message : String(e);
    });
  }

  /** Whether the server has closed the connection (or it failed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection; resolves once reading has stopped. */
  async close(): Promise<void> {
    const already = this.#closed;
    this.#closed = true;
    if (!already) {
      try {
        this.#conn?.close();
      } catch { /* closed */ }
    }
    await this.#reading;
    await this.#writing;
    if (already) {
      try {
        this.#conn?.close();
      } catch { /* closed */ }
    }
    this.#parser[Symbol.dispose]();
  }
}

function describe(v: AmfValue | undefined): string {
  if (v instanceof Map) return String(v.get("code") ?? v.get("description") ?? "?");
  return String(v);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let o = 0;
  while (o < bytes.length) o += await conn.write(bytes.subarray(o));
}
