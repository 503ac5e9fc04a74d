/// <reference lib="dom" />
/**
 * The dashboard's browser code: polls `/api/sessions` once a second and draws live publishers
 * (codecs, bit rate with a sparkline, health, relays, players) with a kick button and an HTTP-FLV
 * preview through mpegts.js. Bundled by `deno task build:dashboard` into `build/dashboard.js`.
 * Everything a client sent (names, encoder strings) goes into the page as text, never as HTML.
 * @module
 */

import * as mpegtsModule from "mpegts.js";

/** The part of mpegts.js the preview uses (its typings do not survive the CommonJS import). */
interface MpegtsApi {
  isSupported(): boolean;
  createPlayer(source: { type: "flv"; isLive: boolean; url: string }): PreviewPlayer;
  readonly Events: { readonly ERROR: string };
}

/** A preview player: an MSE player of one HTTP-FLV URL. */
interface PreviewPlayer {
  on(event: string, listener: (type: string, detail: string) => void): void;
  attachMediaElement(media: HTMLMediaElement): void;
  load(): void;
  play(): Promise<void> | void;
  destroy(): void;
}

/** mpegts.js is CommonJS: its API is the default export, or the module itself. */
const mpegts = ((mpegtsModule as unknown as { default?: MpegtsApi }).default ??
  mpegtsModule) as unknown as MpegtsApi;

/** What the page tells the script (from the `#config` JSON block). */
interface PageConfig {
  /** HTTP-FLV port on the same host, or null when previews are off. */
  flvPort: number | null;
}

/** The parts of a session (see src/session/session_info.ts) the dashboard draws. */
interface Session {
  id: string;
  state: string;
  remoteAddr: string;
  app: string | null;
  streamName: string | null;
  encoder: string | null;
  role: "publisher" | "player" | null;
  protocol: string;
  bitrateKbps: number;
  publishStartedAt: string | null;
  video: { codec: string | null; width: number | null; height: number | null; fps: number | null };
  audio: { codec: string | null; sampleRate: number | null; channels: number | null };
  relays: { target: string; state: string }[];
  players: number;
  player: { key: string; lagMs: number; framesSkipped: number } | null;
  health?: { status: string; reasons: string[]; bitrate1s?: number; fps?: number } | null;
}

/** Bit rate points kept per session: five minutes at one poll a second. */
const HISTORY = 300;
const POLL_MS = 1_000;
const TOKEN_KEY = "rtmp-edge-token";

const config = JSON.parse(byId("config").textContent ?? "{}") as PageConfig;
const history = new Map<string, number[]>();
const rows = new Map<string, HTMLTableRowElement>();
let preview: { player: PreviewPlayer; key: string } | null = null;

function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing from the page`);
  return el;
}

/** An element with text content and attributes; children appended in order. */
function h(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

function authHeaders(): HeadersInit {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

function status(text: string): void {
  byId("status").textContent = text;
}

/** A stream's bit rate in kbit/s: the health figure over 1 s when there is one. */
function kbps(s: Session): number {
  const b = s.health?.bitrate1s;
  return typeof b === "number" ? Math.round(b / 1000) : s.bitrateKbps;
}

/** An SVG polyline of the last points, scaled to its own peak. */
function sparkline(points: number[]): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("width", "160");
  svg.setAttribute("height", "32");
  svg.setAttribute("class", "spark");
  const peak = Math.max(1, ...points);
  const line = document.createElementNS(ns, "polyline");
  // At least a minute wide, so the first seconds do not crowd into the right edge.
  const span = Math.max(60, points.length);
  const step = 160 / (span - 1);
  const start = span - points.length;
  line.setAttribute(
    "points",
    points.map((p, i) => `${((start + i) * step).toFixed(1)},${(31 - p / peak * 30).toFixed(1)}`)
      .join(" "),
  );
  svg.append(line);
  return svg;
}

function codecs(s: Session): string {
  const v = s.video;
  const a = s.audio;
  const video = v.codec === null ? "no video" : `${v.codec} ${v.width ?? "?"}x${v.height ?? "?"}` +
    (v.fps === null ? "" : ` @ ${v.fps.toFixed(1)} fps`);
  const audio = a.codec === null
    ? "no audio"
    : `${a.codec} ${a.sampleRate ?? "?"} Hz ${a.channels ?? "?"} ch`;
  return `${video}, ${audio}`;
}

async function kick(s: Session): Promise<void> {
  const res = await fetch(`/api/sessions/${encodeURIComponent(s.id)}`, {
    method: "DELETE",
    headers: authHeaders(),
  });
  status(
    res.ok ? `Dropped ${s.app}/${s.streamName}` : `Kick failed: ${(await res.json()).error}`,
  );
}

function showPreview(key: string): void {
  closePreview();
  if (config.flvPort === null || !mpegts.isSupported()) {
    status("Preview needs HTTP-FLV and Media Source Extensions");
    return;
  }
  const video = byId("preview-video") as HTMLVideoElement;
  const url = `${location.protocol}//${location.hostname}:${config.flvPort}/${key}.flv`;
  const player = mpegts.createPlayer({ type: "flv", isLive: true, url });
  player.on(mpegts.Events.ERROR, (type: string, detail: string) => {
    status(`Preview of ${key}: ${type} ${detail}`);
  });
  player.attachMediaElement(video);
  player.load();
  void Promise.resolve(player.play()).catch(() => {/* autoplay refused: controls remain */});
  preview = { player, key };
  byId("preview-title").textContent = `Preview: ${key}`;
  byId("preview").hidden = false;
}

function closePreview(): void {
  if (preview === null) return;
  preview.player.destroy();
  preview = null;
  byId("preview").hidden = true;
}

function publisherRow(s: Session): HTMLTableRowElement {
  const key = `${s.app}/${s.streamName}`;
  const points = history.get(s.id) ?? [];
  const health = s.health ?? null;
  const healthCell = h(
    "td",
    { class: `health ${health?.status ?? "unknown"}`, "data-health": health?.status ?? "" },
    h("span", { class: "badge" }, health?.status ?? "n/a"),
  );
  for (const r of health?.reasons ?? []) healthCell.append(h("div", { class: "reason" }, r));
  const relays = s.relays.length === 0
    ? "none"
    : s.relays.map((r) => `${r.target} (${r.state})`).join(", ");
  const kickButton = h("button", { class: "kick", type: "button" }, "Kick");
  kickButton.addEventListener("click", () => void kick(s));
  const previewButton = h("button", { class: "preview", type: "button" }, "Preview");
  previewButton.addEventListener("click", () => showPreview(key));
  const row = h(
    "tr",
    { "data-session": s.id, "data-key": key },
    h("td", {}, h("strong", {}, key), h("div", { class: "dim" }, s.remoteAddr)),
    h("td", {}, s.encoder ?? "unknown"),
    h("td", {}, codecs(s)),
    h(
      "td",
      { class: "bitrate" },
      h("span", { class: "kbps" }, `${kbps(s)} kbps`),
      sparkline(points),
    ),
    healthCell,
    h("td", {}, relays),
    h("td", { class: "players" }, String(s.players)),
    h("td", {}, kickButton, " ", previewButton),
  ) as HTMLTableRowElement;
  return row;
}

function playerRow(s: Session): HTMLTableRowElement {
  return h(
    "tr",
    { "data-session": s.id },
    h("td", {}, s.player?.key ?? "?"),
    h("td", {}, s.protocol),
    h("td", {}, s.remoteAddr),
    h("td", {}, `${s.player?.lagMs ?? 0} ms`),
    h("td", {}, String(s.player?.framesSkipped ?? 0)),
  ) as HTMLTableRowElement;
}

function render(sessions: Session[]): void {
  const live = sessions.filter((s) => s.state !== "closed");
  const publishers = live.filter((s) => s.role === "publisher");
  const players = live.filter((s) => s.role === "player");
  for (const s of publishers) {
    const points = history.get(s.id) ?? [];
    points.push(kbps(s));
    if (points.length > HISTORY) points.shift();
    history.set(s.id, points);
  }
  for (const id of history.keys()) {
    if (!publishers.some((s) => s.id === id)) history.delete(id);
  }
  const body = byId("publishers");
  rows.clear();
  body.replaceChildren(...publishers.map((s) => {
    const row = publisherRow(s);
    rows.set(s.id, row);
    return row;
  }));
  byId("no-publishers").hidden = publishers.length > 0;
  byId("players").replaceChildren(...players.map(playerRow));
  byId("no-players").hidden = players.length > 0;
  byId("summary").textContent =
    `${publishers.length} publishing, ${players.length} playing, ${live.length} connected`;
}

async function poll(): Promise<void> {
  try {
    const res = await fetch("/api/sessions", { headers: authHeaders() });
    if (res.status === 401) {
      byId("login").hidden = false;
      status("The API needs its token");
      return;
    }
    byId("login").hidden = true;
    if (!res.ok) {
      status(`API answered ${res.status}`);
      return;
    }
    const { sessions } = await res.json() as { sessions: Session[] };
    render(sessions);
    byId("updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    status(`API unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
}

byId("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = byId("token") as HTMLInputElement;
  sessionStorage.setItem(TOKEN_KEY, input.value.trim());
  input.value = "";
  void poll();
});
byId("preview-close").addEventListener("click", closePreview);

void poll();
setInterval(() => void poll(), POLL_MS);
