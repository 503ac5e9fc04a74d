/**
 * Test helpers shared by the tag tests: a seeded PRNG for garbage bodies, and a probe
 * that reports the highest byte index a parser read.
 * @module
 */

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Bodies for fuzzing: random bytes, seeds with random tails, and bit-flipped seeds. */
export function garbage(seed: number, seeds: readonly Uint8Array[], count: number): Uint8Array[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const base = seeds[int(seeds.length)] ?? new Uint8Array();
    let body: Uint8Array;
    switch (i % 3) {
      case 0:
        body = Uint8Array.from({ length: int(48) }, () => int(256));
        break;
      case 1:
        body = base.slice(0, int(base.length + 1));
        body = Uint8Array.from([...body, ...Array.from({ length: int(24) }, () => int(256))]);
        break;
      default:
        body = base.slice();
        for (let f = 0; f < 1 + int(4); f++) {
          const at = int(body.length);
          body[at] = (body[at] ?? 0) ^ (1 << int(8));
        }
    }
    out.push(body);
  }
  return out;
}

/** Runs `parse` on a view of `bytes` that records indexed reads; returns the highest index read. */
export function highestIndexRead(bytes: Uint8Array, parse: (body: Uint8Array) => unknown): number {
  let max = -1;
  const probe = new Proxy(bytes, {
    get(target, key) {
      if (typeof key === "string" && /^\d+$/.test(key)) max = Math.max(max, Number(key));
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  parse(probe);
  return max;
}
