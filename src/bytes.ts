/**
 * Byte-array helpers shared across modules.
 * @module
 */

/**
 * Joins byte arrays into one new array.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Most joins a {@linkcode JoinMemo} remembers. */
const MEMO_ENTRIES = 4;
/** Joins larger than this are not remembered (a far-behind reader's backlog is its own). */
const MEMO_MAX_BYTES = 1024 * 1024;

/**
 * {@linkcode concatBytes} for many writers queueing the same shared parts: the last few joins
 * are remembered by their parts, so players in step with each other write one joined buffer
 * instead of a copy each. Parts are compared by identity, never by content; a joined buffer
 * must not be written to.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JoinMemo } from "./bytes.ts";
 *
 * const memo = new JoinMemo();
 * const a = new Uint8Array([1]), b = new Uint8Array([2, 3]);
 * const joined = memo.join([a, b]);
 * assert.deepEqual([...joined], [1, 2, 3]);
 * assert.equal(memo.join([a, b]), joined); // the same parts: the same buffer
 * assert.notEqual(memo.join([a, new Uint8Array([2, 3])]), joined); // other parts: a new join
 * ```
 */
export class JoinMemo {
  #parts: (readonly Uint8Array[])[] = [];
  #joined: Uint8Array[] = [];
  #next = 0;
  #hits = 0;

  /** Joins served from memory so far (for tests and benchmarks). */
  get hits(): number {
    return this.#hits;
  }

  /** The parts joined: a remembered buffer when the same parts were joined lately. */
  join(parts: readonly Uint8Array[]): Uint8Array {
    for (let e = 0; e < this.#parts.length; e++) {
      if (sameParts(this.#parts[e]!, parts)) {
        this.#hits++;
        return this.#joined[e]!;
      }
    }
    const joined = concatBytes(parts);
    if (joined.length <= MEMO_MAX_BYTES) {
      this.#parts[this.#next] = parts;
      this.#joined[this.#next] = joined;
      this.#next = (this.#next + 1) % MEMO_ENTRIES;
    }
    return joined;
  }
}

function sameParts(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
