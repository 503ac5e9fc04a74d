// Many RTMP publishers from one Node.js process (`node tools/load_node.mjs --help`).
//
// The same load as `deno task load` (an FLV file's tags in real time, looped, each publisher its
// own stream `<name>-<i>`), but written the way a Node encoder farm writes: `socket.write()` puts
// bytes into the kernel at once when it can (libuv), one 20 ms timer paces every publisher, no
// promise per write. Deno's own writes are async ops: at 1000 publishers x 50 writes/s one Deno
// process falls seconds behind on some sockets while others go on, and a server with a 10 s idle
// timeout then closes those publishers for the loader's fault (bench/README.md, issue 12). This
// loader keeps that out of server measurements. With `--json` it prints the same report as
// `tools/load.ts --json` (bench/e2e_loader.ts reads it), and `load: sending` / `load: stopped` on
// stderr when the measured window opens and closes.

import net from "node:net";
import { readTags } from "./flv_tags.mjs";
import { parseArgs } from "node:util";

const HELP = `node tools/load_node.mjs --url rtmp://HOST:PORT/APP/NAME --flv FILE [options]
  --publishers N        publishers (default 1000), streams NAME-0 .. NAME-(N-1)
  --seconds S           sending time once all publish (default 25)
  --connect-parallel K  connections being set up at once (default 20)
  --probe N             instead: N short sessions one after another (connect, publish NAME-probe-i,
                        close at Publish.Start, 100 ms apart), to time connect -> Publish.Start
                        from an idle process while another loads the server
  --json                print the report as JSON on stdout`;

const CHUNK = 4096;
const TICK_MS = 20;
const CONNECT_TIMEOUT_MS = 10_000;

function amfString(s) {
  const b = Buffer.alloc(3 + Buffer.byteLength(s));
  b[0] = 2;
  b.writeUInt16BE(Buffer.byteLength(s), 1);
  b.write(s, 3);
  return b;
}

function amfNumber(n) {
  const b = Buffer.alloc(9);
  b.writeDoubleBE(n, 1);
  return b;
}

function amfObject(fields) {
  const parts = [Buffer.from([3])];
  for (const [k, v] of Object.entries(fields)) {
    const key = Buffer.alloc(2 + k.length);
    key.writeUInt16BE(k.length);
    key.write(k, 2);
    parts.push(key, amfString(v));
  }
  parts.push(Buffer.from([0, 0, 9]));
  return Buffer.concat(parts);
}

/** One message as chunks of CHUNK bytes: a type-0 header, then type-3 continuations. */
function chunks(csid, type, streamId, ts, body) {
  const head = Buffer.alloc(12);
  head[0] = csid;
  head.writeUIntBE(Math.min(ts, 0xffffff), 1, 3);
  head.writeUIntBE(body.length, 4, 3);
  head[7] = type;
  head.writeUInt32LE(streamId, 8);
  const parts = [head];
  if (ts >= 0xffffff) parts.push(u32(ts));
  parts.push(body.subarray(0, CHUNK));
  for (let o = CHUNK; o < body.length; o += CHUNK) {
    parts.push(Buffer.from([0xc0 | csid]));
    if (ts >= 0xffffff) parts.push(u32(ts));
    parts.push(body.subarray(o, o + CHUNK));
  }
  return Buffer.concat(parts);
}

function u32(v) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/** Connects, handshakes and publishes `name`; resolves to the publisher once Publish.Start came. */
function publish(host, port, app, name, pub) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect({ host, port });
    pub.socket = socket;
    const timer = setTimeout(
      () => fail(`no Publish.Start within ${CONNECT_TIMEOUT_MS} ms`),
      10_000,
    );
    let got = 0;
    let text = "";
    let started = false;
    function fail(why) {
      pub.error ??= why;
      socket.destroy();
      clearTimeout(timer);
      resolve(pub);
    }
    socket.on("error", (e) => pub.error ??= e.message);
    socket.on("close", () => {
      pub.closed = true;
      if (!started) fail(pub.error ?? "closed before Publish.Start");
      else if (!pub.stopping) pub.error ??= "closed by the server";
    });
    socket.on("connect", () => {
      socket.setNoDelay(true);
      const c0c1 = Buffer.alloc(1537);
      c0c1[0] = 3;
      socket.write(c0c1);
    });
    socket.on("data", (d) => {
      if (started) return;
      if (got < 3073) {
        got += d.length;
        if (got < 3073) return;
        socket.write(Buffer.alloc(1536));
        socket.write(chunks(2, 1, 0, 0, u32(CHUNK)));
        const tcUrl = `rtmp://${host}:${port}/${app}`;
        const connect = [amfString("connect"), amfNumber(1), amfObject({ app, tcUrl })];
        socket.write(chunks(3, 20, 0, 0, Buffer.concat(connect)));
        const create = [amfString("createStream"), amfNumber(2), Buffer.from([5])];
        socket.write(chunks(3, 20, 0, 0, Buffer.concat(create)));
        const pubCmd = [amfString("publish"), amfNumber(3), Buffer.from([5]), amfString(name)];
        socket.write(chunks(3, 20, 1, 0, Buffer.concat([...pubCmd, amfString("live")])));
        return;
      }
      text = (text + d.toString("latin1")).slice(-4096);
      if (text.includes("NetStream.Publish.Start")) {
        started = true;
        clearTimeout(timer);
        pub.connectMs = performance.now() - t0;
        resolve(pub);
      } else if (/NetStream\.Publish\.(BadName|Failed)/.test(text)) {
        fail("publish refused");
      }
    });
  });
}

function percentile(sorted, p) {
  return sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const PROBE_GAP_MS = 100;

/**
 * `--probe N`: N sessions one after another, each closed at its Publish.Start; this process does
 * nothing else, so the times are the server's (and the kernel's), not a busy loader's.
 */
async function probe(host, port, app, base, n, json) {
  const times = [];
  const errors = [];
  for (let i = 0; i < n; i++) {
    const pub = { name: `${base}-probe-${i}`, socket: null, connectMs: null, error: null };
    await publish(host, port, app, pub.name, pub);
    pub.stopping = true;
    pub.socket?.destroy();
    if (pub.connectMs !== null) times.push(pub.connectMs);
    else errors.push(`${pub.name}: ${pub.error}`);
    await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
  }
  const sorted = [...times].sort((a, b) => a - b);
  const report = {
    mode: "probe",
    sessions: n,
    connectMs: times,
    connectMedianMs: percentile(sorted, 0.5),
    connectP99Ms: percentile(sorted, 0.99),
    connectMaxMs: sorted.at(-1) ?? null,
    errors,
  };
  if (json) {
    process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(0));
    return;
  }
  console.log(
    `Probe: ${times.length}/${n} published; connect to Publish.Start median ${
      report.connectMedianMs?.toFixed(1)
    } ms, p99 ${report.connectP99Ms?.toFixed(1)} ms, max ${report.connectMaxMs?.toFixed(1)} ms`,
  );
  for (const e of errors.slice(0, 10)) console.log(`  ${e}`);
  process.exit(0);
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      flv: { type: "string" },
      publishers: { type: "string", default: "1000" },
      seconds: { type: "string", default: "25" },
      "connect-parallel": { type: "string", default: "20" },
      probe: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (
    values.help || values.url === undefined ||
    (values.flv === undefined && values.probe === undefined)
  ) {
    console.log(HELP);
    process.exit(values.help ? 0 : 2);
  }
  const url = new URL(values.url);
  const [app, base] = url.pathname.slice(1).split("/");
  const host = url.hostname;
  const port = Number(url.port || 1935);
  if (values.probe !== undefined) {
    return probe(host, port, app, base, Number(values.probe), values.json);
  }
  const n = Number(values.publishers);
  const seconds = Number(values.seconds);
  const tags = readTags(values.flv);
  const loop = tags[tags.length - 1].ts + 40;
  const pubs = Array.from({ length: n }, (_, i) => ({
    name: `${base}-${i}`,
    socket: null,
    connectMs: null,
    error: null,
    closed: false,
    stopping: false,
    next: 0,
    base: 0,
    video: 0,
    audio: 0,
    bytes: 0,
  }));
  // Every publisher sends the same messages (stream 1, timestamps from its own start): each is
  // chunked once per pass over the file and the same bytes are written to every socket.
  const passes = new Map();
  function encoded(base, i) {
    let pass = passes.get(base);
    if (pass === undefined) {
      passes.set(base, pass = []);
      for (const old of passes.keys()) if (old < base - 2 * loop) passes.delete(old);
    }
    const tag = tags[i];
    const csid = tag.type === 8 ? 4 : tag.type === 9 ? 6 : 5;
    return pass[i] ??= chunks(csid, tag.type, 1, base + tag.ts, tag.body);
  }
  // Connect `connect-parallel` at a time; the first ones send while the rest connect.
  let sending = null;
  let maxLate = 0;
  const queue = [...pubs];
  const parallel = Number(values["connect-parallel"]);
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      await publish(host, port, app, p.name, p);
      if (p.connectMs !== null) p.t0 = performance.now();
      sending ??= startSending();
    }
  }));
  const live = pubs.filter((p) => p.connectMs !== null);
  console.error(`load: sending (${live.length}/${n} publishing)`);
  const windowStart = performance.now();
  // The first publishers sent while the rest connected: the rate counts the window only.
  const bytesBefore = pubs.reduce((a, p) => a + p.bytes, 0);
  function startSending() {
    let last = performance.now();
    return setInterval(() => {
      const now = performance.now();
      maxLate = Math.max(maxLate, now - last - TICK_MS);
      last = now;
      for (const p of pubs) {
        if (p.connectMs === null || p.closed || p.stopping) continue;
        const due = now - p.t0;
        for (;;) {
          const tag = tags[p.next];
          if (p.base + tag.ts > due) break;
          const bytes = encoded(p.base, p.next);
          p.socket.write(bytes);
          p.bytes += bytes.length;
          if (tag.type === 9) p.video++;
          else if (tag.type === 8) p.audio++;
          p.next++;
          if (p.next === tags.length) {
            p.next = 0;
            p.base += loop;
          }
        }
      }
    }, TICK_MS);
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(sending);
  const sendSeconds = (performance.now() - windowStart) / 1000;
  console.error("load: stopped");
  for (const p of pubs) p.stopping = true;
  // Unsent bytes at the stop: what the kernel would not take (a server that stopped reading).
  const stuck = pubs.filter((p) => (p.socket?.writableLength ?? 0) > 0).length;
  for (const p of pubs) p.socket?.end();
  await new Promise((r) => setTimeout(r, 500));
  for (const p of pubs) p.socket?.destroy();
  const connects = live.map((p) => p.connectMs).sort((a, b) => a - b);
  const sum = (k) => pubs.reduce((a, p) => a + p[k], 0);
  const bytes = sum("bytes");
  const report = {
    mode: "realtime",
    loader: "node",
    publishers: pubs.map((p) => ({
      name: p.name,
      video: p.video,
      audio: p.audio,
      bytes: p.bytes,
      connectMs: p.connectMs,
      error: p.error,
    })),
    connected: live.length,
    video: sum("video"),
    audio: sum("audio"),
    bytes,
    sendSeconds,
    mbPerSecond: (bytes - bytesBefore) / 1e6 / sendSeconds,
    connectMedianMs: percentile(connects, 0.5),
    connectP99Ms: percentile(connects, 0.99),
    // Writes go into the kernel at once: every frame due was handed to its socket.
    framesDue: sum("video") + sum("audio"),
    maxLagMs: maxLate,
    errors: pubs.filter((p) => p.error !== null).map((p) => `${p.name}: ${p.error}`),
    stuckAtStop: stuck,
  };
  if (values.json) {
    // A pipe takes stdout asynchronously: exit only once the whole report is out.
    process.stdout.write(JSON.stringify(report) + "\n", () => process.exit(0));
    return;
  } else {
    console.log(
      `Total: ${live.length}/${n} publishers, ${report.video} video + ${report.audio} audio frames, ` +
        `${((bytes - bytesBefore) / 1e6).toFixed(1)} MB in ${sendSeconds.toFixed(1)} s = ${
          report.mbPerSecond.toFixed(2)
        } MB/s`,
    );
    console.log(
      `Connect to Publish.Start: median ${report.connectMedianMs?.toFixed(1)} ms, p99 ${
        report.connectP99Ms?.toFixed(1)
      } ms; timer late at most ${
        maxLate.toFixed(0)
      } ms; sockets with unsent bytes at the stop: ${stuck}`,
    );
    console.log(`Errors: ${report.errors.length}`);
    for (const e of report.errors.slice(0, 10)) console.log(`  ${e}`);
  }
  process.exit(0);
}

await main();
