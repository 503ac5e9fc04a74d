/**
 * The RTMPS listener's certificate and key, read from PEM files (at start and on SIGHUP).
 * @module
 */

/** A certificate chain and its private key, as PEM text. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * Reads one PEM file; throws an Error naming `what` and the path (never the content) when it
 * cannot be read or holds no PEM block.
 */
export function readPemFile(path: string, what: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`Cannot read ${what} "${path}": ${e instanceof Error ? e.message : e}`);
  }
  if (!text.includes("-----BEGIN ")) throw new Error(`${what} "${path}" holds no PEM block`);
  return text;
}

/** Reads `--tls-cert` and `--tls-key`; throws as {@linkcode readPemFile} does. */
export function readPemPair(certPath: string, keyPath: string): PemPair {
  return { cert: readPemFile(certPath, "--tls-cert"), key: readPemFile(keyPath, "--tls-key") };
}
