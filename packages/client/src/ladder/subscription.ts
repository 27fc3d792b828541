import { isObject } from "../transports/http";
import type { SessionSubscription } from "../transports/types";
import { SeenIds } from "./seen-ids";

/** How a ladder subscription talks back to its tRPC observer. */
export interface SubscriptionObserver {
  onStarted(): void;
  onData(id: string | undefined, data: unknown): void;
  onError(error: unknown): void;
  onComplete(): void;
}

/**
 * One caller subscription as the ladder sees it. It outlives every session that carries it, so it
 * is where resume state lives: the last delivered id (sent back on every resubscribe) and the ids
 * already delivered (duplicates from replays and overlapping sessions are dropped here).
 */
export class LadderSubscription implements SessionSubscription {
  #lastEventId: string | null;
  #started = false;
  #ended = false;
  readonly #seen: SeenIds;

  constructor(
    readonly key: number,
    readonly path: string,
    private readonly input: unknown,
    private readonly observer: SubscriptionObserver,
    dedupeCapacity: number,
  ) {
    this.#seen = new SeenIds(dedupeCapacity);
    const given = isObject(input) && typeof input["lastEventId"] === "string" ? input["lastEventId"] : null;
    this.#lastEventId = given;
  }

  get lastEventId(): string | null {
    return this.#lastEventId;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Anchors a subscription that has no id yet at the server's latest id, so a connection lost before
   * its first event still resumes by replay instead of silently restarting "from now".
   */
  setBaseline(id: string): void {
    if (this.#lastEventId === null) this.#lastEventId = id;
  }

  resumeInput(): unknown {
    if (this.#lastEventId === null || !isObject(this.input)) return this.input;
    return { ...this.input, lastEventId: this.#lastEventId };
  }

  /** Returns true when the event was new and went to the observer. */
  deliver(id: string | undefined, data: unknown): boolean {
    if (this.#ended) return false;
    if (id !== undefined) {
      if (!this.#seen.add(id)) return false;
      this.#lastEventId = id;
    }
    guard(() => this.observer.onData(id, data));
    return true;
  }

  started(): void {
    if (this.#started || this.#ended) return;
    this.#started = true;
    guard(() => this.observer.onStarted());
  }

  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    guard(() => this.observer.onError(error));
  }

  complete(): void {
    if (this.#ended) return;
    this.#ended = true;
    guard(() => this.observer.onComplete());
  }
}

/**
 * Runs a subscriber callback. If it throws, the error is rethrown on its own task (the console in
 * a browser, an uncaught exception in Node: the caller's bug stays visible) instead of unwinding
 * through a socket handler and leaving the ladder half-updated.
 */
function guard(callback: () => void): void {
  try {
    callback();
  } catch (error) {
    setTimeout(() => {
      throw error;
    }, 0);
  }
}
