export interface LoginLimiterOptions {
  /** Failed sign-ins one key may have within `windowMs` before it must wait. */
  readonly maxFailures: number;
  /** @default 300_000 (5 minutes) */
  readonly windowMs?: number;
  /** Keys tracked at most; past it the least recently failed is forgotten (memory stays bounded). @default 10_000 */
  readonly maxKeys?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  failures: number;
  windowStart: number;
}

/**
 * Counts failed sign-ins per key (an address, a user name) in fixed windows. A key that failed
 * `maxFailures` times waits until its window ends. No timer: stale keys are dropped as they are met,
 * and the Map is kept in last-failure order so the oldest is evicted first when it is full.
 */
export class LoginLimiter {
  readonly #entries = new Map<string, Entry>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(options: LoginLimiterOptions) {
    this.#maxFailures = options.maxFailures;
    this.#windowMs = options.windowMs ?? 300_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** 0 when `key` may try now, else how many ms until it may. */
  retryAfterMs(key: string): number {
    const entry = this.#live(key);
    if (entry === undefined || entry.failures < this.#maxFailures) return 0;
    return entry.windowStart + this.#windowMs - this.#now();
  }

  fail(key: string): void {
    const now = this.#now();
    const entry = this.#live(key) ?? { failures: 0, windowStart: now };
    entry.failures++;
    // Re-inserted, so iteration order is last-failure order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#sweep(now);
  }

  /** A successful sign-in clears the user's count (not the address's: one good password should not buy an address more guesses). */
  clear(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.windowStart + this.#windowMs <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(now: number): void {
    // A few of the oldest are checked per call; expired ones go.
    let checked = 0;
    for (const [key, entry] of this.#entries) {
      if (checked++ >= 4) break;
      if (entry.windowStart + this.#windowMs <= now) this.#entries.delete(key);
    }
    while (this.#entries.size > this.#maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
