import assert from "node:assert/strict";
import { staleReason, targetOutputs } from "../../tools/build_wasm.ts";

const ASCONFIG = JSON.parse(
  await Deno.readTextFile(new URL("../../asconfig.json", import.meta.url)),
);

Deno.test("targetOutputs() reads the release and debug outputs of asconfig.json", () => {
  assert.deepEqual(targetOutputs(ASCONFIG, "release"), ["build/parser.wasm"]);
  assert.deepEqual(targetOutputs(ASCONFIG, "debug"), [
    "build/parser.debug.wasm",
    "build/parser.debug.wat",
    "build/parser.debug.wasm.map",
  ]);
  assert.throws(() => targetOutputs(ASCONFIG, "nope"), /no outFile for target nope/);
});

Deno.test("staleReason() asks for a build when an output is missing or older than an input", () => {
  const inputs = [
    { path: "asconfig.json", mtimeMs: 10 },
    { path: "assembly/chunk.ts", mtimeMs: 50 },
  ];
  const cases: {
    name: string;
    outputs: { path: string; mtimeMs: number | null }[];
    want: string | null;
  }[] = [
    { name: "fresh", outputs: [{ path: "a.wasm", mtimeMs: 50 }], want: null },
    { name: "missing", outputs: [{ path: "a.wasm", mtimeMs: null }], want: "a.wasm is missing" },
    {
      name: "older",
      outputs: [{ path: "a.wasm", mtimeMs: 49 }],
      want: "assembly/chunk.ts is newer than a.wasm",
    },
    {
      name: "one of two older",
      outputs: [{ path: "a.wasm", mtimeMs: 90 }, { path: "a.wat", mtimeMs: 20 }],
      want: "assembly/chunk.ts is newer than a.wat",
    },
    { name: "no outputs", outputs: [], want: "the target has no outputs" },
  ];
  for (const { name, outputs, want } of cases) {
    assert.equal(staleReason(inputs, outputs), want, name);
  }
});
