import assert from "node:assert/strict";
import {
  type Command,
  connectResult,
  createStreamResult,
  decodeCommand,
  decodeData,
  encodeCommand,
  errorResult,
  metadataFromDataMessage,
  onBWDone,
  onFCPublish,
  onStatus,
  resultNull,
} from "../../src/rtmp/commands.ts";
import { encodeAmf0 } from "../../src/rtmp/amf0.ts";
import { AmfError, CommandError } from "../../src/errors.ts";
import { AmfEcmaArray, type AmfValue } from "../../src/rtmp/amf_value.ts";

function ascii(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}

/** AMF0 string value: marker, u16 length, bytes. */
function str(text: string): number[] {
  return [0x02, 0x00, text.length, ...ascii(text)];
}

/** AMF0 object member name: u16 length, bytes. */
function key(text: string): number[] {
  return [0x00, text.length, ...ascii(text)];
}

/**
 * What FFmpeg 5.1 (Lavf59.27.100) sends to publish `rtmp://127.0.0.1:43945/live/t`:
 * captured from `ffmpeg -f flv rtmp://…` against a bare handshake, 140 bytes.
 */
// deno-fmt-ignore
const FFMPEG_CONNECT = [
  0x02, 0x00, 0x07, ...ascii("connect"), // command name
  0x00, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 1
  0x03, // command object
  0x00, 0x03, ...ascii("app"), // name "app"
  0x02, 0x00, 0x04, ...ascii("live"), // "live"
  0x00, 0x04, ...ascii("type"), // name "type"
  0x02, 0x00, 0x0a, ...ascii("nonprivate"), // "nonprivate" (publishing only)
  0x00, 0x08, ...ascii("flashVer"), // name "flashVer"
  0x02, 0x00, 0x24, ...ascii("FMLE/3.0 (compatible; Lavf59.27.100)"),
  0x00, 0x05, ...ascii("tcUrl"), // name "tcUrl"
  0x02, 0x00, 0x1b, ...ascii("rtmp://127.0.0.1:43945/live"),
  0x00, 0x00, 0x09, // object end
];

const NULL = 0x05;

/** Encoded by encodeCommand and decoded by decodeCommand(…, 20): both directions must match. */
// deno-fmt-ignore
const VECTORS: { name: string; decoded: Command; encoded: number[] }[] = [
  {
    name: "FFmpeg's connect",
    decoded: {
      name: "connect",
      transactionId: 1,
      commandObject: new Map([
        ["app", "live"],
        ["type", "nonprivate"],
        ["flashVer", "FMLE/3.0 (compatible; Lavf59.27.100)"],
        ["tcUrl", "rtmp://127.0.0.1:43945/live"],
      ]),
      args: [],
    },
    encoded: FFMPEG_CONNECT,
  },
  {
    name: "FFmpeg's releaseStream",
    decoded: { name: "releaseStream", transactionId: 2, commandObject: null, args: ["t"] },
    encoded: [
      ...str("releaseStream"),
      0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 2
      NULL, // command object
      ...str("t"), // stream name
    ],
  },
  {
    name: "FFmpeg's publish",
    decoded: { name: "publish", transactionId: 5, commandObject: null, args: ["t", "live"] },
    encoded: [
      ...str("publish"),
      0x00, 0x40, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 5
      NULL, // command object
      ...str("t"), // stream name
      ...str("live"), // publishing type
    ],
  },
  {
    name: "connectResult()",
    decoded: connectResult({ transactionId: 1, objectEncoding: 0 }),
    encoded: [
      ...str("_result"),
      0x00, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 1
      0x03, // properties
      ...key("fmsVer"), ...str("FMS/3,0,1,123"),
      ...key("capabilities"), 0x00, 0x40, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 31
      0x00, 0x00, 0x09, // object end
      0x03, // information
      ...key("level"), ...str("status"),
      ...key("code"), ...str("NetConnection.Connect.Success"),
      ...key("description"), ...str("Connection succeeded."),
      ...key("objectEncoding"), 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 0
      0x00, 0x00, 0x09, // object end
    ],
  },
  {
    name: "onBWDone()",
    decoded: onBWDone(),
    encoded: [
      ...str("onBWDone"),
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 0
      NULL, // command object
    ],
  },
  {
    name: "resultNull()",
    decoded: resultNull(2),
    encoded: [
      ...str("_result"),
      0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 2
      NULL, // command object
    ],
  },
  {
    name: "onFCPublish()",
    decoded: onFCPublish("NetStream.Publish.Start", "t"),
    encoded: [
      ...str("onFCPublish"),
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 0
      NULL, // command object
      0x03, // information
      ...key("level"), ...str("status"),
      ...key("code"), ...str("NetStream.Publish.Start"),
      ...key("description"), ...str("t"),
      0x00, 0x00, 0x09, // object end
    ],
  },
  {
    name: "createStreamResult()",
    decoded: createStreamResult(4, 1),
    encoded: [
      ...str("_result"),
      0x00, 0x40, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 4
      NULL, // command object
      0x00, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // stream id 1
    ],
  },
  {
    name: "onStatus() with details",
    decoded: onStatus({
      level: "status",
      code: "NetStream.Publish.Start",
      description: "t is now published",
      details: "t",
    }),
    encoded: [
      ...str("onStatus"),
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 0
      NULL, // command object
      0x03, // information
      ...key("level"), ...str("status"),
      ...key("code"), ...str("NetStream.Publish.Start"),
      ...key("description"), ...str("t is now published"),
      ...key("details"), ...str("t"),
      0x00, 0x00, 0x09, // object end
    ],
  },
  {
    name: "errorResult()",
    decoded: errorResult(6, "No such call"),
    encoded: [
      ...str("_error"),
      0x00, 0x40, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // transaction id 6
      NULL, // command object
      0x03, // information
      ...key("level"), ...str("error"),
      ...key("code"), ...str("NetConnection.Call.Failed"),
      ...key("description"), ...str("No such call"),
      0x00, 0x00, 0x09, // object end
    ],
  },
];

for (const v of VECTORS) {
  Deno.test(`encodeCommand() encodes ${v.name}`, () => {
    assert.deepEqual(encodeCommand(v.decoded), new Uint8Array(v.encoded));
  });
  Deno.test(`decodeCommand() decodes ${v.name}`, () => {
    assert.deepStrictEqual(decodeCommand(new Uint8Array(v.encoded), 20), v.decoded);
  });
}

Deno.test("decodeCommand() skips the format byte of an AMF3 command", () => {
  const body = new Uint8Array([0x00, ...FFMPEG_CONNECT]);
  assert.deepStrictEqual(decodeCommand(body, 17), decodeCommand(body.subarray(1), 20));
});

Deno.test("decodeCommand() rejects an AMF3 command without its format byte", () => {
  const body = new Uint8Array(FFMPEG_CONNECT);
  assert.throws(() => decodeCommand(body, 17), AmfError);
  assert.throws(() => decodeCommand(body, 17), /format byte 0x00: got 0x2/);
  assert.throws(() => decodeCommand(new Uint8Array(), 17), /got an empty body/);
});

Deno.test("decodeCommand() gives a missing command object as null", () => {
  const cmd = decodeCommand(encodeAmf0(["_checkbw", 6]), 20);
  assert.deepStrictEqual(cmd, {
    name: "_checkbw",
    transactionId: 6,
    commandObject: null,
    args: [],
  });
});

Deno.test("decodeCommand() refuses a name that is not a string", () => {
  const check = (values: AmfValue[], message: RegExp) => {
    assert.throws(() => decodeCommand(encodeAmf0(values), 20), (e: unknown) => {
      assert.ok(e instanceof CommandError, String(e));
      assert.match(e.message, message);
      return true;
    });
  };
  check([], /Command name must be a string: got nothing/);
  check([1, 1, null], /Command name must be a string: got number/);
  check([new Map(), 1], /got object/);
});

Deno.test("decodeCommand() refuses a transaction id that is not a number", () => {
  const check = (values: AmfValue[], message: RegExp) => {
    assert.throws(() => decodeCommand(encodeAmf0(values), 20), (e: unknown) => {
      assert.ok(e instanceof CommandError, String(e));
      assert.match(e.message, message);
      return true;
    });
  };
  check(["connect"], /Command connect transaction id must be a finite number: got nothing/);
  check(["connect", "1", null], /got 1/);
  check(["connect", NaN, null], /got NaN/);
});

Deno.test("decodeCommand() rejects a 1 MiB connect string with maxStringBytes", () => {
  const app = "a".repeat(1 << 20);
  const body = encodeAmf0(["connect", 1, new Map([["app", app]])]);
  assert.throws(
    () => decodeCommand(body, 20),
    /AMF0 long string at offset 30 is 1048576 bytes: limit is 65536/,
  );
  const big = decodeCommand(body, 20, { maxStringBytes: 1 << 20 });
  assert.equal((big.commandObject as Map<string, AmfValue>).get("app"), app);
});

Deno.test("decodeCommand() rejects a 1 MiB connect object with maxElements", () => {
  const obj = new Map<string, AmfValue>();
  for (let i = 0; i < 120_000; i++) obj.set(`k${i}`, null);
  const body = encodeAmf0(["connect", 1, obj]);
  assert.ok(body.length >= 1 << 20, `body is ${body.length} bytes`);
  assert.throws(
    () => decodeCommand(body, 20),
    /AMF0 object at offset 19 has 1025 elements: limit is 1024/,
  );
});

// deno-fmt-ignore
const SET_DATA_FRAME = [
  ...str("@setDataFrame"),
  ...str("onMetaData"),
  0x08, 0x00, 0x00, 0x00, 0x03, // ECMA array, count 3
  ...key("duration"), 0x00, 0x40, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 3
  ...key("width"), 0x00, 0x40, 0x74, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 320
  ...key("encoder"), ...str("Lavf59.27.100"),
  0x00, 0x00, 0x09, // object end
];

const METADATA = new AmfEcmaArray([
  ["duration", 3],
  ["width", 320],
  ["encoder", "Lavf59.27.100"],
]);

Deno.test("decodeData() decodes FFmpeg's @setDataFrame onMetaData", () => {
  const values = decodeData(new Uint8Array(SET_DATA_FRAME), 18);
  assert.deepStrictEqual(values, ["@setDataFrame", "onMetaData", METADATA]);
  assert.deepStrictEqual(metadataFromDataMessage(values), METADATA);
});

Deno.test("decodeData() skips the format byte of AMF3 data", () => {
  const values = decodeData(new Uint8Array([0x00, ...SET_DATA_FRAME]), 15);
  assert.deepStrictEqual(values, ["@setDataFrame", "onMetaData", METADATA]);
  assert.throws(() => decodeData(new Uint8Array(SET_DATA_FRAME), 15), /AMF3 data message/);
});

Deno.test("metadataFromDataMessage() accepts onMetaData without @setDataFrame", () => {
  const obj = new Map([["width", 1280]]);
  assert.equal(metadataFromDataMessage(["onMetaData", obj]), obj);
});

Deno.test("metadataFromDataMessage() returns null for anything else", () => {
  const obj = new Map([["width", 1280]]);
  assert.equal(metadataFromDataMessage(["onCuePoint", obj]), null);
  assert.equal(metadataFromDataMessage(["@setDataFrame", "onMetaData", "x"]), null);
  assert.equal(metadataFromDataMessage(["@setDataFrame", obj]), null);
  assert.equal(metadataFromDataMessage([]), null);
});

Deno.test("connectResult() echoes objectEncoding and defaults it to 0", () => {
  const info = (cmd: Command) => cmd.args[0] as Map<string, AmfValue>;
  assert.equal(
    info(connectResult({ transactionId: 1, objectEncoding: 3 })).get("objectEncoding"),
    3,
  );
  assert.equal(info(connectResult({ transactionId: 1 })).get("objectEncoding"), 0);
});

Deno.test("onStatus() leaves out details when none are given", () => {
  const cmd = onStatus({ level: "error", code: "NetStream.Publish.BadName", description: "Busy" });
  assert.deepEqual([...(cmd.args[0] as Map<string, AmfValue>).keys()], [
    "level",
    "code",
    "description",
  ]);
});

Deno.test("createStreamResult() refuses stream id 0, which GStreamer rejects", () => {
  assert.throws(() => createStreamResult(4, 0), CommandError);
  assert.throws(() => createStreamResult(4, 1.5), /Stream id must be a positive integer: got 1.5/);
});
