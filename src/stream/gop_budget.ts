/**
 * One bound on the memory every GOP cache of a server holds together (`--gop-cache-total-bytes`).
 * Each cache opens an account and asks it before its store grows. When the bound is reached, a
 * stream someone watches (players, relays) takes room from streams nobody watches (no consumer,
 * or only a recording), largest first; a stream nobody watches caches only while there is room.
 * @module
 */

/** What the budget needs to know of the cache behind an account. */
export interface GopHolder {
  /** Whether its stream has players or relays (kept before streams that only record). */
  watched(): boolean;
  /** Drops everything it caches and sizes its account to what it then holds (0). */
  evict(): void;
}

/** What {@linkcode GopBudget} shows (API, metrics). */
export interface GopBudgetView {
  /** The bound in bytes; 0: none. */
  readonly totalBytes: number;
  /** Bytes the caches hold or have booked for the GOP they are filling. */
  readonly usedBytes: number;
  /** Caches dropped to make room for a watched stream, since the server started. */
  readonly evictions: number;
}

/**
 * The server-wide GOP cache bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GopBudget } from "./gop_budget.ts";
 *
 * const budget = new GopBudget(100);
 * const idle = budget.open({ watched: () => false, evict: () => idle.resize(0) });
 * const played = budget.open({ watched: () => true, evict: () => played.resize(0) });
 * assert.ok(idle.resize(80));
 * assert.ok(!idle.resize(120)); // over the bound: refused, nothing changes
 * assert.ok(played.resize(50)); // a watched stream takes the room of an unwatched one
 * assert.equal(idle.bytes, 0);
 * assert.deepEqual(budget.view(), { totalBytes: 100, usedBytes: 50, evictions: 1 });
 * ```
 */
export class GopBudget {
  readonly #total: number;
  #used = 0;
  #evictions = 0;
  readonly #accounts = new Set<GopAccount>();

  /** A bound of `totalBytes` shared by every account (0: no bound, only counting). */
  constructor(totalBytes: number) {
    this.#total = totalBytes;
  }

  /** Opens an account for one cache; close it when the cache ends. */
  open(holder: GopHolder): GopAccount {
    const account = new GopAccount(holder, {
      resize: (a, bytes) => this.#resize(a, bytes),
      forget: (a) => this.#accounts.delete(a),
    });
    this.#accounts.add(account);
    return account;
  }

  /** Whether `bytes` more fit now without taking anyone's room. */
  fits(bytes: number): boolean {
    return this.#total === 0 || this.#used + bytes <= this.#total;
  }

  /** The bound, what is used, and evictions so far. */
  view(): GopBudgetView {
    return { totalBytes: this.#total, usedBytes: this.#used, evictions: this.#evictions };
  }

  /** Sets `account` to `bytes`; a growth past the bound evicts unwatched caches or is refused. */
  #resize(account: GopAccount, bytes: number): boolean {
    const delta = bytes - account.bytes;
    if (delta > 0 && !this.fits(delta)) {
      if (!account.holder.watched() || !this.#makeRoom(account, delta)) return false;
    }
    this.#used += delta;
    return true;
  }

  /**
   * Evicts unwatched caches, largest first, until `bytes` more fit; evicts nothing when all of
   * them together would not make enough room.
   */
  #makeRoom(asking: GopAccount, bytes: number): boolean {
    const need = this.#used + bytes - this.#total;
    const victims: GopAccount[] = [];
    let freeable = 0;
    for (const a of this.#accounts) {
      if (a === asking || a.bytes === 0 || a.holder.watched()) continue;
      victims.push(a);
      freeable += a.bytes;
    }
    if (freeable < need) return false;
    victims.sort((a, b) => b.bytes - a.bytes);
    for (const a of victims) {
      if (this.fits(bytes)) break;
      a.holder.evict();
      a.resize(0); // in case the holder did not
      this.#evictions++;
    }
    return this.fits(bytes);
  }
}

/** The budget's side of an account. */
interface Ledger {
  /** Books `account` at `bytes`; false when it may not grow to that. */
  resize(account: GopAccount, bytes: number): boolean;
  /** Forgets a closed account. */
  forget(account: GopAccount): void;
}

/** One cache's share of a {@linkcode GopBudget}. */
export class GopAccount implements Disposable {
  /** The cache behind it. */
  readonly holder: GopHolder;
  #bytes = 0;
  #closed = false;
  readonly #ledger: Ledger;

  /** Made by {@linkcode GopBudget.open}. */
  constructor(holder: GopHolder, ledger: Ledger) {
    this.holder = holder;
    this.#ledger = ledger;
  }

  /** Bytes this account holds. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Sets what the cache holds to `bytes`: shrinking always succeeds; growing returns false (and
   * changes nothing) when the budget cannot give the room.
   */
  resize(bytes: number): boolean {
    if (this.#closed) return bytes === 0;
    if (!this.#ledger.resize(this, bytes)) return false;
    this.#bytes = bytes;
    return true;
  }

  /** Gives everything back and leaves the budget. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.resize(0);
    this.#closed = true;
    this.#ledger.forget(this);
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
