import assert from "node:assert/strict";
import { decodeAmf0, encodeAmf0 } from "../../src/rtmp/amf0.ts";
import type { AmfValue } from "../../src/rtmp/amf_value.ts";
import { connectResult, decodeCommand, encodeCommand } from "../../src/rtmp/commands.ts";
import {
  answerEnhancedCaps,
  decodeEnhancedCaps,
  encodeEnhancedCaps,
  type EnhancedCaps,
  MAX_FOURCCS,
  SERVER_CAPS_EX,
} from "../../src/rtmp/enhanced_caps.ts";

const ascii = (s: string) => [...new TextEncoder().encode(s)];
const key = (s: string) => [0, s.length, ...ascii(s)];

/** One caps value and its AMF0 object bytes, for both directions. */
const CAPS: EnhancedCaps = {
  fourCcList: ["av01"],
  videoFourCcInfoMap: new Map([["hvc1", 4]]),
  audioFourCcInfoMap: new Map(),
  capsEx: 2,
};
const CAPS_AMF = new Uint8Array([
  0x03, // object
  ...key("fourCcList"),
  0x0a, // strict array
  0,
  0,
  0,
  1, // one element
  0x02,
  ...key("av01"),
  ...key("videoFourCcInfoMap"),
  0x03,
  ...key("hvc1"),
  0x00, // number 4.0
  0x40,
  0x10,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x09, // object end
  ...key("audioFourCcInfoMap"),
  0x03,
  0,
  0,
  0x09,
  ...key("capsEx"),
  0x00, // number 2.0
  0x40,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0x09,
]);

Deno.test("encodeEnhancedCaps() writes the spec's connect properties", () => {
  const obj = new Map<string, AmfValue>(encodeEnhancedCaps(CAPS));
  assert.deepEqual(encodeAmf0([obj]), CAPS_AMF);
});

Deno.test("decodeEnhancedCaps() reads the spec's connect properties", () => {
  const [obj] = decodeAmf0(CAPS_AMF);
  assert.ok(obj instanceof Map);
  assert.deepEqual(decodeEnhancedCaps(obj), CAPS);
});

Deno.test("decodeEnhancedCaps() is null for a legacy connect", () => {
  assert.equal(decodeEnhancedCaps(new Map([["app", "live"], ["flashVer", "FMLE/3.0"]])), null);
});

Deno.test("decodeEnhancedCaps() keeps 64 well-formed FourCCs, once each", () => {
  const list: AmfValue[] = ["hvc1", "hvc1", "toolong", 7, null];
  for (let i = 0; i < 1000; i++) list.push(`x${String(i).padStart(3, "0")}`);
  const caps = decodeEnhancedCaps(
    new Map<string, AmfValue>([["fourCcList", list], ["capsEx", 0x1ff]]),
  );
  assert.equal(caps?.fourCcList.length, MAX_FOURCCS);
  assert.deepEqual(caps?.fourCcList.slice(0, 2), ["hvc1", "x000"]);
  assert.equal(caps?.capsEx, 0xff);
});

Deno.test("answerEnhancedCaps() answers with the FourCCs we forward, CanForward each", () => {
  const answer = answerEnhancedCaps({ ...CAPS, fourCcList: ["hvc1", "Opus", "zzzz"] });
  assert.deepEqual(answer.fourCcList, ["hvc1", "Opus"]);
  assert.equal(answer.videoFourCcInfoMap.get("av01"), 0x04);
  assert.equal(answer.audioFourCcInfoMap.get("fLaC"), 0x04);
  assert.equal(answer.capsEx, SERVER_CAPS_EX);
  assert.equal(SERVER_CAPS_EX, 0x02 | 0x04 | 0x08); // Multitrack, ModEx, TimestampNanoOffset
  const any = answerEnhancedCaps({ ...CAPS, fourCcList: ["*"] });
  assert.ok(any.fourCcList.includes("vp09") && any.fourCcList.includes("ec-3"));
});

Deno.test("connectResult() carries the E-RTMP answer in its properties, and none without", () => {
  const answer = answerEnhancedCaps(CAPS);
  const cmd = decodeCommand(
    encodeCommand(connectResult({ transactionId: 1, enhanced: answer })),
    20,
  );
  assert.ok(cmd.commandObject instanceof Map);
  assert.deepEqual(decodeEnhancedCaps(cmd.commandObject), answer);
  assert.equal(cmd.commandObject.get("fmsVer"), "FMS/3,0,1,123");
  const legacy = decodeCommand(encodeCommand(connectResult({ transactionId: 1 })), 20);
  assert.ok(legacy.commandObject instanceof Map);
  assert.equal(decodeEnhancedCaps(legacy.commandObject), null);
});
