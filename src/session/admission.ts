/**
 * Admission of new connections: at most so many in total and so many per remote address
 * (loopback peers are not counted per address, so local relays and load tests work).
 * @module
 */

/** Whether `host` is a loopback address. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Connection limits. */
export interface AdmissionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

/** Counts open connections and refuses those over the limits. */
export class Admission {
  #limits: AdmissionLimits;
  #total = 0;
  #perIp = new Map<string, number>();

  /** Creates an admission counter. */
  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /** Open connections. */
  get open(): number {
    return this.#total;
  }

  /** Admits a connection from `host` (counting it), or returns why not. */
  admit(host: string): string | null {
    const { maxConnections, maxConnectionsPerIp } = this.#limits;
    if (this.#total >= maxConnections) {
      return `Limit max-connections: ${maxConnections} connections are open`;
    }
    const mine = this.#perIp.get(host) ?? 0;
    if (!isLoopback(host) && mine >= maxConnectionsPerIp) {
      return `Limit max-connections-per-ip: ${maxConnectionsPerIp} connections from ${host}`;
    }
    this.#total++;
    this.#perIp.set(host, mine + 1);
    return null;
  }

  /** Forgets one admitted connection from `host`. */
  release(host: string): void {
    const left = (this.#perIp.get(host) ?? 1) - 1;
    if (left > 0) this.#perIp.set(host, left);
    else this.#perIp.delete(host);
    this.#total = Math.max(0, this.#total - 1);
  }
}
