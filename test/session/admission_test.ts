import assert from "node:assert/strict";
import { Admission, isLoopback } from "../../src/session/admission.ts";

Deno.test("Admission refuses past the per-address limit and counts releases", () => {
  const a = new Admission({ maxConnections: 100, maxConnectionsPerIp: 2 });
  assert.equal(a.admit("203.0.113.5"), null);
  assert.equal(a.admit("203.0.113.5"), null);
  assert.match(
    a.admit("203.0.113.5")!,
    /^Limit max-connections-per-ip: 2 connections from 203\.0\.113\.5/,
  );
  assert.equal(a.admit("198.51.100.7"), null);
  a.release("203.0.113.5");
  assert.equal(a.admit("203.0.113.5"), null);
  assert.equal(a.open, 3);
});

Deno.test("Admission does not count loopback peers per address but does in total", () => {
  const a = new Admission({ maxConnections: 5, maxConnectionsPerIp: 1 });
  for (let i = 0; i < 5; i++) assert.equal(a.admit("127.0.0.1"), null);
  assert.match(a.admit("127.0.0.1")!, /^Limit max-connections: 5 connections are open/);
  assert.ok(isLoopback("::1") && isLoopback("127.1.2.3") && !isLoopback("10.0.0.1"));
});
