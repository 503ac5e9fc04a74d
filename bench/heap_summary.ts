/**
 * Self size and count per constructor (or node type) in a V8 heap snapshot, the largest
 * first: where `bench/session_memory.ts --snapshot` finds what a session keeps on the heap.
 * @module
 */

/** One row of a heap summary. */
export interface HeapRow {
  /** Constructor name for objects, else the node type and name (e.g. `(closure) close`). */
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/**
 * Sums self sizes by name over a snapshot's nodes; `top` rows, largest first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeHeap } from "./heap_summary.ts";
 *
 * const snap = {
 *   snapshot: {
 *     meta: {
 *       node_fields: ["type", "name", "id", "self_size", "edge_count"],
 *       node_types: [["hidden", "object", "closure"]],
 *     },
 *   },
 *   nodes: [1, 0, 1, 40, 0, 1, 0, 2, 24, 0, 2, 1, 3, 32, 0],
 *   strings: ["Outbox", "close"],
 * };
 * assert.deepEqual(summarizeHeap(JSON.stringify(snap), 2), [
 *   { name: "Outbox", count: 2, bytes: 64 },
 *   { name: "(closure) close", count: 1, bytes: 32 },
 * ]);
 * ```
 */
export function summarizeHeap(json: string, top = 30): HeapRow[] {
  const snap = JSON.parse(json) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const rows = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? "?";
    const name = snap.strings[snap.nodes[i + nameAt]!] ?? "?";
    const key = type === "object" ? name : `(${type}) ${name.slice(0, 40)}`;
    const row = rows.get(key) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += snap.nodes[i + sizeAt]!;
    rows.set(key, row);
  }
  return [...rows].map(([name, r]) => ({ name, ...r }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}
