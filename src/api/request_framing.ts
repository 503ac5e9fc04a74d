/**
 * Where HTTP/1.1 requests begin and end in a client's byte stream, without buffering them:
 * enough for the HTTP front (`http_listener.ts`) to time request headers and to refuse
 * malformed bodies.
 * @module
 */

/** Why a request stream cannot be framed: the HTTP status and message to answer with. */
export interface FramingError {
  readonly status: 400 | 431;
  readonly message: string;
}

/** Longest request head (request line and headers) accepted. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 4096;
const LF = 0x0a;
const CR = 0x0d;

type State =
  | "idle" //        between requests: nothing of the next one seen yet
  | "head" //        request line and headers, up to the empty line
  | "body" //        `#remaining` bytes of a Content-Length body
  | "size" //        a chunk-size line
  | "data" //        `#remaining` bytes of chunk data
  | "data-end" //    the CRLF after chunk data
  | "trailer" //     trailer lines, up to the empty line
  | "opaque"; //     after an Upgrade or CONNECT: bytes are no longer HTTP

/**
 * Follows a client's request stream chunk by chunk. A connection starts in a request head;
 * {@linkcode RequestFraming.inHead} says whether request headers are still arriving, and
 * {@linkcode RequestFraming.started} counts request heads begun.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestFraming } from "./request_framing.ts";
 *
 * const f = new RequestFraming();
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * assert.equal(f.feed(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n")), null);
 * assert.equal(f.inHead, true);
 * assert.equal(f.feed(bytes("\r\n3\r\nabc\r\n0\r\n\r\n")), null);
 * assert.equal(f.inHead, false);
 * assert.deepEqual(f.feed(bytes("GET / HTTP/1.1\r\n\r\n")), null);
 * assert.equal(f.started, 2);
 * ```
 */
export class RequestFraming {
  #state: State = "head";
  #line: number[] = [];
  #head: string[] = [];
  #headBytes = 0;
  #remaining = 0;
  #started = 1;

  /** Whether the current request's head is still arriving (the header timer runs). */
  get inHead(): boolean {
    return this.#state === "head";
  }

  /** How many request heads have begun, the first counted from the start. */
  get started(): number {
    return this.#started;
  }

  /** Follows `bytes`; gives why the stream is not valid HTTP/1.1 framing, or null. */
  feed(bytes: Uint8Array): FramingError | null {
    let i = 0;
    while (i < bytes.length) {
      const s = this.#state;
      if (s === "opaque") return null;
      if (s === "idle") {
        this.#state = "head";
        this.#started++;
        continue;
      }
      if (s === "body" || s === "data") {
        const n = Math.min(this.#remaining, bytes.length - i);
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = s === "body" ? "idle" : "data-end";
        continue;
      }
      const b = bytes[i++]!;
      if (s === "head" && ++this.#headBytes > MAX_HEAD_BYTES) {
        return { status: 431, message: `Request headers exceed ${MAX_HEAD_BYTES} bytes` };
      }
      if (b !== LF) {
        if (this.#line.length >= MAX_LINE_BYTES && s !== "head") {
          return malformed(`a line longer than ${MAX_LINE_BYTES} bytes`);
        }
        this.#line.push(b);
        continue;
      }
      if (this.#line.at(-1) === CR) this.#line.pop();
      const line = String.fromCharCode(...this.#line);
      this.#line = [];
      const error = this.#onLine(line);
      if (error !== null) return error;
    }
    return null;
  }

  #onLine(line: string): FramingError | null {
    switch (this.#state) {
      case "head":
        if (line !== "") {
          this.#head.push(line);
          return null;
        }
        if (this.#head.length === 0) return null; // a stray CRLF before a request is allowed
        return this.#endHead();
      case "size": {
        const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (m === null) {
          return malformed(`bad chunk-size line '${line.slice(0, 40)}'`);
        }
        this.#remaining = parseInt(m[1]!, 16);
        this.#state = this.#remaining === 0 ? "trailer" : "data";
        return null;
      }
      case "data-end":
        if (line !== "") return malformed("chunk data longer than its size");
        this.#state = "size";
        return null;
      case "trailer":
        if (line === "") this.#state = "idle";
        return null;
      default:
        return null;
    }
  }

  /** Decides how the body is framed from the head just ended. */
  #endHead(): FramingError | null {
    const [requestLine = "", ...fields] = this.#head;
    this.#head = [];
    this.#headBytes = 0;
    const values = (name: string) =>
      fields.filter((f) => f.slice(0, name.length + 1).toLowerCase() === `${name}:`)
        .map((f) => f.slice(name.length + 1).trim());
    const te = values("transfer-encoding");
    const cl = values("content-length");
    if (requestLine.startsWith("CONNECT ") || values("upgrade").length > 0) {
      this.#state = "opaque";
      return null;
    }
    if (te.length > 0) {
      if (cl.length > 0) return bad("Both Transfer-Encoding and Content-Length");
      const codings = te.join(",").split(",").map((c) => c.trim().toLowerCase());
      if (codings.at(-1) !== "chunked") return bad("Transfer-Encoding must end in chunked");
      this.#state = "size";
      return null;
    }
    const lengths = new Set(cl.flatMap((v) => v.split(",")).map((v) => v.trim()));
    if (lengths.size > 1) return bad("Conflicting Content-Length headers");
    const [length] = lengths;
    if (length === undefined) {
      this.#state = "idle";
      return null;
    }
    if (!/^\d{1,15}$/.test(length)) return bad(`Bad Content-Length ${JSON.stringify(length)}`);
    this.#remaining = Number(length);
    this.#state = this.#remaining === 0 ? "idle" : "body";
    return null;
  }
}

function malformed(what: string): FramingError {
  return { status: 400, message: `Malformed chunked body: ${what}` };
}

function bad(message: string): FramingError {
  return { status: 400, message };
}
