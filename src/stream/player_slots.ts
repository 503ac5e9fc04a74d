/**
 * The player limits, shared by RTMP and HTTP-FLV players: most players of one stream and
 * most players in total.
 * @module
 */

/** Options for {@linkcode PlayerSlots}. */
export interface PlayerSlotsOptions {
  readonly maxPlayers: number;
  readonly maxPlayersPerStream: number;
}

/** Counts players per stream key and in total; a player takes a slot and gives it back. */
export class PlayerSlots {
  #o: PlayerSlotsOptions;
  #total = 0;
  #byKey = new Map<string, number>();

  /** Creates the counter. */
  constructor(options: PlayerSlotsOptions) {
    this.#o = options;
  }

  /** Players now, in total. */
  get total(): number {
    return this.#total;
  }

  /**
   * Takes a slot for a player of `key`; returns null, or why not (the reason starts with
   * `Limit <flag>:` like the other limits).
   */
  take(key: string): string | null {
    if (this.#total >= this.#o.maxPlayers) {
      return `Limit max-players: ${this.#o.maxPlayers} players already`;
    }
    const n = this.#byKey.get(key) ?? 0;
    if (n >= this.#o.maxPlayersPerStream) {
      return `Limit max-players-per-stream: ${key} has ${n} players already`;
    }
    this.#byKey.set(key, n + 1);
    this.#total++;
    return null;
  }

  /** Gives back a slot taken for `key`. */
  release(key: string): void {
    const n = this.#byKey.get(key) ?? 0;
    if (n <= 0) return;
    if (n === 1) this.#byKey.delete(key);
    else this.#byKey.set(key, n - 1);
    this.#total--;
  }
}
