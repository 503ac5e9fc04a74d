/**
 * Rewrites `test/fixtures/media/*.bin` from ffmpeg (see `ffmpeg_cases.ts`):
 * `deno run -A test/media/make_fixtures.ts`. The golden tables in the tests name what each
 * fixture must decode to; rerun them after regenerating, since encoders change.
 * @module
 */

import { FFMPEG_CASES, runFfmpeg } from "./ffmpeg_cases.ts";

const dir = await Deno.makeTempDir({ prefix: "media_fixtures_" });
try {
  for (const c of FFMPEG_CASES) {
    const { out } = await runFfmpeg(c, dir);
    const body = c.extract(out);
    await Deno.writeFile(new URL(`../fixtures/media/${c.name}.bin`, import.meta.url), body);
    console.log(`${c.name}: ${body.length} bytes`);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
