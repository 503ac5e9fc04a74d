/**
 * Which stream names are being published, so that a second publisher to a live name is
 * refused.
 * @module
 */

/** Claims on `app/name` keys, one owner each. */
export class StreamHub {
  #owners = new Map<string, string>();

  /** Claims `key` for `owner`; false when someone else holds it. */
  claim(key: string, owner: string): boolean {
    const held = this.#owners.get(key);
    if (held !== undefined && held !== owner) return false;
    this.#owners.set(key, owner);
    return true;
  }

  /** Releases `key` if `owner` holds it. */
  release(key: string, owner: string): void {
    if (this.#owners.get(key) === owner) this.#owners.delete(key);
  }

  /** Whether `key` is being published. */
  isLive(key: string): boolean {
    return this.#owners.has(key);
  }

  /** Number of live publications. */
  get size(): number {
    return this.#owners.size;
  }
}
