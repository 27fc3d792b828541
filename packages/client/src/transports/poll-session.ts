import { TRPCClientError } from "@trpc/client";
import { TransportError, describe, isObject, trpcHttpCall } from "./http";
import type { SessionEvents, SessionFailure, SessionSubscription, TransportContext, TransportSession } from "./types";

/**
 * Long-polling: one request loop per subscription against its poll twin (`metrics.poll`), each
 * request carrying the cursor the previous one returned. Works through any proxy that buffers
 * responses, because every response ends.
 */
export function createPollSession(ctx: TransportContext, events: SessionEvents): TransportSession {
  return new PollSession(ctx, events);
}

class PollSession implements TransportSession {
  readonly kind = "poll" as const;
  #dead = false;
  #live = false;
  readonly #loops = new Map<number, AbortController>();

  constructor(
    private readonly ctx: TransportContext,
    private readonly events: SessionEvents,
  ) {}

  add(sub: SessionSubscription): void {
    if (this.#dead || this.#loops.has(sub.key)) return;
    const abort = new AbortController();
    this.#loops.set(sub.key, abort);
    void this.#run(sub, abort.signal);
  }

  async #run(sub: SessionSubscription, signal: AbortSignal): Promise<void> {
    const procedure = this.ctx.options.pollProcedures[sub.path];
    const input = sub.resumeInput();
    if (procedure === undefined || !isObject(input)) {
      this.#loops.delete(sub.key);
      this.events.onSubscriptionError(sub, new TRPCClientError(`subscription ${sub.path} has no long-poll twin (see pollProcedures)`));
      return;
    }
    const { lastEventId: _resumeFrom, ...base } = input;
    let cursor = sub.lastEventId;
    let first = true;
    const { pollWaitMs, pollGraceMs } = this.ctx.options;
    while (!signal.aborted && !this.#dead) {
      // The first request does not wait, so the session proves itself (and learns a cursor) at once.
      const waitMs = first ? 0 : pollWaitMs;
      let data: unknown;
      // One controller per request: aborted by the loop's signal or by the request's own deadline.
      const request = new AbortController();
      const abortRequest = () => request.abort();
      signal.addEventListener("abort", abortRequest);
      const deadline = setTimeout(abortRequest, waitMs + pollGraceMs);
      try {
        data = await trpcHttpCall(this.ctx, "query", procedure, { ...base, cursor, waitMs }, request.signal);
      } catch (cause) {
        if (signal.aborted || this.#dead) return;
        if (cause instanceof TRPCClientError) {
          this.#loops.delete(sub.key);
          this.events.onSubscriptionError(sub, cause);
          return;
        }
        const retryable = !(cause instanceof TransportError) || cause.retryable;
        this.#fail({
          kind: this.#live ? "unreachable" : retryable ? "unknown" : "blocked",
          message: `long-poll failed: ${describe(cause)}`,
        });
        return;
      } finally {
        clearTimeout(deadline);
        signal.removeEventListener("abort", abortRequest);
      }
      if (signal.aborted || this.#dead) return;
      if (!this.#live) {
        this.#live = true;
        this.events.onLive();
        if (signal.aborted || this.#dead) return;
      }
      if (first) {
        first = false;
        this.events.onStarted(sub);
      }
      const events = isObject(data) && Array.isArray(data["events"]) ? data["events"] : [];
      for (const item of events) {
        if (signal.aborted || this.#dead) return;
        if (isObject(item) && typeof item["id"] === "string") this.events.onEvent(sub, item["id"], item["event"]);
      }
      const next = isObject(data) && typeof data["cursor"] === "string" ? data["cursor"] : null;
      cursor = next ?? sub.lastEventId ?? cursor;
    }
  }

  remove(sub: SessionSubscription): void {
    this.#loops.get(sub.key)?.abort();
    this.#loops.delete(sub.key);
  }

  close(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const abort of this.#loops.values()) abort.abort();
    this.#loops.clear();
  }

  #fail(failure: SessionFailure): void {
    if (this.#dead) return;
    this.close();
    this.events.onDown(failure);
  }
}
