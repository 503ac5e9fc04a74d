/**
 * The dashboard's HTML shell: static markup and styles; the data comes from the API in the
 * browser (see `client/dashboard.ts`), so the page itself holds nothing secret.
 * @module
 */

/** What the page passes to its script. */
export interface PageConfig {
  /** HTTP-FLV port on the same host, for previews; null turns previews off. */
  readonly flvPort: number | null;
}

/**
 * The page, with `config` as a JSON block the script reads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dashboardPage } from "./page.ts";
 *
 * assert.match(dashboardPage({ flvPort: 8081 }), /"flvPort":8081/);
 * ```
 */
export function dashboardPage(config: PageConfig): string {
  // `<` escaped so the JSON can never close the script element.
  const json = JSON.stringify(config).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rtmp-edge</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6eb; vertical-align: top; }
  th { font-weight: 600; background: #eef0f4; }
  .dim { color: #6b7280; font-size: 12px; }
  .spark { display: block; }
  .spark polyline { fill: none; stroke: #2563eb; stroke-width: 1.5; }
  .badge { display: inline-block; padding: 0 .5rem; border-radius: .6rem; font-weight: 600; background: #d1d5db; }
  .good .badge { background: #bbf7d0; color: #14532d; }
  .warning .badge { background: #fde68a; color: #713f12; }
  .bad .badge { background: #fecaca; color: #7f1d1d; }
  .reason { font-size: 12px; color: #4b5563; }
  #status { min-height: 1.2em; color: #92400e; }
  #preview video { width: 480px; max-width: 100%; background: #000; }
  form { margin: .5rem 0; }
</style>
</head>
<body>
<h1>rtmp-edge</h1>
<div class="dim"><span id="summary">Loading…</span> · <span id="updated"></span></div>
<div id="status" role="status"></div>
<form id="login" hidden>
  <label>API token <input id="token" type="password" autocomplete="off"></label>
  <button type="submit">Use</button>
</form>
<h2>Publishers</h2>
<table>
  <thead><tr><th>Stream</th><th>Encoder</th><th>Codecs</th><th>Bit rate</th><th>Health</th><th>Relays</th><th>Players</th><th></th></tr></thead>
  <tbody id="publishers"></tbody>
</table>
<p id="no-publishers" class="dim">No live publishers.</p>
<section id="preview" hidden>
  <h2 id="preview-title">Preview</h2>
  <video id="preview-video" muted autoplay playsinline controls></video>
  <div><button id="preview-close" type="button">Close preview</button></div>
</section>
<h2>Players</h2>
<table>
  <thead><tr><th>Stream</th><th>Protocol</th><th>Address</th><th>Lag</th><th>Frames skipped</th></tr></thead>
  <tbody id="players"></tbody>
</table>
<p id="no-players" class="dim">No players.</p>
<script id="config" type="application/json">${json}</script>
<script src="/dashboard.js"></script>
</body>
</html>
`;
}
