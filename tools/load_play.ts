/**
 * The load tool's player mode: N players, and optionally the publishers in the same process
 * so that players can measure delivery lag against the publisher's own write times.
 *
 * ```
 * publishers connect ─ sending ─ join delay ─ players connect ─ playing ──── stop ─ drain
 *                                                                  │ window │
 * ```
 *
 * The "playing" and "stopped" phases bound the measured window (bytes, CPU); frames due to a
 * player are the frames sent on its stream from the first one it received, per track.
 * @module
 */

import process from "node:process";
import { parseRtmpUrl } from "../src/client/publisher.ts";
import { LagHistogram } from "./lag_histogram.ts";
import { LoadPlayer } from "./load_player.ts";
import { type LoadReport, runLoad } from "./load_run.ts";
import { SendLog } from "./load_send_log.ts";
import { LoopDelay } from "./loop_delay.ts";
import { type PlayReport, playReport, type WindowResult } from "./load_play_report.ts";

export type { PlayerSummary, PlayReport } from "./load_play_report.ts";

/** What {@linkcode runPlay} does. */
export interface PlayOptions {
  /** `rtmp://host:port/app/name`. With publishers here, player j plays `name-(j mod P + 1)`. */
  readonly url: string;
  readonly players: number;
  /** Playing time, from the moment every player has started (or failed to). */
  readonly seconds: number;
  /** The FLV to publish from this process, or null to play a stream published elsewhere. */
  readonly flv: Uint8Array | null;
  /** Publishers in this process (default 1; ignored without `flv`). */
  readonly publishers?: number;
  /** Time from the start of sending to the first player's connect (default 1000 ms). */
  readonly joinAfterMs?: number;
  /** Players connecting at once (default 20). */
  readonly connectParallel?: number;
  /** Progress: sending, playing, stopped; a driver samples the server around them. */
  readonly onPhase?: (phase: "sending" | "playing" | "stopped", detail: string) => void;
}

const START_TIMEOUT_MS = 10_000;
const DRAIN_MS = 10_000;
const QUIET_MS = 2_000;
/** Allowance for the players' connects inside the publisher's sending time. */
const JOIN_ALLOWANCE_S = 10;

/** Runs players (and publishers); resolves once all are closed. */
export async function runPlay(opts: PlayOptions): Promise<PlayReport> {
  if (!(opts.players >= 1 && opts.seconds > 0)) {
    throw new RangeError(`Need players >= 1 and seconds > 0: got ${opts.players}, ${opts.seconds}`);
  }
  const publishers = opts.flv === null ? 0 : opts.publishers ?? 1;
  const logs = Array.from({ length: publishers }, () => new SendLog());
  const lag = new LagHistogram();
  const u = parseRtmpUrl(opts.url);
  const players = Array.from({ length: opts.players }, (_, j) =>
    new LoadPlayer({
      ...u,
      stream: publishers === 0 ? u.stream : withSuffix(u.stream, (j % publishers) + 1),
      log: publishers === 0 ? null : logs[j % publishers]!,
      lag,
    }));
  const window = new Window(players);
  let publish: LoadReport | null = null;
  if (opts.flv === null) {
    await startAll(players, opts.connectParallel ?? 20);
    window.open(opts.onPhase);
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    window.close(opts.onPhase);
  } else {
    let joined: Promise<void> = Promise.resolve();
    let stop = () => {};
    const stopped = new Promise<void>((r) => stop = r);
    publish = await runLoad({
      url: opts.url,
      flv: opts.flv,
      publishers,
      seconds: (opts.joinAfterMs ?? 1000) / 1000 + JOIN_ALLOWANCE_S + opts.seconds,
      sendLogs: logs,
      stop: stopped,
      onPhase: (phase, detail) => {
        if (phase === "sending") {
          opts.onPhase?.("sending", detail);
          joined = new Promise((r) => setTimeout(r, opts.joinAfterMs ?? 1000))
            .then(() => startAll(players, opts.connectParallel ?? 20))
            .then(() => window.open(opts.onPhase))
            .then(() => new Promise((r) => setTimeout(r, opts.seconds * 1000)))
            .then(stop);
        } else {
          window.close(opts.onPhase);
        }
      },
    });
    await joined;
    await drain(players, logs);
  }
  await Promise.all(players.map((p) => p.close()));
  return playReport({ players, logs, lag, publish, window: window.result() });
}

/** The measured window: wall time, bytes the players read, this process's CPU. */
class Window {
  #players: readonly LoadPlayer[];
  #t0 = NaN;
  #t1 = NaN;
  #b0 = 0;
  #b1 = 0;
  #c0 = 0;
  #c1 = 0;
  #delay = new LoopDelay();

  constructor(players: readonly LoadPlayer[]) {
    this.#players = players;
  }

  open(onPhase: PlayOptions["onPhase"]): void {
    [this.#t0, this.#b0, this.#c0] = [performance.now(), this.#bytes(), cpuSeconds()];
    this.#delay.start();
    const ok = this.#players.filter((p) => p.error === null).length;
    onPhase?.("playing", `${ok} of ${this.#players.length} players started`);
  }

  close(onPhase: PlayOptions["onPhase"]): void {
    if (Number.isNaN(this.#t0) || !Number.isNaN(this.#t1)) return;
    [this.#t1, this.#b1, this.#c1] = [performance.now(), this.#bytes(), cpuSeconds()];
    this.#delay.stop();
    onPhase?.("stopped", `after ${((this.#t1 - this.#t0) / 1000).toFixed(1)} s of playing`);
  }

  result(): WindowResult {
    this.#delay.stop();
    const seconds = (this.#t1 - this.#t0) / 1000;
    const delay = this.#delay.histogram;
    if (!(seconds > 0)) return { seconds: 0, bytes: 0, toolCpuPercent: null, delay };
    return {
      seconds,
      delay,
      bytes: this.#b1 - this.#b0,
      toolCpuPercent: (100 * (this.#c1 - this.#c0)) / seconds,
    };
  }

  #bytes(): number {
    return this.#players.reduce((n, p) => n + p.bytes, 0);
  }
}

async function startAll(players: readonly LoadPlayer[], parallel: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < players.length) {
      const p = players[next++]!;
      try {
        await p.start(START_TIMEOUT_MS);
      } catch (e) {
        p.error ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
}

/** Waits until every live player has the last frame sent on its stream, or is quiet. */
async function drain(players: readonly LoadPlayer[], logs: readonly SendLog[]): Promise<void> {
  const end = performance.now() + DRAIN_MS;
  const behind = (p: LoadPlayer, j: number) => {
    if (p.error !== null || p.closed || performance.now() - p.lastReadMs > QUIET_MS) return false;
    const log = logs[j % logs.length]!;
    return ([0, 1] as const).some((t) =>
      log.count(t) > 0 && !(p.lastTs[t]! >= log.lastTimestamp(t))
    );
  };
  while (performance.now() < end && players.some(behind)) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

function withSuffix(stream: string, i: number): string {
  const q = stream.indexOf("?");
  return q < 0 ? `${stream}-${i}` : `${stream.slice(0, q)}-${i}${stream.slice(q)}`;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
