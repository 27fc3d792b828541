/** What a ticket provider returns: a short-lived read ticket and how long it is good for, from now. */
export interface TicketGrant {
  readonly ticket: string;
  /** Relative, so a browser whose clock is off still refreshes in time. */
  readonly expiresInMs: number;
}

export type TicketProvider = () => Promise<TicketGrant>;

export interface TicketCacheOptions {
  /**
   * A ticket is renewed when less than this is left of it, so a reconnect never starts with one that
   * expires on the way. Server tickets last 60 s.
   * @default 20_000
   */
  readonly refreshMarginMs?: number;
  /** Shortest wait between two renewals (and first retry after a failed one). @default 1_000 */
  readonly minRefreshMs?: number;
  /** Longest wait before retrying a failed renewal. @default 30_000 */
  readonly maxRetryMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Thrown when no ticket could be had: the caller treats it like an unreachable server (retry, same transport). */
export class TicketError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TicketError";
  }
}

/**
 * Keeps a valid read ticket at hand for a client that must not hold the read token (a browser).
 * Transports ask `get()` whenever they connect (WebSocket connectionParams, the SSE URL, each poll
 * request); a timer renews the ticket before it expires so that a reconnect never waits, and so a
 * provider that learns the session ended (the dashboard's 401 -> sign-in page) learns it on time:
 * when the provider says a grant ends sooner than the margin (a session about to end), the renewal
 * runs exactly at its end. One renewal at a time; every caller waiting shares it.
 */
export class TicketCache {
  readonly #provider: TicketProvider;
  readonly #marginMs: number;
  readonly #minRefreshMs: number;
  readonly #maxRetryMs: number;
  readonly #now: () => number;
  #current: { ticket: string; expiresAt: number } | null = null;
  #pending: Promise<string> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #closed = false;
  /** Set when a connection failed: the server may have refused the cached ticket before its time. */
  #suspect = false;

  constructor(provider: TicketProvider, options: TicketCacheOptions = {}) {
    this.#provider = provider;
    this.#marginMs = options.refreshMarginMs ?? 20_000;
    this.#minRefreshMs = options.minRefreshMs ?? 1_000;
    this.#maxRetryMs = options.maxRetryMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** A ticket with more than the margin left (renewing first if needed); rejects with TicketError. */
  async get(): Promise<string> {
    if (this.#closed) throw new TicketError("the client is closed");
    const current = this.#current;
    if (current !== null && !this.#suspect && current.expiresAt - this.#now() > this.#marginMs) return current.ticket;
    try {
      return await this.#refresh();
    } catch (error) {
      // Renewal failed but the old one still works for a moment: better than no connection.
      const still = this.#current;
      if (still !== null && still.expiresAt > this.#now()) return still.ticket;
      throw error;
    }
  }

  /**
   * The next get() renews first (still falling back to the cached ticket if renewal fails). Called
   * when a connection fails: the server's idea of the ticket's end can be earlier than ours (the
   * minter's clock, a slow answer), and a refused ticket must not be offered again and again.
   */
  markSuspect(): void {
    this.#suspect = true;
  }

  /** Stops the renewal timer; later get() calls reject. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#current = null;
  }

  #refresh(): Promise<string> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetch(): Promise<string> {
    clearTimeout(this.#timer);
    let grant: TicketGrant;
    try {
      grant = await this.#provider();
      if (typeof grant?.ticket !== "string" || grant.ticket === "" || !Number.isFinite(grant.expiresInMs)) {
        throw new TypeError("the ticket provider must return { ticket: string, expiresInMs: number }");
      }
    } catch (cause) {
      this.#failures++;
      this.#schedule(Math.min(this.#maxRetryMs, this.#minRefreshMs * 2 ** Math.min(this.#failures - 1, 10)));
      throw cause instanceof TicketError ? cause : new TicketError(`no ticket: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    this.#failures = 0;
    this.#suspect = false;
    const expiresInMs = Math.max(0, grant.expiresInMs);
    this.#current = { ticket: grant.ticket, expiresAt: this.#now() + expiresInMs };
    // Renew `margin` before the end; a grant shorter than that (its session ends first) is renewed at its end.
    const early = expiresInMs - this.#marginMs;
    this.#schedule(early >= this.#minRefreshMs ? early : Math.max(expiresInMs, this.#minRefreshMs));
    return grant.ticket;
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#refresh().catch(() => {
        // Already counted and rescheduled in #fetch; a transport asking meanwhile sees the error.
      });
    }, delayMs);
  }
}
