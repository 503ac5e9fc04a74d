/**
 * A raw RTMP client for hostile-input tests: a `Deno.Conn` with the byte helpers
 * (handshake, chunk writer, commands) and a reader that notes every command the server
 * sends and whether it closed the socket. Nothing is validated on the way out.
 * @module
 */

import { createJsParser } from "../../src/parser/js_parser.ts";
import type { MessageRecord } from "../../src/parser/types.ts";
import type { AmfValue } from "../../src/rtmp/amf_value.ts";
import {
  ChunkWriter,
  type ChunkWriterOptions,
  type OutgoingMessage,
} from "../../src/rtmp/chunk_writer.ts";
import { type Command, decodeCommand, encodeCommand } from "../../src/rtmp/commands.ts";
import { createC0C1, createC2, S0S1S2_SIZE } from "../../src/rtmp/handshake.ts";
import { encodeU32Message, MessageType } from "../../src/rtmp/messages.ts";

/** How much a raw client reads: everything, only S0S1S2, or nothing at all. */
export type ReadMode = "all" | "handshake" | "none";

/** Options for {@linkcode RawClient.open}. */
export interface RawClientOptions {
  /** Default "all". A client that never reads past the handshake uses "handshake". */
  readonly read?: ReadMode;
  /** How the chunk writer behaves (e.g. not repeating extended timestamps). */
  readonly writer?: ChunkWriterOptions;
  /** Keep a copy of every audio and video message received (default false). */
  readonly keepMedia?: boolean;
}

/** Options for {@linkcode RawClient.startPublish}. */
export interface StartPublishOptions {
  /** Default "live". */
  readonly app?: string;
  /** Chunk size announced before connect (default 4096). */
  readonly chunkSize?: number;
}

/** Reply waits give up after this long unless told otherwise. */
export const REPLY_TIMEOUT_MS = 5_000;
/** Chunk stream of commands, as FFmpeg uses. */
export const CSID_COMMAND = 3;

/** One raw TCP connection to the server under test. */
export class RawClient {
  /** Local port: the server's registry knows the session as `127.0.0.1:<port>`. */
  readonly port: number;
  /** Chunk writer with this connection's header history. */
  readonly writer: ChunkWriter;
  /** Coded frames sent, as the server should count them. */
  readonly sent: { video: number; audio: number } = { video: 0, audio: 0 };
  /** Every command the server sent, in order. */
  readonly commands: Command[] = [];
  /** Whether this client reads everything the server sends (and so notices a close). */
  readonly readsAll: boolean;
  /** Audio and video messages received (a player's media). */
  readonly received: { video: number; audio: number } = { video: 0, audio: 0 };
  /** The audio and video messages received, when opened with `keepMedia`. */
  readonly media: { type: number; timestamp: number; body: Uint8Array }[] = [];
  /** Message stream id from the last createStream `_result`. */
  streamId = 0;
  #conn: Deno.Conn;
  #hs = new Uint8Array(S0S1S2_SIZE);
  #hsLen = 0;
  #parser = createJsParser({ maxChunkStreams: 255, maxPartialBytes: 64 << 20 });
  #reading: Promise<void>;
  #readDone = false;
  #serverClosed = false;
  #closedByUs = false;
  #waiters = new Set<() => void>();
  #keepMedia: boolean;

  private constructor(conn: Deno.Conn, options: RawClientOptions) {
    const read = options.read ?? "all";
    this.#conn = conn;
    this.writer = new ChunkWriter(options.writer);
    this.port = (conn.localAddr as Deno.NetAddr).port;
    this.readsAll = read === "all";
    this.#keepMedia = options.keepMedia ?? false;
    this.#reading = read === "none" ? Promise.resolve() : this.#readLoop(read);
  }

  /** Connects to 127.0.0.1:`port`. */
  static async open(port: number, options: RawClientOptions = {}): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new RawClient(conn, options);
  }

  /** Whether the server closed (or reset) the connection, as seen by reading. */
  get closed(): boolean {
    return this.#serverClosed;
  }

  /** Writes all of `bytes`; false when the socket is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      for (let o = 0; o < bytes.length;) o += await this.#conn.write(bytes.subarray(o));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends C0C1 and waits for S0S1S2; throws if it does not come. */
  async handshakeStart(): Promise<Uint8Array> {
    await this.write(createC0C1({ epochMs: 0, random: (b) => crypto.getRandomValues(b) }));
    const ok = await this.until(() => this.#hsLen === S0S1S2_SIZE, REPLY_TIMEOUT_MS);
    if (!ok) throw new Error(`No S0S1S2 within ${REPLY_TIMEOUT_MS} ms: got ${this.#hsLen} bytes`);
    return this.#hs;
  }

  /** The whole simple handshake: C0C1, S0S1S2, C2. */
  async handshake(): Promise<void> {
    await this.write(createC2(await this.handshakeStart()));
  }

  /** Encodes `msg` with this connection's writer and sends it. */
  send(msg: OutgoingMessage): Promise<boolean> {
    return this.write(this.writer.encode(msg));
  }

  /** Sends a protocol control message (csid 2, stream 0). */
  control(type: number, body: Uint8Array): Promise<boolean> {
    return this.send({ type, csid: 2, streamId: 0, timestamp: 0, body });
  }

  /** Sends Set Chunk Size and writes at `size` from then on. */
  async setChunkSize(size: number): Promise<boolean> {
    const ok = await this.control(MessageType.SetChunkSize, encodeU32Message(size));
    this.writer.chunkSize = size;
    return ok;
  }

  /** Sends an AMF0 command on the command chunk stream. */
  command(cmd: Command, streamId = 0): Promise<boolean> {
    return this.sendCommandBody(encodeCommand(cmd), streamId);
  }

  /** Sends a hand-built command body as a type-20 message. */
  sendCommandBody(body: Uint8Array, streamId = 0): Promise<boolean> {
    return this.send({
      type: MessageType.CommandAmf0,
      csid: CSID_COMMAND,
      streamId,
      timestamp: 0,
      body,
    });
  }

  /** Sends `connect` for `app` and waits for its `_result` (or `_error`). */
  async connect(app = "live", extra: readonly [string, AmfValue][] = []): Promise<Command> {
    const obj = new Map<string, AmfValue>([
      ["app", app],
      ["type", "nonprivate"],
      ["flashVer", "FMLE/3.0 (compatible; hostile)"],
      ["tcUrl", `rtmp://127.0.0.1/${app}`],
      ...extra,
    ]);
    await this.command({ name: "connect", transactionId: 1, commandObject: obj, args: [] });
    return this.reply(1, "connect");
  }

  /** Sends `createStream` and waits for the stream id. */
  async createStream(transactionId = 2): Promise<number> {
    await this.command({ name: "createStream", transactionId, commandObject: null, args: [] });
    const r = await this.reply(transactionId, "createStream");
    const id = r.args[0];
    if (r.name !== "_result" || typeof id !== "number") {
      throw new Error(`createStream got ${r.name} ${String(id)}`);
    }
    this.streamId = id;
    return id;
  }

  /** Sends `publish` with `name` (any AMF value) and returns the onStatus code it gets. */
  async publish(name: AmfValue, streamId = this.streamId): Promise<string> {
    const before = this.statusCodes().length;
    await this.command({
      name: "publish",
      transactionId: 0,
      commandObject: null,
      args: [name, "live"],
    }, streamId);
    const ok = await this.until(() => this.statusCodes().length > before, REPLY_TIMEOUT_MS);
    if (!ok) throw new Error(`No onStatus for publish within ${REPLY_TIMEOUT_MS} ms`);
    return this.statusCodes()[before]!;
  }

  /**
   * Sends `play` with `name` (any AMF value) as FFmpeg does (start -2000) and returns the
   * first onStatus code it gets after `Play.Reset`, waiting up to `ms`.
   */
  async play(name: AmfValue, streamId = this.streamId, ms = REPLY_TIMEOUT_MS): Promise<string> {
    const before = this.statusCodes().length;
    await this.command({
      name: "play",
      transactionId: 4,
      commandObject: null,
      args: [name, -2000],
    }, streamId);
    const code = () => this.statusCodes().slice(before).find((c) => c !== "NetStream.Play.Reset");
    const ok = await this.until(() => code() !== undefined, ms);
    if (!ok) throw new Error(`No onStatus for play within ${ms} ms`);
    return code()!;
  }

  /** Handshake, SetChunkSize, connect, createStream, publish; throws unless Publish.Start. */
  async startPublish(name: string, options: StartPublishOptions = {}): Promise<void> {
    await this.handshake();
    await this.setChunkSize(options.chunkSize ?? 4096);
    await this.connect(options.app ?? "live");
    await this.createStream();
    const code = await this.publish(name);
    if (code !== "NetStream.Publish.Start") throw new Error(`Publish refused: ${code}`);
  }

  /** The `code` of every onStatus received. */
  statusCodes(): string[] {
    const out: string[] = [];
    for (const c of this.commands) {
      const info = c.name === "onStatus" ? c.args[0] : undefined;
      const code = info instanceof Map ? info.get("code") : undefined;
      if (typeof code === "string") out.push(code);
    }
    return out;
  }

  /** Waits for the `_result`/`_error` of `transactionId`. */
  async reply(transactionId: number, what: string): Promise<Command> {
    const find = () =>
      this.commands.find((c) =>
        c.transactionId === transactionId && (c.name === "_result" || c.name === "_error")
      );
    await this.until(() => find() !== undefined, REPLY_TIMEOUT_MS);
    const r = find();
    if (r === undefined) {
      throw new Error(
        `No ${what} reply within ${REPLY_TIMEOUT_MS} ms${this.closed ? " (closed)" : ""}`,
      );
    }
    return r;
  }

  /** Waits until the server closes the connection; false if it has not within `ms`. */
  waitClosed(ms: number): Promise<boolean> {
    return this.until(() => this.#serverClosed, ms);
  }

  /** Waits until `cond` holds, re-checking after every read; false after `ms`. */
  async until(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0 || this.#readDone) return cond();
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#waiters.add(done);
      });
    }
    return true;
  }

  /** Ends our sending half (the server reads end of stream) while we keep reading. */
  async closeWrite(): Promise<void> {
    try {
      await (this.#conn as Deno.TcpConn).closeWrite();
    } catch { /* gone */ }
  }

  /** Closes the socket and waits for the reader to stop. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closedByUs) {
      this.#closedByUs = true;
      try {
        this.#conn.close();
      } catch { /* closed */ }
    }
    await this.#reading;
    this.#parser[Symbol.dispose]();
  }

  async #readLoop(mode: ReadMode): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const inHandshake = this.#hsLen < S0S1S2_SIZE;
        const n = await this.#conn.read(inHandshake ? this.#hs.subarray(this.#hsLen) : buf);
        if (n === null) {
          this.#serverClosed = true;
          break;
        }
        if (inHandshake) {
          this.#hsLen += n;
          if (this.#hsLen === S0S1S2_SIZE && mode === "handshake") break;
        } else {
          this.#take(buf.subarray(0, n));
        }
        this.#notify();
      }
    } catch {
      if (!this.#closedByUs) this.#serverClosed = true;
    } finally {
      this.#readDone = mode === "all" || this.#serverClosed;
      this.#notify();
    }
  }

  #take(bytes: Uint8Array): void {
    const onMessage = (rec: MessageRecord, body: Uint8Array) => {
      if (rec.type === MessageType.Video) this.received.video++;
      if (rec.type === MessageType.Audio) this.received.audio++;
      const isMedia = rec.type === MessageType.Video || rec.type === MessageType.Audio;
      if (this.#keepMedia && isMedia) {
        this.media.push({ type: rec.type, timestamp: rec.timestamp, body: body.slice() });
      }
      if (rec.type !== MessageType.CommandAmf0) return;
      try {
        this.commands.push(decodeCommand(body, 20));
      } catch { /* not ours to judge */ }
    };
    try {
      for (let o = 0, stuck = 0; o < bytes.length && stuck < 2;) {
        const n = this.#parser.push(bytes.subarray(o));
        this.#parser.drain(onMessage);
        stuck = n === 0 ? stuck + 1 : 0;
        o += n;
      }
    } catch { /* the server sent something we cannot parse; ignore the rest */ }
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}
