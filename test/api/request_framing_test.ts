import assert from "node:assert/strict";
import { MAX_HEAD_BYTES, RequestFraming } from "../../src/api/request_framing.ts";

const enc = new TextEncoder();

/** Feeds `text` whole and one byte at a time; both must agree. Gives the error and end state. */
function follow(text: string) {
  const results = [[enc.encode(text)], [...enc.encode(text)].map((b) => Uint8Array.of(b))].map(
    (parts) => {
      const f = new RequestFraming();
      let error = null;
      for (const p of parts) {
        error = f.feed(p);
        if (error !== null) break;
      }
      return { error, inHead: f.inHead, started: f.started };
    },
  );
  assert.deepEqual(results[0], results[1], "a whole feed and one byte at a time agree");
  return results[0]!;
}

const TABLE: {
  name: string;
  text: string;
  want: { error: string | null; inHead: boolean; started: number };
}[] = [
  { name: "nothing yet", text: "", want: { error: null, inHead: true, started: 1 } },
  {
    name: "partial head",
    text: "GET / HTTP/1.1\r\nHo",
    want: { error: null, inHead: true, started: 1 },
  },
  { name: "GET", text: "GET / HTTP/1.1\r\n\r\n", want: { error: null, inHead: false, started: 1 } },
  {
    name: "bare LF",
    text: "GET / HTTP/1.1\nHost: x\n\n",
    want: { error: null, inHead: false, started: 1 },
  },
  {
    name: "two GETs, a third begun",
    text: "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nG",
    want: { error: null, inHead: true, started: 3 },
  },
  {
    name: "Content-Length body holding CRLFs",
    text: "POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\n\r\n\r\n\r\nGET",
    want: { error: null, inHead: true, started: 2 },
  },
  {
    name: "chunked with extension and trailer",
    text: "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n" +
      "a;x=y\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
    want: { error: null, inHead: false, started: 1 },
  },
  {
    name: "upgrade: the rest is opaque",
    text: "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nzz\r\n\r\n",
    want: { error: null, inHead: false, started: 1 },
  },
  {
    name: "bad chunk size",
    text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
    want: {
      error: "400 Malformed chunked body: bad chunk-size line '-1'",
      inHead: false,
      started: 1,
    },
  },
  {
    name: "chunk data overrun",
    text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
    want: {
      error: "400 Malformed chunked body: chunk data longer than its size",
      inHead: false,
      started: 1,
    },
  },
  {
    name: "both lengths",
    text: "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
    want: { error: "400 Both Transfer-Encoding and Content-Length", inHead: true, started: 1 },
  },
  {
    name: "conflicting lengths",
    text: "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    want: { error: "400 Conflicting Content-Length headers", inHead: true, started: 1 },
  },
  {
    name: "chunked not last",
    text: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    want: { error: "400 Transfer-Encoding must end in chunked", inHead: true, started: 1 },
  },
  {
    name: "bad length",
    text: "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    want: { error: '400 Bad Content-Length "-5"', inHead: true, started: 1 },
  },
];

Deno.test("RequestFraming follows request boundaries and refuses bad framing, however split", () => {
  for (const { name, text, want } of TABLE) {
    const got = follow(text);
    const error = got.error === null ? null : `${got.error.status} ${got.error.message}`;
    assert.deepEqual({ ...got, error }, want, name);
  }
});

Deno.test("RequestFraming refuses a head longer than MAX_HEAD_BYTES with 431", () => {
  const f = new RequestFraming();
  assert.equal(f.feed(enc.encode("GET / HTTP/1.1\r\n")), null);
  const error = f.feed(enc.encode(`X: ${"a".repeat(MAX_HEAD_BYTES)}`));
  assert.equal(error?.status, 431);
});
