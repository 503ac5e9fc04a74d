import assert from "node:assert/strict";
import { join } from "node:path";
import {
  fileExists,
  formatUtc,
  isInside,
  MAX_NAME_SUFFIX,
  recordingPath,
  validateName,
} from "../../src/record/recording_path.ts";

const STARTED_AT = new Date(Date.UTC(2026, 10, 24, 13, 5, 1, 999));

Deno.test("recordingPath() names the file after the stream and the UTC start time", () => {
  const path = recordingPath({
    dir: "recordings",
    app: "live",
    stream: "test",
    startedAt: STARTED_AT,
    exists: () => false,
  });
  assert.equal(path, join("recordings", "live", "test-20261124T130501Z.flv"));
});

Deno.test("recordingPath() adds -1, -2… while the name is taken", () => {
  const taken = new Set([
    join("rec", "live", "cam-20261124T130501Z.flv"),
    join("rec", "live", "cam-20261124T130501Z-1.flv"),
  ]);
  const path = recordingPath({
    dir: "rec",
    app: "live",
    stream: "cam",
    startedAt: STARTED_AT,
    exists: (p) => taken.has(p),
  });
  assert.equal(path, join("rec", "live", "cam-20261124T130501Z-2.flv"));
});

Deno.test("recordingPath() gives up when every suffix is taken", () => {
  let asked = 0;
  const options = {
    dir: "rec",
    app: "live",
    stream: "cam",
    startedAt: STARTED_AT,
    exists: () => (asked++, true),
  };
  assert.throws(() => recordingPath(options), Deno.errors.AlreadyExists);
  assert.equal(asked, MAX_NAME_SUFFIX + 1);
});

Deno.test("recordingPath() refuses names that could leave the record directory", () => {
  const base = { dir: "rec", startedAt: STARTED_AT, exists: () => false };
  assert.throws(() => recordingPath({ ...base, app: "..", stream: "a" }), {
    name: "RangeError",
    message: 'App name refused: ".."',
  });
  assert.throws(() => recordingPath({ ...base, app: "live", stream: "../../etc/x" }), RangeError);
  assert.throws(() => recordingPath({ ...base, app: "live", stream: "" }), RangeError);
});

Deno.test("recordingPath() uses the file system by default", async () => {
  const dir = await Deno.makeTempDir({ prefix: "recording_path_test_" });
  try {
    const options = { dir, app: "live", stream: "s", startedAt: STARTED_AT };
    const first = recordingPath(options);
    await Deno.mkdir(join(dir, "live"));
    await Deno.writeFile(first, new Uint8Array());
    assert.equal(recordingPath(options), join(dir, "live", "s-20261124T130501Z-1.flv"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const NAMES: { name: string; input: unknown; valid: boolean }[] = [
  { name: "a plain name", input: "live", valid: true },
  { name: "letters, digits, dot, dash and underscore", input: "Cam_1.main-HD", valid: true },
  { name: "a name of 256 bytes", input: "a".repeat(256), valid: true },
  { name: "a name starting with a dot", input: ".hidden", valid: true },
  { name: "three dots", input: "...", valid: true },
  { name: "an empty name", input: "", valid: false },
  { name: "a name of 257 bytes", input: "a".repeat(257), valid: false },
  { name: "a single dot", input: ".", valid: false },
  { name: "two dots", input: "..", valid: false },
  { name: "a slash", input: "a/b", valid: false },
  { name: "a backslash", input: "a\\b", valid: false },
  { name: "a query string", input: "s?key=1", valid: false },
  { name: "a space", input: "a b", valid: false },
  { name: "a NUL byte", input: "a\0", valid: false },
  { name: "non-ASCII letters", input: "cámara", valid: false },
  { name: "a number", input: 42, valid: false },
  { name: "null", input: null, valid: false },
  { name: "an object", input: { toString: () => "live" }, valid: false },
];

for (const v of NAMES) {
  Deno.test(`validateName() ${v.valid ? "accepts" : "refuses"} ${v.name}`, () => {
    assert.equal(validateName(v.input), v.valid ? v.input : null);
  });
}

const INSIDE: { dir: string; path: string; inside: boolean }[] = [
  { dir: "rec", path: "rec/live/a.flv", inside: true },
  { dir: "./rec/", path: "rec/a.flv", inside: true },
  { dir: "rec", path: "rec/..a.flv", inside: true },
  { dir: "/srv/rec", path: "/srv/rec/live/a.flv", inside: true },
  { dir: "rec", path: "rec", inside: false },
  { dir: "rec", path: "rec/../a.flv", inside: false },
  { dir: "rec", path: "rec/live/../../a.flv", inside: false },
  { dir: "rec", path: "recordings/a.flv", inside: false },
  { dir: "/srv/rec", path: "/etc/passwd", inside: false },
  { dir: "rec", path: "/tmp/a.flv", inside: false },
];

for (const v of INSIDE) {
  Deno.test(`isInside() says ${v.path} is ${v.inside ? "" : "not "}inside ${v.dir}`, () => {
    assert.equal(isInside(v.dir, v.path), v.inside);
  });
}

Deno.test("formatUtc() formats in UTC whatever the time zone and refuses invalid dates", () => {
  assert.equal(formatUtc(new Date("2026-01-02T03:04:05.678+09:00")), "20260101T180405Z");
  assert.throws(() => formatUtc(new Date(NaN)), RangeError);
});

Deno.test("fileExists() tells a missing path from an existing one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "recording_path_test_" });
  try {
    assert.equal(fileExists(dir), true);
    assert.equal(fileExists(join(dir, "missing.flv")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
