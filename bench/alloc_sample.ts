/**
 * Where a running server allocates: V8's sampling heap profiler over the inspector protocol, for
 * a server started with `--inspect=127.0.0.1:PORT`. Samples every allocation site (4 KiB
 * interval, objects collected by either GC included) for `--seconds`, then prints the total rate
 * and the top sites by bytes allocated. A site is a function (its first line, 0-based, in the
 * emitted JavaScript); what V8 inlined counts for the function it was inlined into.
 *
 * ```sh
 * deno run -A --inspect=127.0.0.1:9230 src/main.ts --no-record ... &
 * deno run -A bench/alloc_sample.ts --port 9230 --seconds 8 --top 20
 * ```
 * @module
 */

import { parseArgs } from "node:util";

/** One node of the sampling heap profile. */
interface SampleNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SampleNode[];
}

/** A tiny CDP client: one request at a time, answers matched by id. */
class Inspector implements Disposable {
  #ws: WebSocket;
  #next = 0;
  #waiting = new Map<number, (result: unknown) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg: unknown = JSON.parse(String(e.data));
      if (typeof msg !== "object" || msg === null || !("id" in msg)) return;
      const resolve = this.#waiting.get(Number(msg.id));
      if (resolve === undefined) return;
      this.#waiting.delete(Number(msg.id));
      resolve("result" in msg ? msg.result : undefined);
    };
  }

  /** Connects to the first target of the inspector at `port`. */
  static async open(port: number): Promise<Inspector> {
    const list: unknown = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const url = Array.isArray(list) ? list[0]?.webSocketDebuggerUrl : undefined;
    if (typeof url !== "string") throw new Error(`No inspector target on port ${port}`);
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Inspector(ws);
  }

  /** Sends `method` and resolves with its result. */
  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  [Symbol.dispose](): void {
    this.#ws.close();
  }
}

/** Bytes allocated by site (`function file:line`) over the whole tree. */
function bySite(root: SampleNode): Map<string, number> {
  const sites = new Map<string, number>();
  const stack = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || "(anonymous)"} ${url.split("/").pop()}:${lineNumber}`;
    sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
    stack.push(...node.children);
  }
  return sites;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "9229" },
      seconds: { type: "string", default: "8" },
      top: { type: "string", default: "20" },
    },
  });
  const port = Number(values.port);
  const seconds = Number(values.seconds);
  const top = Number(values.top);
  using inspector = await Inspector.open(port);
  await inspector.call("HeapProfiler.enable");
  await inspector.call("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const result = await inspector.call("HeapProfiler.stopSampling");
  const profile = (result as { profile: { head: SampleNode } }).profile;
  const sites = bySite(profile.head);
  let total = 0;
  for (const bytes of sites.values()) total += bytes;
  const mbps = (bytes: number) => (bytes / 1e6 / seconds).toFixed(2);
  console.log(`allocated ${mbps(total)} MB/s over ${seconds} s (sampled)`);
  for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(bytes / total * 100).toFixed(1).padStart(5)} % ${mbps(bytes)} MB/s  ${site}`);
  }
}
