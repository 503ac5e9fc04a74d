// The Node halves of bench/read_floor.ts (`deno run -A bench/read_floor.ts --help`).
//
// `write PORT N FLV SECONDS`: N sockets to 127.0.0.1:PORT (TCP_NODELAY), each sent an FLV
// file's tag bodies in real time, looped, as plain bytes (no handshake, no RTMP), from one 20 ms
// timer: the byte rate and write pattern of tools/load_node.mjs without the protocol. Each
// socket starts at its own offset into the file (spread over one second) as the loader's
// publishers start one after another. Logs `write: sending` on stderr once all are connected and
// `write: stopped` at the end.
//
// `read`: listens on 127.0.0.1 port 0, prints the port on stdout, and discards what every
// accepted socket sends (`data` events): the Node reference for the reading side.

import net from "node:net";
import { readTags } from "../tools/flv_tags.mjs";

const TICK_MS = 20;
const SPREAD_MS = 1000;

async function write(port, n, flvPath, seconds) {
  const tags = readTags(flvPath);
  const loop = tags[tags.length - 1].ts + 40;
  const socks = [];
  for (let i = 0; i < n; i += 50) { // 50 at a time, within any listen backlog
    socks.push(
      ...await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, () =>
          new Promise((resolve, reject) => {
            const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
            s.setNoDelay(true);
            s.on("error", reject);
          })),
      ),
    );
  }
  const start = performance.now();
  // Socket i starts (i * 997) mod SPREAD_MS ms late: keyframes spread as the loader's do.
  const subs = socks.map((socket, i) => ({
    socket,
    t0: start + ((i * 997) % SPREAD_MS),
    next: 0,
    base: 0,
  }));
  // Counted once every socket has started, as the loader counts only its window.
  let bytes = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    for (const p of subs) {
      const due = now - p.t0;
      for (;;) {
        const tag = tags[p.next];
        if (p.base + tag.ts > due) break;
        p.socket.write(tag.body);
        if (now >= start + SPREAD_MS) bytes += tag.body.length;
        p.next++;
        if (p.next === tags.length) {
          p.next = 0;
          p.base += loop;
        }
      }
    }
  }, TICK_MS);
  console.error(`write: sending (${n} sockets)`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(timer);
  const mbps = bytes * 8 / 1e6 / ((performance.now() - start - SPREAD_MS) / 1000);
  console.error(`write: stopped (${(mbps / n * 1000).toFixed(0)} kbit/s per socket)`);
  for (const s of socks) s.destroy();
  process.exit(0);
}

function read() {
  const server = net.createServer((socket) => {
    let bytes = 0;
    socket.on("data", (d) => bytes += d.length);
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1", () => console.log(String(server.address().port)));
}

const [role, ...rest] = process.argv.slice(2);
if (role === "write") await write(Number(rest[0]), Number(rest[1]), rest[2], Number(rest[3]));
else if (role === "read") read();
else {
  console.error("usage: node bench/read_floor_node.mjs write PORT N FLV SECONDS | read");
  process.exit(2);
}
