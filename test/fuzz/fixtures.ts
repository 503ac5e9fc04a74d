/**
 * The captured client streams in `test/fixtures/captures/`: loading them, and the message
 * summary stored beside each one.
 *
 * A fixture `NAME.bin` holds a client's raw bytes, handshake included (C0+C1 = 1537 bytes,
 * C2 = 1536 bytes), then the chunk stream; `NAME.json` holds its {@linkcode FixtureSummary}.
 * @module
 */

import type { MessageRecord } from "../../src/parser/types.ts";
import { body, concat } from "../parser/stream_gen.ts";

/** The directory of the captured fixtures. */
export const CAPTURES_DIR: URL = new URL("../fixtures/captures/", import.meta.url);

/** C0 + C1 + C2: what a fixture starts with before the chunk stream. */
export const HANDSHAKE_BYTES = 1 + 1536 + 1536;

/** Messages of one type in a fixture. */
export interface TypeSummary {
  readonly count: number;
  readonly bytes: number;
}

/** The expected parse of a fixture's chunk stream, as stored in `NAME.json`. */
export interface FixtureSummary {
  readonly name: string;
  /** How the fixture was made, one line. */
  readonly source: string;
  /** Size of `NAME.bin`, handshake included. */
  readonly bytes: number;
  readonly handshakeBytes: number;
  readonly messages: number;
  /** Total body bytes of all messages. */
  readonly bodyBytes: number;
  /** Count and body bytes per message type id. */
  readonly types: Readonly<Record<string, TypeSummary>>;
}

/** A loaded fixture. */
export interface Fixture {
  readonly name: string;
  /** The whole capture, handshake included. */
  readonly raw: Uint8Array;
  /** The chunk stream: `raw` without the handshake. */
  readonly chunks: Uint8Array;
  readonly summary: FixtureSummary;
}

/**
 * Summarizes parsed records: count and body bytes per type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeRecords } from "./fixtures.ts";
 *
 * const recs = [{ type: 9, csid: 6, streamId: 1, timestamp: 0, length: 10 }];
 * assert.deepEqual(summarizeRecords(recs), { messages: 1, bodyBytes: 10, types: { "9": { count: 1, bytes: 10 } } });
 * ```
 */
export function summarizeRecords(
  records: readonly MessageRecord[],
): Pick<FixtureSummary, "messages" | "bodyBytes" | "types"> {
  const types: Record<string, { count: number; bytes: number }> = {};
  let bodyBytes = 0;
  for (const r of records) {
    const t = types[String(r.type)] ??= { count: 0, bytes: 0 };
    t.count++;
    t.bytes += r.length;
    bodyBytes += r.length;
  }
  const sorted: Record<string, TypeSummary> = {};
  for (const k of Object.keys(types).sort((a, b) => Number(a) - Number(b))) sorted[k] = types[k]!;
  return { messages: records.length, bodyBytes, types: sorted };
}

/** Loads every `*.bin` in {@linkcode CAPTURES_DIR} with its summary, sorted by name. */
export async function loadFixtures(dir: URL = CAPTURES_DIR): Promise<Fixture[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".bin")) names.push(e.name.slice(0, -4));
  }
  names.sort();
  const out: Fixture[] = [];
  for (const name of names) {
    const raw = await Deno.readFile(new URL(`${name}.bin`, dir));
    const summary = parseSummary(await Deno.readTextFile(new URL(`${name}.json`, dir)), name);
    out.push({ name, raw, chunks: raw.subarray(summary.handshakeBytes), summary });
  }
  return out;
}

function parseSummary(text: string, name: string): FixtureSummary {
  const v: unknown = JSON.parse(text);
  if (
    typeof v !== "object" || v === null || !("messages" in v) || !("bodyBytes" in v) ||
    !("types" in v) || !("handshakeBytes" in v) || typeof v.handshakeBytes !== "number"
  ) {
    throw new TypeError(
      `Fixture summary ${name}.json lacks messages, bodyBytes, types or handshakeBytes`,
    );
  }
  return v as FixtureSummary;
}

/**
 * A client handshake as a plain (non-digest) client sends it: C0 = 3, C1 = time 0, zero,
 * 1528 deterministic bytes, then a 1536-byte C2. Synthetic fixtures start with it.
 */
export function syntheticHandshake(seed: number): Uint8Array {
  const c1 = new Uint8Array(1536);
  c1.set(body(1528, seed), 8);
  return concat([new Uint8Array([3]), c1, body(1536, seed + 1)]);
}
