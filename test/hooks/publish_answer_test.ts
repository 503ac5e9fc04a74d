import assert from "node:assert/strict";
import { decodePublishAnswer, type PublishAnswer } from "../../src/hooks/publish_answer.ts";

/** One table for what a 2xx body may say and what it decodes to. */
const GOOD: { name: string; text: string; decoded: PublishAnswer }[] = [
  { name: "empty body", text: "", decoded: {} },
  { name: "blank body", text: " \n", decoded: {} },
  { name: "empty object", text: "{}", decoded: {} },
  { name: "rename", text: '{"name":"ch1"}', decoded: { name: "ch1" } },
  { name: "record off", text: '{"record":false}', decoded: { record: false } },
  {
    name: "push targets",
    text: '{"push":["rtmp://a/live","rtmps://b:443/x"]}',
    decoded: { push: ["rtmp://a/live", "rtmps://b:443/x"] },
  },
  { name: "unknown keys ignored", text: '{"ok":true,"name":"n"}', decoded: { name: "n" } },
];

const BAD: { name: string; text: string; error: RegExp }[] = [
  { name: "html", text: "<html>", error: /^Webhook answer is not JSON$/ },
  { name: "truncated", text: '{"name":', error: /^Webhook answer is not JSON$/ },
  { name: "array", text: "[]", error: /^Webhook answer is malformed: / },
  { name: "string", text: '"ok"', error: /^Webhook answer is malformed: / },
  { name: "null", text: "null", error: /^Webhook answer is malformed: / },
  { name: "name number", text: '{"name":5}', error: /^Webhook answer is malformed at name: / },
  { name: "name empty", text: '{"name":""}', error: /at name/ },
  { name: "push not list", text: '{"push":"rtmp://a/live"}', error: /at push: / },
  { name: "push http", text: '{"push":["http://a/live"]}', error: /at push\.0: expected rtmp/ },
  { name: "push no app", text: '{"push":["rtmp://a"]}', error: /at push\.0/ },
  { name: "record string", text: '{"record":"no"}', error: /at record: / },
  {
    name: "too many pushes",
    text: JSON.stringify({ push: Array(17).fill("rtmp://a/live") }),
    error: /at push: /,
  },
];

Deno.test("decodePublishAnswer() decodes each good answer", () => {
  for (const { name, text, decoded } of GOOD) {
    assert.deepEqual(decodePublishAnswer(text), { answer: decoded }, name);
  }
});

Deno.test("decodePublishAnswer() names what is wrong with a bad answer, quoting no value", () => {
  for (const { name, text, error } of BAD) {
    const r = decodePublishAnswer(text);
    assert.ok("error" in r, name);
    assert.match(r.error, error, name);
    assert.doesNotMatch(r.error, /http:\/\/a|rtmp:\/\/a/, `${name}: quotes the value`);
  }
});
