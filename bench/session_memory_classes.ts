/**
 * A process's memory in the classes `bench/session_memory.ts` reports: V8 heap, external
 * (ArrayBuffer stores), WASM linear memories (resident pages) and RSS.
 * @module
 */

/** Memory of this process at one moment, in bytes. */
export interface MemoryClasses {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** ArrayBuffer stores and other memory V8 is told about, not WASM memories. */
  readonly external: number;
  /** Resident pages of WebAssembly memories (from smaps). */
  readonly wasm: number;
  /**
   * Bytes glibc's malloc holds free (freed, not given back to the system; `mallinfo2()`'s
   * `fordblks`, 0 where it cannot be asked): part of "other".
   */
  readonly mallocFree: number;
}

const PAGE = 65536;
/** A glibc malloc arena reserves 64 MiB: an rw-p part followed by a ---p rest, like WASM. */
const MALLOC_ARENA = 64 * 1024 * 1024;

/**
 * Resident bytes of WebAssembly memories in `/proc/self/smaps` text. V8 maps a memory as an
 * anonymous rw-p mapping (its pages) directly followed by a ---p one (the rest up to its
 * maximum), 64 KiB aligned; glibc's 64 MiB arenas, the one other such pair, are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasmResidentBytes } from "./session_memory_classes.ts";
 *
 * const smaps = [
 *   "7f0000000000-7f0000050000 rw-p 00000000 00:00 0 ",
 *   "Rss:                 196 kB",
 *   "7f0000050000-7f0000c80000 ---p 00000000 00:00 0 ",
 *   "Rss:                   0 kB",
 * ].join("\n");
 * assert.equal(wasmResidentBytes(smaps), 196 * 1024);
 * ```
 */
export function wasmResidentBytes(smaps: string): number {
  return wasmResidentSizes(smaps).reduce((a, b) => a + b, 0);
}

/** Resident bytes of each WebAssembly memory in `/proc/self/smaps` text (see above). */
export function wasmResidentSizes(smaps: string): number[] {
  const maps: { start: number; end: number; perms: string; anon: boolean; rss: number }[] = [];
  for (const block of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)[ \t]*([^\n]*)/.exec(block);
    if (head === null) continue;
    const rss = /^Rss:\s+(\d+) kB/m.exec(block);
    maps.push({
      start: parseInt(head[1]!, 16),
      end: parseInt(head[2]!, 16),
      perms: head[3]!,
      anon: head[4] === "0" && head[5]!.trim() === "",
      rss: rss === null ? 0 : Number(rss[1]) * 1024,
    });
  }
  const sizes: number[] = [];
  for (let i = 0; i + 1 < maps.length; i++) {
    const m = maps[i]!;
    const next = maps[i + 1]!;
    if (m.perms !== "rw-p" || !m.anon || next.perms !== "---p" || next.start !== m.end) continue;
    const reserved = next.end - m.start;
    if (m.start % PAGE !== 0 || reserved % PAGE !== 0 || reserved === MALLOC_ARENA) continue;
    sizes.push(m.rss);
  }
  return sizes;
}

/** The classes from `Deno.memoryUsage()`, `/proc/self/smaps` text and malloc's free bytes. */
export function memoryClasses(
  usage: Deno.MemoryUsage,
  smaps: string,
  mallocFree = 0,
): MemoryClasses {
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    wasm: wasmResidentBytes(smaps),
    mallocFree,
  };
}

/**
 * Returns a function giving the bytes glibc's malloc holds free over all its arenas
 * (`mallinfo2()`, by FFI), or one giving 0 where libc cannot be opened (not glibc, no FFI).
 */
export function mallocFreeReader(): () => number {
  try {
    const lib = Deno.dlopen(
      "libc.so.6",
      {
        mallinfo2: { parameters: [], result: { struct: Array(10).fill("usize") } },
      } as const,
    );
    return () => {
      const r = lib.symbols.mallinfo2() as Uint8Array<ArrayBuffer>;
      // struct mallinfo2: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks,
      // fordblks, keepcost (all size_t).
      return Number(new BigUint64Array(r.buffer, r.byteOffset, 10)[8]);
    };
  } catch {
    return () => 0;
  }
}

/**
 * (loaded − idle) / n for each class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { perSession } from "./session_memory_classes.ts";
 *
 * const zero = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, wasm: 0, mallocFree: 0 };
 * const loaded = { rss: 100, heapUsed: 40, heapTotal: 60, external: 20, wasm: 10, mallocFree: 5 };
 * assert.equal(perSession(zero, loaded, 10).rss, 10);
 * ```
 */
export function perSession(idle: MemoryClasses, loaded: MemoryClasses, n: number): MemoryClasses {
  return {
    rss: (loaded.rss - idle.rss) / n,
    heapUsed: (loaded.heapUsed - idle.heapUsed) / n,
    heapTotal: (loaded.heapTotal - idle.heapTotal) / n,
    external: (loaded.external - idle.external) / n,
    wasm: (loaded.wasm - idle.wasm) / n,
    mallocFree: (loaded.mallocFree - idle.mallocFree) / n,
  };
}
