/**
 * What the command flow asks before a publish starts, and what it gets back.
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
}

/** Decides a publish: null allows it, a string is the refusal reason (safe to log and show). */
export type PublishAuthorizer = (req: PublishRequest) => string | null;
