/**
 * What the command flows ask before a publish or a play starts, and what they get back.
 * @module
 */

/** A publish as the client asked for it. */
export interface PublishRequest {
  /** The app from connect. */
  readonly app: string;
  /** The stream name, without its query string. */
  readonly name: string;
  /** What followed `?` in the stream name, or null; may hold secrets, so it is never logged. */
  readonly query: string | null;
  /** The client's address, without the port. */
  readonly clientIp: string;
  /** The tcUrl from connect, without its query string, or null. */
  readonly tcUrl: string | null;
  /** The session asking. */
  readonly sessionId: string;
}

/**
 * What a publish gets: allowed (optionally renamed, with extra push targets for this publish,
 * recording turned on or off), or refused with a reason that is safe to log and show.
 */
export type PublishDecision =
  | {
    readonly allow: true;
    /** The name to publish as (stream key → channel name); the hub, recording and relays use it. */
    readonly name?: string;
    /** More `rtmp[s]://host[:port]/app` targets for this publish only. */
    readonly push?: readonly string[];
    /** Record this publish (true) or not (false); unset keeps the server's setting. */
    readonly record?: boolean;
  }
  | { readonly allow: false; readonly reason: string };

/** Decides a publish, at once or later (a webhook). */
export type PublishAuthorizer = (req: PublishRequest) => PublishDecision | Promise<PublishDecision>;

/** A play as the client asked for it (RTMP or HTTP-FLV). */
export interface PlayRequest {
  readonly app: string;
  /** The stream name, without its query string. */
  readonly name: string;
  /** What followed `?`, or null; may hold secrets, so it is never logged. */
  readonly query: string | null;
  /** The client's address, without the port. */
  readonly clientIp: string;
  /** The tcUrl from connect (RTMP), or null. */
  readonly tcUrl: string | null;
  /** The session asking (RTMP), or null when none exists yet (HTTP-FLV). */
  readonly sessionId: string | null;
  readonly protocol: "rtmp" | "http-flv";
}

/** What a play gets: allowed, or refused with a reason that is safe to log and show. */
export type PlayDecision =
  | { readonly allow: true }
  | { readonly allow: false; readonly reason: string };

/** Decides a play, at once or later (a webhook). */
export type PlayAuthorizer = (req: PlayRequest) => PlayDecision | Promise<PlayDecision>;

/**
 * The address part of a `host:port` remote address (IPv4, bracketed or bare IPv6, or a name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientIp } from "./authorizer.ts";
 *
 * assert.equal(clientIp("10.0.0.7:51234"), "10.0.0.7");
 * assert.equal(clientIp("[::1]:1935"), "::1");
 * assert.equal(clientIp("::1:1935"), "::1");
 * assert.equal(clientIp("unknown"), "unknown");
 * ```
 */
export function clientIp(remoteAddr: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(remoteAddr);
  if (bracketed !== null) return bracketed[1]!;
  const m = /^(.+):\d+$/.exec(remoteAddr);
  return m === null ? remoteAddr : m[1]!;
}
