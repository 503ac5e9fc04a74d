/**
 * One client connection: socket → handshake → chunk parser → dispatch, until the peer
 * leaves, breaks the protocol or is dropped. Only this connection is affected by its errors.
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Clock } from "../clock.ts";
import { RtmpError } from "../errors.ts";
import type { ChunkParser } from "../parser/types.ts";
import type { RecordingFactory } from "../record/recording.ts";
import { C0C1_SIZE, C2_SIZE, checkVersion, createS0S1S2 } from "../rtmp/handshake.ts";
import {
  decodeUserControl,
  decodeWindowAckSize,
  encodeU32Message,
  encodeUserControl,
  MessageType,
  UserControlEvent,
} from "../rtmp/messages.ts";
import { CommandFlow } from "./command_flow.ts";
import { createDispatch } from "./dispatch.ts";
import { Outbox } from "./outbox.ts";
import type { SessionRegistry } from "./registry.ts";
import type { StreamHub } from "./stream_hub.ts";

/** The socket a connection needs (`Deno.Conn` fits; tests pass an in-memory pair). */
export interface RtmpConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

/** What every connection shares, built once in main.ts. */
export interface ConnectionDeps {
  readonly registry: SessionRegistry;
  readonly hub: StreamHub;
  readonly recordings: RecordingFactory;
  /** Makes this connection's chunk parser. */
  readonly makeParser: () => ChunkParser;
  readonly clock: Clock;
  readonly log: Logger;
  /** Handshake timeout in ms (default 10 000). */
  readonly handshakeTimeoutMs?: number;
}

/** Serves one connection until it ends; never throws. */
export async function serveConnection(
  conn: RtmpConn,
  remoteAddr: string,
  deps: ConnectionDeps,
): Promise<void> {
  const { registry, clock, log } = deps;
  let reason: string | null = null;
  let closed = false;
  const close = (why: string) => {
    reason ??= why;
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  let flow: CommandFlow | null = null;
  const parser = deps.makeParser();
  const session = registry.open({ remoteAddr, parser: parser.kind, drop: close });
  try {
    const outbox = new Outbox(conn, {
      onError: (e) => close(`Write failed: ${e.message}`),
    });
    flow = new CommandFlow({
      session,
      outbox,
      hub: deps.hub,
      recordings: deps.recordings,
      clock,
      log,
    });
    await handshake(conn, outbox, clock, deps.handshakeTimeoutMs ?? 10_000);
    session.update({ state: "connected" });
    const f = flow;
    let bytesIn = 0;
    let ackWindow = 0;
    let ackedAt = 0;
    const onMessage = createDispatch({
      control(rec, body) {
        if (rec.type === MessageType.WindowAckSize) ackWindow = decodeWindowAckSize(body);
        else if (rec.type === MessageType.UserControl) {
          const uc = decodeUserControl(body);
          if (uc.event === UserControlEvent.PingRequest) {
            outbox.send({
              type: MessageType.UserControl,
              csid: 2,
              streamId: 0,
              timestamp: 0,
              body: encodeUserControl({ event: UserControlEvent.PingResponse, value: uc.value }),
            });
          }
        }
      },
      command: (cmd, rec) => f.command(cmd, rec),
      data: (values, rec) => f.data(values, rec),
      media: (rec, body) => f.media(rec, body),
      other(rec) {
        log.debug("Session {id} ignored a message of type {type}", {
          id: session.id,
          type: rec.type,
        });
      },
    });
    for (;;) {
      const n = await conn.read(parser.writable());
      if (n === null) break;
      parser.commit(n);
      bytesIn += n;
      session.addBytesIn(n);
      if (ackWindow > 0 && bytesIn - ackedAt >= ackWindow) {
        ackedAt = bytesIn;
        outbox.send({
          type: MessageType.Acknowledgement,
          csid: 2,
          streamId: 0,
          timestamp: 0,
          body: encodeU32Message(bytesIn % 0x100000000),
        });
      }
      parser.drain(onMessage);
    }
    reason ??= "Client closed the connection";
  } catch (e) {
    if (closed) {
      // Our own close() ended the read; the reason is already set.
    } else if (e instanceof RtmpError) {
      reason = `${e.name}: ${e.message}`;
    } else if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe) {
      reason = "Connection reset by peer";
    } else {
      reason = `Internal error: ${e instanceof Error ? e.message : String(e)}`;
      log.error("Session {id} failed: {error}", { id: session.id, error: e });
    }
  } finally {
    const why = reason ?? "Closed";
    try {
      flow?.close(why);
    } catch (e) {
      log.error("Session {id} could not finalize its recording: {error}", {
        id: session.id,
        error: e,
      });
    }
    close(why);
    parser[Symbol.dispose]();
    session.close(why);
    const info = session.info;
    log.info(
      "Session {id} closed ({reason}): {bytes} bytes in, {video} video frames, {audio} audio frames",
      {
        id: session.id,
        reason: why,
        bytes: info.bytesIn,
        video: info.video.frames,
        audio: info.audio.frames,
      },
    );
  }
}

/** Reads C0C1, answers S0S1S2, reads C2; throws HandshakeError on a bad version. */
async function handshake(
  conn: RtmpConn,
  outbox: Outbox,
  clock: Clock,
  timeoutMs: number,
): Promise<void> {
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    const c0c1 = await readExactly(conn, C0C1_SIZE, (first) => checkVersion(first));
    outbox.sendRaw(createS0S1S2(c0c1, {
      epochMs: clock.now(),
      random: (b) => crypto.getRandomValues(b),
    }));
    await readExactly(conn, C2_SIZE);
  } catch (e) {
    if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
      throw new RtmpError(`Handshake did not finish within ${timeoutMs} ms`);
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function readExactly(
  conn: RtmpConn,
  size: number,
  onFirst?: (byte: number) => void,
): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let have = 0;
  while (have < size) {
    const n = await conn.read(buf.subarray(have));
    if (n === null) {
      throw new RtmpError(`Connection closed during the handshake after ${have} bytes`);
    }
    if (have === 0 && n > 0) onFirst?.(buf[0]!);
    have += n;
  }
  return buf;
}
