/**
 * Parser throughput on the captured client streams as one Markdown table: memcpy (the ceiling),
 * the JS parser, the WASM parser and node-media-server's parser, in MB/s (10^6 B/s), with the
 * ratios and the targets. Also exports the fixtures and feed loops that
 * `parser_bench.ts` uses.
 *
 * ```sh
 * deno task build:wasm && deno run -A bench/parser_table.ts [--rounds 21] [--passes 20]
 * ```
 * @module
 */

import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { createJsParser } from "../src/parser/js_parser.ts";
import type { ChunkParser, MessageHandler } from "../src/parser/types.ts";
import { loadWasmParser, type ParserFactory } from "../src/parser/wasm_parser.ts";
import { createNmsParser, type NmsMessageHandler, type NmsParser } from "./nms_parser.ts";

/** Socket read sizes measured: one TCP segment's payload, and a full 64 KiB read. */
export const READ_SIZES: readonly number[] = [1460, 65536];

/** Where the captures are. */
export const FIXTURE_DIR: URL = new URL("../test/fixtures/captures/", import.meta.url);

/** One capture's chunk stream (handshake stripped) and its expected parse. */
export interface Fixture {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The chunk size in force at the end of the stream. */
  readonly chunkSize: number;
  readonly messages: number;
  readonly bodyBytes: number;
}

/** Loads every `*.bin` capture with its JSON, sorted by name. */
export async function loadFixtures(dir: URL = FIXTURE_DIR): Promise<Fixture[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".bin")) names.push(e.name.slice(0, -4));
  }
  names.sort();
  const out: Fixture[] = [];
  for (const name of names) {
    const meta: unknown = JSON.parse(await Deno.readTextFile(new URL(`${name}.json`, dir)));
    const handshake = field(meta, "handshakeBytes");
    const bytes = (await Deno.readFile(new URL(`${name}.bin`, dir))).subarray(handshake);
    using p = createJsParser();
    const tally = new Tally();
    feedParser(p, bytes, 65536, tally.onMessage);
    out.push({
      name,
      bytes,
      chunkSize: p.chunkSize,
      messages: field(meta, "messages"),
      bodyBytes: field(meta, "bodyBytes"),
    });
  }
  return out;
}

function field(meta: unknown, key: string): number {
  const v: unknown = typeof meta === "object" && meta !== null ? Reflect.get(meta, key) : null;
  if (typeof v !== "number") throw new TypeError(`Fixture JSON has no number ${key}`);
  return v;
}

/** Counts messages and body bytes; its handlers are what every parser calls back. */
export class Tally {
  messages = 0;
  bodyBytes = 0;
  types = 0;
  /** For our parsers: touches the record and the body length. */
  readonly onMessage: MessageHandler = (rec, body) => {
    this.messages++;
    this.types += rec.type;
    this.bodyBytes += body.length;
  };
  /** For node-media-server's parser. */
  readonly onNms: NmsMessageHandler = (type, length) => {
    this.messages++;
    this.types += type;
    this.bodyBytes += length;
  };
}

/** The memcpy ceiling: the read loop copying into `dst` (a ring stand-in), no parsing. */
export function feedCopy(dst: Uint8Array, bytes: Uint8Array, read: number): void {
  for (let o = 0; o < bytes.length;) {
    const n = Math.min(dst.length, read, bytes.length - o);
    dst.set(bytes.subarray(o, o + n));
    o += n;
  }
}

/** Feeds `bytes` in reads of `read` bytes as the server does: writable, copy, commit, drain. */
export function feedParser(
  p: ChunkParser,
  bytes: Uint8Array,
  read: number,
  onMessage: MessageHandler,
): void {
  for (let o = 0; o < bytes.length;) {
    const dst = p.writable();
    const n = Math.min(dst.length, read, bytes.length - o);
    dst.set(bytes.subarray(o, o + n));
    p.commit(n);
    p.drain(onMessage);
    o += n;
  }
}

/** Feeds node-media-server's parser: each read copied into `sock` (a socket buffer), then parsed. */
export function feedNms(p: NmsParser, sock: Buffer, bytes: Uint8Array, read: number): void {
  for (let o = 0; o < bytes.length;) {
    const n = Math.min(sock.length, read, bytes.length - o);
    sock.set(bytes.subarray(o, o + n));
    p.feed(sock.subarray(0, n));
    o += n;
  }
}

/** The four columns measured, memcpy first. */
const NAMES = ["memcpy", "js", "wasm", "nms"] as const;
type Name = typeof NAMES[number];
/** One pass over a fixture; returns the milliseconds of the timed part. */
type Pass = (f: Fixture, read: number, tally: Tally) => number;

/** One pass per column; parsers are made before and disposed after the timed part. */
function passes(wasm: ParserFactory): Record<Name, Pass> {
  const ring = new Uint8Array(65536);
  const sock = Buffer.alloc(65536);
  return {
    memcpy: (f, read) => {
      const t = performance.now();
      feedCopy(ring, f.bytes, read);
      return performance.now() - t;
    },
    js: (f, read, tally) => {
      using p = createJsParser();
      const t = performance.now();
      feedParser(p, f.bytes, read, tally.onMessage);
      return performance.now() - t;
    },
    wasm: (f, read, tally) => {
      using p = wasm();
      const t = performance.now();
      feedParser(p, f.bytes, read, tally.onMessage);
      return performance.now() - t;
    },
    nms: (f, read, tally) => {
      const p = createNmsParser(tally.onNms);
      const t = performance.now();
      feedNms(p, sock, f.bytes, read);
      return performance.now() - t;
    },
  };
}

/** MB/s per column for one fixture and read size, and the messages each parser saw per pass. */
interface Row {
  readonly fixture: Fixture;
  readonly read: number;
  readonly mbps: Record<Name, number>;
  readonly seen: Record<Name, { messages: number; bodyBytes: number }>;
}

/** One fixture and read size: MB/s of each round per column, and the last round's tallies. */
interface Cell {
  readonly fixture: Fixture;
  readonly read: number;
  readonly rates: Record<Name, number[]>;
  readonly seen: Record<Name, { messages: number; bodyBytes: number }>;
}

/**
 * Runs every column on every fixture and read size `count` passes at a time, all of them once
 * per round, so JIT warm-up and bursts of load on a shared machine spread over every cell.
 * Round 0 warms up and is not counted; each cell's figure is the median of the other rounds.
 */
function measure(
  fixtures: readonly Fixture[],
  pass: Record<Name, Pass>,
  opts: { rounds: number; count: number },
): Row[] {
  const { rounds, count } = opts;
  const none = { messages: 0, bodyBytes: 0 };
  const cells: Cell[] = fixtures.flatMap((fixture) =>
    READ_SIZES.map((read) => ({
      fixture,
      read,
      rates: { memcpy: [], js: [], wasm: [], nms: [] },
      seen: { memcpy: none, js: none, wasm: none, nms: none },
    }))
  );
  for (let r = 0; r <= rounds; r++) {
    // Each round starts one cell later: the same allocations each round would otherwise put a
    // major GC on the same cell every time.
    for (let k = 0; k < cells.length; k++) {
      const c = cells[(k + r) % cells.length]!;
      for (const name of NAMES) {
        const tally = new Tally();
        let ms = 0;
        for (let i = 0; i < count; i++) ms += pass[name](c.fixture, c.read, tally);
        if (r > 0) c.rates[name].push((c.fixture.bytes.length * count) / (ms * 1000));
        c.seen[name] = { messages: tally.messages / count, bodyBytes: tally.bodyBytes / count };
      }
    }
    console.error(`parser_table: round ${r} of ${rounds} done${r === 0 ? " (warm-up)" : ""}`);
  }
  return cells.map((c) => {
    const mbps: Record<Name, number> = { memcpy: 0, js: 0, wasm: 0, nms: 0 };
    for (const name of NAMES) mbps[name] = median(c.rates[name]);
    return { fixture: c.fixture, read: c.read, mbps, seen: c.seen };
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The table and, below it, where a parser's parse differs from the fixture's JSON. */
function formatTable(rows: readonly Row[]): string {
  const lines = [
    "| fixture | chunk size | read size | memcpy MB/s | js MB/s | wasm MB/s | nms MB/s | wasm/js | wasm/nms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const notes: string[] = [];
  for (const r of rows) {
    const m = r.mbps;
    const cells = [r.fixture.name, r.fixture.chunkSize, r.read, m.memcpy, m.js, m.wasm, m.nms]
      .map((x) => typeof x === "number" && !Number.isInteger(x) ? x.toFixed(0) : String(x));
    const ratios = [m.wasm / m.js, m.wasm / m.nms].map((x) => `${x.toFixed(2)}×`);
    lines.push(`| ${[...cells, ...ratios].join(" | ")} |`);
    for (const name of ["js", "wasm", "nms"] as const) {
      const s = r.seen[name];
      if (s.messages !== r.fixture.messages || s.bodyBytes !== r.fixture.bodyBytes) {
        notes.push(
          `${name} on ${r.fixture.name} (${r.read}-byte reads): ${s.messages} messages, ` +
            `${s.bodyBytes} body bytes; expected ${r.fixture.messages}, ${r.fixture.bodyBytes}`,
        );
      }
    }
  }
  return [...lines, ...(notes.length > 0 ? ["", "Parse differs from the fixture:", ...notes] : [])]
    .join("\n");
}

/** The targets, one line per row they apply to. */
function formatTargets(rows: readonly Row[]): string {
  const lines: string[] = [];
  const check = (x: number, want: number) =>
    `${x.toFixed(2)}× (≥ ${want}×: ${x >= want ? "met" : "NOT met"})`;
  for (const r of rows) {
    const { js, wasm, nms } = r.mbps;
    const at = `${r.fixture.name}, ${r.read}-byte reads`;
    if (r.fixture.chunkSize === 128) {
      lines.push(`- ${at}: wasm/js ${check(wasm / js, 3)}, wasm/nms ${check(wasm / nms, 2)}`);
    } else if (r.fixture.chunkSize === 4096) {
      lines.push(`- ${at}: wasm/js ${check(wasm / js, 1.3)}`);
    }
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "21" },
      passes: { type: "string", default: "20" },
    },
  });
  const rounds = Number(values.rounds);
  const count = Number(values.passes);
  if (!(rounds >= 1 && rounds <= 1000 && count >= 1 && count <= 1000)) {
    throw new RangeError(`Bad --rounds ${rounds} or --passes ${count}: each must be 1 to 1000`);
  }
  const fixtures = await loadFixtures();
  const pass = passes(await loadWasmParser());
  const rows = measure(fixtures, pass, { rounds, count });
  console.log(
    `${new Date().toISOString().slice(0, 10)}, Deno ${Deno.version.deno}, ${cpuModel()}; ` +
      `median of ${rounds} rounds of ${count} passes per cell`,
  );
  console.log();
  console.log(formatTable(rows));
  console.log();
  console.log("Targets (chunk size 128: wasm ≥ 3× js and ≥ 2× nms; 4096: wasm ≥ 1.3× js):");
  console.log();
  console.log(formatTargets(rows));
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? "unknown CPU";
    return `${model}, ${navigator.hardwareConcurrency} cores`;
  } catch {
    return `${navigator.hardwareConcurrency} cores`;
  }
}

if (import.meta.main) await main();
