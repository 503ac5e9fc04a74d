/**
 * Admission: connections past `maxConnections` are turned away at accept, each with one
 * log line, while the good publisher (already admitted) goes on.
 * @module
 */

import { type HostileCase, noFfmpeg, runGroup } from "./harness.ts";

const MAX_CONNECTIONS = 8;

const CASES: readonly HostileCase[] = [
  {
    name: `a connection past ${MAX_CONNECTIONS} open ones is turned away at accept`,
    expect: { kind: "turned-away", reason: /Limit max-connections: / },
    async run(ctx) {
      // The good publisher holds one slot; handshaken idle clients take the rest.
      for (let i = 0; i < MAX_CONNECTIONS - 1; i++) await (await ctx.open()).handshake();
      await ctx.open();
    },
  },
];

Deno.test({
  name: "connections past the limit are turned away while a good publisher streams",
  ignore: noFfmpeg,
  async fn(t) {
    await runGroup(t, CASES, {
      limits: {
        handshakeTimeoutMs: 5_000,
        publishTimeoutMs: 5_000,
        idleTimeoutMs: 5_000,
        maxConnections: MAX_CONNECTIONS,
      },
      concurrency: 1,
    });
  },
});
