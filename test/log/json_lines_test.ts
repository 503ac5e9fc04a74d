import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { jsonLinesFormatter } from "../../src/log/json_lines.ts";

function record(rawMessage: string, properties: Record<string, unknown>): LogRecord {
  // LogTape's message: text and values alternating, text at even places.
  const message: unknown[] = [];
  let last = 0;
  for (const m of rawMessage.matchAll(/\{(\w+)\}/g)) {
    message.push(rawMessage.slice(last, m.index), properties[m[1]!]);
    last = m.index + m[0].length;
  }
  message.push(rawMessage.slice(last));
  return {
    category: ["rtmp-edge"],
    level: "warning",
    message,
    rawMessage,
    timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
    properties,
  };
}

Deno.test("jsonLinesFormatter() maps the log calls' names to the stable fields", () => {
  const line = jsonLinesFormatter()(
    record("Refused {remote}: {why}", { remote: "10.0.0.1:5000", why: "too many" }),
  );
  assert.ok(line.endsWith("\n"));
  assert.deepEqual(JSON.parse(line), {
    time: "2026-01-02T03:04:05.006Z",
    level: "warning",
    msg: "Refused 10.0.0.1:5000: too many",
    sessionId: null,
    app: null,
    name: null,
    remoteAddr: "10.0.0.1:5000",
    reason: "too many",
    category: "rtmp-edge",
    data: {},
  });
});

Deno.test("jsonLinesFormatter() splits key into app and name and keeps other values in data", () => {
  const line = jsonLinesFormatter()(
    record("Session {id} unpublished {key} ({reason}): {video} video frames", {
      id: "abc123def456",
      key: "live/cam/1",
      reason: "client closed",
      video: 30,
    }),
  );
  const parsed = JSON.parse(line);
  assert.equal(
    parsed.msg,
    "Session abc123def456 unpublished live/cam/1 (client closed): 30 video frames",
  );
  assert.equal(parsed.sessionId, "abc123def456");
  assert.deepEqual([parsed.app, parsed.name], ["live", "cam/1"]);
  assert.equal(parsed.reason, "client closed");
  assert.deepEqual(parsed.data, { key: "live/cam/1", video: 30 });
});

Deno.test("jsonLinesFormatter() writes an error value as its message, one line", () => {
  const error = new Error("disk full\nsecond line");
  const line = jsonLinesFormatter()(record("Recording failed: {error}", { error }));
  assert.equal(line.split("\n").length, 2);
  const parsed = JSON.parse(line);
  assert.equal(parsed.msg, "Recording failed: disk full\nsecond line");
  assert.equal(typeof parsed.data.error, "object");
});
