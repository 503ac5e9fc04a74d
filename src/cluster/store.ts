/**
 * The cluster's shared state in Redis (node-redis): claims and releases by script, the
 * listing, and the drop channel. Every call fails fast while Redis is away (no offline
 * queue, a time limit per call) so the caller can carry on locally.
 * @module
 */

import { createClient } from "redis";
import {
  type ClusterEntry,
  decodeClusterEntry,
  decodeDropNotice,
  type DropNotice,
  encodeClusterEntry,
  encodeDropNotice,
} from "./entry.ts";
import { CLAIM_SCRIPT, RELEASE_SCRIPT } from "./scripts.ts";

/** What a claim came to. */
export type ClaimResult =
  | { readonly kind: "claimed" }
  | { readonly kind: "took-over"; readonly previous: ClusterEntry | null }
  | { readonly kind: "refused"; readonly holder: ClusterEntry | null };

/** The operations the cluster needs from its shared store. */
export interface ClusterStore {
  /** Claims (or refreshes) `key` for `entry.edgeId`, by the takeover rule. */
  claim(key: string, entry: ClusterEntry, takeoverAfterMs: number): Promise<ClaimResult>;
  /** Deletes the entry of `key` if `edgeId`/`sessionId` still hold it. */
  release(key: string, edgeId: string, sessionId: string): Promise<void>;
  /** The entry of `key`, or null. */
  get(key: string): Promise<ClusterEntry | null>;
  /** Every entry, by key. */
  list(): Promise<Map<string, ClusterEntry>>;
  /** Sends a drop notice to every edge. */
  publishDrop(notice: DropNotice): Promise<void>;
  /** Whether the connection is up now. */
  readonly ready: boolean;
  /** Closes both connections. */
  close(): void;
}

/** Options for {@linkcode connectRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://…`; may hold a password, so it never goes into a log. */
  readonly url: string;
  /** How long an entry lives without a refresh, in ms. */
  readonly ttlMs: number;
  /** Each call gives up after this long, in ms (default 1 000). */
  readonly callTimeoutMs?: number;
  /** Gets each drop notice from the channel. */
  readonly onDrop: (notice: DropNotice) => void;
  /** Told when a connection fails or comes back (`null`), for the health state. */
  readonly onConnection: (error: string | null) => void;
}

/** Entry keys: `rtmp-edge:stream:<app>/<name>`. */
export const ENTRY_PREFIX = "rtmp-edge:stream:";
/** The channel drop notices go through. */
export const DROP_CHANNEL = "rtmp-edge:drop";
const RECONNECT_MS = 500;

/** Opens the store; connects in the background and keeps reconnecting. */
export function connectRedisStore(o: RedisStoreOptions): ClusterStore {
  const client = createClient({
    url: o.url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => RECONNECT_MS, connectTimeout: 2_000 },
  });
  const sub = client.duplicate();
  for (const c of [client, sub]) {
    c.on("error", (e: unknown) => o.onConnection(e instanceof Error ? e.message : String(e)));
  }
  client.on("ready", () => o.onConnection(null));
  let closed = false;
  const start = async () => {
    await client.connect();
    await sub.connect();
    await sub.subscribe(DROP_CHANNEL, (text: string) => {
      const notice = decodeDropNotice(text);
      if (notice !== null) o.onDrop(notice);
    });
  };
  // A first connect that fails is retried by the reconnect strategy; errors go to onConnection.
  start().catch((e: unknown) => {
    if (!closed) o.onConnection(e instanceof Error ? e.message : String(e));
  });
  const limit = o.callTimeoutMs ?? 1_000;
  const timed = <T>(p: Promise<T>): Promise<T> => withTimeout(p, limit);
  return {
    get ready() {
      return client.isReady;
    },
    async claim(key, entry, takeoverAfterMs) {
      const reply = await timed(client.eval(CLAIM_SCRIPT, {
        keys: [ENTRY_PREFIX + key],
        arguments: [
          encodeClusterEntry(entry),
          entry.edgeId,
          String(takeoverAfterMs),
          String(o.ttlMs),
        ],
      }));
      const [code, text] = Array.isArray(reply) ? reply : [];
      const other = typeof text === "string" ? decodeClusterEntry(text) : null;
      if (code === 1) return { kind: "claimed" };
      if (code === 2) return { kind: "took-over", previous: other };
      return { kind: "refused", holder: other };
    },
    async release(key, edgeId, sessionId) {
      await timed(client.eval(RELEASE_SCRIPT, {
        keys: [ENTRY_PREFIX + key],
        arguments: [edgeId, sessionId],
      }));
    },
    async get(key) {
      const text = await timed(client.get(ENTRY_PREFIX + key));
      return typeof text === "string" ? decodeClusterEntry(text) : null;
    },
    async list() {
      const keys: string[] = [];
      let cursor = "0";
      do {
        const page = await timed(client.scan(cursor, { MATCH: `${ENTRY_PREFIX}*`, COUNT: 500 }));
        cursor = String(page.cursor);
        keys.push(...page.keys.map(String));
      } while (cursor !== "0");
      const out = new Map<string, ClusterEntry>();
      if (keys.length === 0) return out;
      const texts = await timed(client.mGet(keys));
      keys.forEach((k, i) => {
        const text = texts[i];
        const e = typeof text === "string" ? decodeClusterEntry(text) : null;
        if (e !== null) out.set(k.slice(ENTRY_PREFIX.length), e);
      });
      return out;
    },
    async publishDrop(notice) {
      await timed(client.publish(DROP_CHANNEL, encodeDropNotice(notice)));
    },
    close() {
      closed = true;
      client.destroy();
      sub.destroy();
    },
  };
}

/** `p`, or a rejection after `ms`, leaving no timer behind. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
