// The tags of an FLV file for the Node load tools (`tools/load_node.mjs`,
// `bench/read_floor_node.mjs`): type, timestamp (ms) and body, in file order.

import fs from "node:fs";

/** The FLV file's tags: type, timestamp (ms) and body. */
export function readTags(path) {
  const flv = fs.readFileSync(path);
  const tags = [];
  for (let o = 13; o + 11 <= flv.length;) {
    const size = flv.readUIntBE(o + 1, 3);
    if (o + 11 + size > flv.length) break;
    const ts = flv.readUIntBE(o + 4, 3) + flv[o + 7] * 0x1000000;
    tags.push({ type: flv[o], ts, body: flv.subarray(o + 11, o + 11 + size) });
    o += 11 + size + 4;
  }
  if (tags.length === 0) throw new Error(`${path} has no FLV tags`);
  return tags;
}
