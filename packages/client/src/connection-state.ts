/** Which transport currently carries the client's subscriptions. */
export type TransportKind = "ws" | "sse" | "poll";

/** The transports a client may be pinned to; "auto" walks the ladder ws -> sse -> poll. */
export type TransportPreference = "auto" | TransportKind;

/**
 * - `connecting`: a subscription waits for its first session to prove itself.
 * - `live`: a session is up and carries at least one subscription: events can arrive.
 * - `reconnecting`: a live session was lost; retrying with backoff.
 * - `offline`: `offlineAfterFailures` attempts in a row failed; still retrying.
 * - `failed`: the last subscription ended with an error (a 500, UNAUTHORIZED...); `error` says why.
 *   Nothing arrives until something subscribes again.
 * - `idle`: no subscription is open (the last one completed or was unsubscribed).
 */
export type ConnectionStatus = "connecting" | "live" | "reconnecting" | "offline" | "failed" | "idle";

/** What `connection.get()` returns and `connection.subscribe()` reports on each change. */
export interface ConnectionState {
  readonly transport: TransportKind;
  readonly status: ConnectionStatus;
  /** Epoch ms of the last event delivered to any subscriber, null before the first. */
  readonly lastEventAt: number | null;
  /** How many times a live connection was lost and the client started reconnecting. */
  readonly reconnects: number;
  /** Why the status is not live: the last failure or subscription error; null once live again. */
  readonly error: string | null;
  /**
   * Epoch ms of the last event the server marked `coalesced: true` (it fell behind and sent only the
   * latest point per series), null if none yet. Recent means "showing latest values only".
   */
  readonly lastCoalescedAt: number | null;
}

export type ConnectionListener = (state: ConnectionState) => void;

/** A tiny observable value; listeners run synchronously, in subscription order, after each change. */
export class StateStore {
  #state: ConnectionState;
  readonly #listeners = new Set<ConnectionListener>();

  constructor(initial: ConnectionState) {
    this.#state = initial;
  }

  get(): ConnectionState {
    return this.#state;
  }

  update(patch: Partial<ConnectionState>): void {
    const next = { ...this.#state, ...patch };
    const prev = this.#state;
    if ((Object.keys(next) as (keyof ConnectionState)[]).every((key) => next[key] === prev[key])) return;
    this.#state = next;
    // Copy first: a listener may unsubscribe itself (or another) while we iterate.
    for (const listener of [...this.#listeners]) listener(next);
  }

  subscribe(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  clear(): void {
    this.#listeners.clear();
  }
}
