/**
 * A small RTMP publish client of our own: for edge cases real clients cannot produce in
 * tests, for the load tool, and for relays to origins (`src/relay/`). Handshake, connect,
 * createStream, publish, then media; FCUnpublish and deleteStream to finish.
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { createJsParser } from "../parser/js_parser.ts";
import type { ChunkParser, MessageRecord } from "../parser/types.ts";
import {
  decodeEnhancedCaps,
  encodeEnhancedCaps,
  type EnhancedCaps,
} from "../rtmp/enhanced_caps.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";
import { ChunkWriter, type OutgoingMessage } from "../rtmp/chunk_writer.ts";
import { type Command, decodeCommand, encodeCommand } from "../rtmp/commands.ts";
import { createC0C1, createC2, S0S1S2_SIZE } from "../rtmp/handshake.ts";
import {
  decodeUserControl,
  encodeU32Message,
  encodeUserControl,
  MessageType,
  UserControlEvent,
} from "../rtmp/messages.ts";

/** A parsed `rtmp[s]://host:port/app/stream` URL. */
export interface RtmpUrl {
  /** Over TLS (`rtmps://`). */
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly app: string;
  readonly stream: string;
  readonly tcUrl: string;
}

/**
 * Splits an RTMP URL into host, port (1935, or 443 for `rtmps://`, by default), app and stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRtmpUrl } from "./publisher.ts";
 *
 * assert.equal(parseRtmpUrl("rtmp://127.0.0.1:1935/live/test").stream, "test");
 * assert.equal(parseRtmpUrl("rtmps://edge.example/live/test").port, 443);
 * ```
 */
export function parseRtmpUrl(url: string): RtmpUrl {
  const m = /^(rtmps?):\/\/([^/:]+)(?::(\d+))?\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new TypeError(`Not an rtmp[s]://host[:port]/app/stream URL: ${url}`);
  const tls = m[1] === "rtmps";
  const port = m[3] === undefined ? (tls ? 443 : 1935) : Number(m[3]);
  return {
    tls,
    host: m[2]!,
    port,
    app: m[4]!,
    stream: m[5]!,
    tcUrl: `${m[1]}://${m[2]}:${port}/${m[4]}`,
  };
}

/** Options for {@linkcode RtmpPublisher.connect}. */
export interface PublisherOptions {
  /** Chunk size to announce and send with (default 4096, as FFmpeg). */
  readonly chunkSize?: number;
  /** Give up on the TCP connect or a reply after this many ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Connect over TLS (default: when the URL is `rtmps://`); the certificate is verified. */
  readonly tls?: boolean;
  /** PEM CA certificates trusted besides the system's (an origin with a private CA). */
  readonly caCerts?: readonly string[];
  /**
   * Keep acknowledgements and user control messages for {@linkcode RtmpPublisher.received}
   * (default true; a long-lived relay turns it off so nothing piles up).
   */
  readonly keepControl?: boolean;
  /** Bytes sent before the handshake, in the same write: a PROXY protocol header (tests). */
  readonly preamble?: Uint8Array;
  /** Enhanced RTMP caps to announce in connect (fourCcList, info maps, capsEx); none by default. */
  readonly enhanced?: EnhancedCaps;
}

interface Received {
  readonly rec: MessageRecord;
  readonly body: Uint8Array;
  readonly cmd: Command | null;
}

/**
 * Connects over TLS and runs the handshake, verifying the server's certificate (against the
 * system's roots and `caCerts`); throws naming the server when that fails or takes over `ms`.
 */
async function connectTls(
  u: RtmpUrl,
  ms: number,
  caCerts: readonly string[] | undefined,
): Promise<Deno.TlsConn> {
  const where = `${u.host}:${u.port}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`No TLS handshake with ${where} within ${ms} ms`)),
      ms,
    );
  });
  const dialing = Deno.connectTls({
    hostname: u.host,
    port: u.port,
    ...(caCerts === undefined ? {} : { caCerts: [...caCerts] }),
  });
  let conn: Deno.TlsConn | undefined;
  try {
    conn = await Promise.race([dialing, late]);
    await Promise.race([conn.handshake(), late]);
    return conn;
  } catch (e) {
    // A connect that lands after the deadline is closed when it does.
    if (conn === undefined) dialing.then((c) => c.close(), () => {});
    else {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`TLS connection to ${where} failed: ${why}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** A publishing RTMP client connection. */
export class RtmpPublisher {
  #conn: Deno.Conn;
  #writer = new ChunkWriter();
  #parser: ChunkParser = createJsParser();
  #inbox: Received[] = [];
  #reading: Promise<void> = Promise.resolve();
  #closed = false;
  #wake: (() => void) | null = null;
  #writing: Promise<void> = Promise.resolve();
  #streamId = 0;
  #stream = "";
  #keepControl: boolean;
  #serverCaps: EnhancedCaps | null = null;

  private constructor(conn: Deno.Conn, keepControl: boolean) {
    this.#conn = conn;
    this.#keepControl = keepControl;
  }

  /** The Enhanced RTMP caps the server answered in connect's `_result`, or null (legacy). */
  get serverCaps(): EnhancedCaps | null {
    return this.#serverCaps;
  }

  /** Message stream id the server gave us. */
  get streamId(): number {
    return this.#streamId;
  }

  /** Connects, handshakes and publishes; resolves once the server says Publish.Start. */
  static async connect(url: string, options: PublisherOptions = {}): Promise<RtmpPublisher> {
    const u = parseRtmpUrl(url);
    const timeout = options.timeoutMs ?? 10_000;
    const tls = options.tls ?? u.tls;
    const conn = tls ? await connectTls(u, timeout, options.caCerts) : await Deno.connect({
      hostname: u.host,
      port: u.port,
      signal: AbortSignal.timeout(timeout),
    });
    if (!tls) (conn as Deno.TcpConn).setNoDelay(true);
    const p = new RtmpPublisher(conn, options.keepControl ?? true);
    // The handshake reads have no deadline of their own: a server that never answers is cut.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        conn.close();
      } catch { /* closed */ }
    }, timeout);
    try {
      await p.#publish(u, options);
      return p;
    } catch (e) {
      p.#closed = true;
      try {
        conn.close();
      } catch { /* closed */ }
      await p.#reading;
      if (timedOut) {
        throw new Error(`No publish reply from ${u.host}:${u.port} within ${timeout} ms`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async #publish(u: RtmpUrl, options: PublisherOptions): Promise<void> {
    const timeout = options.timeoutMs ?? 10_000;
    const c0c1 = createC0C1({ epochMs: 0, random: (b) => crypto.getRandomValues(b) });
    await this.write(options.preamble === undefined ? c0c1 : concatBytes([options.preamble, c0c1]));
    const s0s1s2 = new Uint8Array(S0S1S2_SIZE);
    for (let have = 0; have < s0s1s2.length;) {
      const n = await this.#conn.read(s0s1s2.subarray(have));
      if (n === null) throw new Error("Server closed the connection during the handshake");
      have += n;
    }
    await this.write(createC2(s0s1s2));
    this.#reading = this.#readLoop();
    const chunkSize = options.chunkSize ?? 4096;
    await this.send({
      type: MessageType.SetChunkSize,
      csid: 2,
      streamId: 0,
      timestamp: 0,
      body: encodeU32Message(chunkSize),
    });
    this.#writer.chunkSize = chunkSize;
    await this.sendCommand({
      name: "connect",
      transactionId: 1,
      commandObject: new Map<string, AmfValue>([
        ["app", u.app],
        ["type", "nonprivate"],
        ["flashVer", "FMLE/3.0 (compatible; rtmp-edge)"],
        ["tcUrl", u.tcUrl],
        ...(options.enhanced === undefined ? [] : encodeEnhancedCaps(options.enhanced)),
      ]),
      args: [],
    }, 0);
    const connected = await this.expect(
      (c) => c.name === "_result" && c.transactionId === 1,
      "connect",
      timeout,
    );
    if (connected.commandObject instanceof Map) {
      this.#serverCaps = decodeEnhancedCaps(connected.commandObject);
    }
    await this.sendCommand({
      name: "createStream",
      transactionId: 2,
      commandObject: null,
      args: [],
    }, 0);
    const created = await this.expect((c) => c.transactionId === 2, "createStream", timeout);
    const id = created.args[0];
    if (created.name !== "_result" || typeof id !== "number") {
      throw new Error(`createStream failed: ${created.name}`);
    }
    this.#streamId = id;
    this.#stream = u.stream;
    await this.sendCommand({
      name: "publish",
      transactionId: 3,
      commandObject: null,
      args: [u.stream, "live"],
    });
    const status = await this.expect((c) => c.name === "onStatus", "publish onStatus", timeout);
    const info = status.args[0];
    const code = info instanceof Map ? info.get("code") : undefined;
    if (code !== "NetStream.Publish.Start") throw new Error(`Publish refused: ${String(code)}`);
  }

  async #readLoop(): Promise<void> {
    const onMessage = (rec: MessageRecord, body: Uint8Array) => {
      const isCmd = rec.type === MessageType.CommandAmf0;
      if (rec.type === MessageType.UserControl) this.#answerPing(body);
      if (
        isCmd || (this.#keepControl &&
          (rec.type === MessageType.Acknowledgement || rec.type === MessageType.UserControl))
      ) {
        this.#inbox.push({ rec, body: body.slice(), cmd: isCmd ? decodeCommand(body, 20) : null });
      }
    };
    try {
      for (;;) {
        const n = await this.#conn.read(this.#parser.writable());
        if (n === null) break;
        this.#parser.commit(n);
        this.#parser.drain(onMessage);
        this.#wake?.();
      }
    } catch {
      /* closed */
    } finally {
      this.#closed = true;
      this.#wake?.();
    }
  }

  /** Answers a server's ping request (servers may drop clients that do not). */
  #answerPing(body: Uint8Array): void {
    let uc;
    try {
      uc = decodeUserControl(body);
    } catch {
      return;
    }
    if (uc.event !== UserControlEvent.PingRequest) return;
    const pong = encodeUserControl({ event: UserControlEvent.PingResponse, value: uc.value });
    this.send({ type: MessageType.UserControl, csid: 2, streamId: 0, timestamp: 0, body: pong })
      .catch(() => {/* the read loop sees the connection end */});
  }

  /** Sends an audio (8) or video (9) message body at `timestamp`. */
  sendMedia(type: 8 | 9, timestamp: number, body: Uint8Array): Promise<number> {
    return this.send({ type, csid: type === 8 ? 4 : 6, streamId: this.#streamId, timestamp, body });
  }

  /** Sends a command, on this publisher's stream unless `streamId` is given. */
  sendCommand(cmd: Command, streamId = this.#streamId): Promise<number> {
    return this.send({ type: 20, csid: 3, streamId, timestamp: 0, body: encodeCommand(cmd) });
  }

  /** Encodes and sends one message; resolves to the bytes written. */
  async send(msg: OutgoingMessage): Promise<number> {
    const bytes = this.#writer.encode(msg);
    await this.write(bytes);
    return bytes.length;
  }

  /** Writes raw bytes. Writes are serialized: each starts once the one before has finished. */
  write(bytes: Uint8Array): Promise<void> {
    const next = this.#writing.then(() => this.#writeAll(bytes));
    this.#writing = next.catch(() => {/* the caller of that write saw it */});
    return next;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let o = 0;
    while (o < bytes.length) o += await this.#conn.write(bytes.subarray(o));
  }

  /** Waits for a command from the server matching `match`, and takes it from the inbox. */
  async expect(match: (c: Command) => boolean, what: string, timeoutMs = 10_000): Promise<Command> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.cmd !== null && match(m.cmd));
      if (i >= 0) return this.#inbox.splice(i, 1)[0]!.cmd!;
      if (this.#closed) throw new Error(`Connection closed while waiting for ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`No ${what} reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  /** Control messages (acknowledgements, user control) and unclaimed commands received. */
  received(): readonly Received[] {
    return this.#inbox;
  }

  /** Whether the server has closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once the connection has ended (the server closed it, or it failed). */
  ended(): Promise<void> {
    return this.#reading;
  }

  /** Ends the publish as encoders do: FCUnpublish, deleteStream, then closes. */
  async unpublish(): Promise<void> {
    if (!this.#closed) {
      try {
        await this.sendCommand({
          name: "FCUnpublish",
          transactionId: 0,
          commandObject: null,
          args: [this.#stream],
        }, 0);
      } catch { /* the server may be gone */ }
    }
    await this.close();
  }

  /** Sends deleteStream (unless `abrupt`) and closes the connection. */
  async close(abrupt = false): Promise<void> {
    if (!this.#closed && !abrupt) {
      try {
        await this.sendCommand({
          name: "deleteStream",
          transactionId: 0,
          commandObject: null,
          args: [this.#streamId],
        }, 0);
      } catch { /* the server may be gone */ }
    }
    try {
      this.#conn.close();
    } catch { /* closed */ }
    await this.#reading;
    this.#parser[Symbol.dispose]();
  }
}
