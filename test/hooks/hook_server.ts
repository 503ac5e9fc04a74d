/**
 * A real HTTP webhook for tests: `Deno.serve` on a free loopback port that keeps every JSON
 * body it got and answers as the test's `answer` function says (which may wait).
 * @module
 */

/** One request the hook got. */
export interface HookCall {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** Decides the answer to a request; `n` counts requests from 1. */
export type Answer = (call: HookCall, n: number) => Response | Promise<Response>;

/** A running hook server. */
export interface HookServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly calls: HookCall[];
  /** Settles every waiting answer (`wait()` resolves at once from now on). */
  release(): void;
  /** A promise waiting answers can await; released on `release()` or dispose. */
  wait(): Promise<void>;
  /** Resolves once `n` requests arrived (or rejects after `ms`). */
  until(n: number, ms?: number): Promise<void>;
}

/** Starts a hook server answering with `answer`. */
export function hookServer(answer: Answer): HookServer {
  const calls: HookCall[] = [];
  const gate = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const text = await req.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch { /* kept empty */ }
    const call = { path: new URL(req.url).pathname, body };
    calls.push(call);
    return await answer(call, calls.length);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    calls,
    release: () => gate.resolve(),
    wait: () => gate.promise,
    async until(n: number, ms = 10_000) {
      const end = Date.now() + ms;
      while (calls.length < n) {
        if (Date.now() > end) {
          throw new Error(`Hook got ${calls.length} of ${n} requests in ${ms} ms`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async [Symbol.asyncDispose]() {
      gate.resolve();
      await server.shutdown();
    },
  };
}

/** A JSON response. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
