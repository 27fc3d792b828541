import { TRPCClientError } from "@trpc/client";
import { TicketError } from "../auth/ticket-cache";
import { retryDelayMs } from "../ladder/backoff";
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
    /** Answers in a row that came back early with nothing new: the server cannot hold the poll. */
    let earlyStreak = 0;
    const { pollWaitMs, pollGraceMs } = this.ctx.options;
    while (!signal.aborted && !this.#dead) {
      // The first request does not wait, so the session proves itself (and learns a cursor) at once.
      const waitMs = first ? 0 : pollWaitMs;
      const startedAt = Date.now();
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
        if (cause instanceof TRPCClientError && !(this.ctx.tickets !== null && isUnauthorized(cause))) {
          this.#loops.delete(sub.key);
          this.events.onSubscriptionError(sub, cause);
          return;
        }
        const retryable = !(cause instanceof TransportError) || cause.retryable;
        this.#fail({
          // No ticket, or one the server refused (renewed on the next attempt), is not a blocked
          // transport: retry here, like an unreachable server.
          kind: this.#live || cause instanceof TicketError || cause instanceof TRPCClientError ? "unreachable" : retryable ? "unknown" : "blocked",
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
      const wasFirst = first;
      if (first) {
        first = false;
        this.events.onStarted(sub);
      }
      const events = isObject(data) && Array.isArray(data["events"]) ? data["events"] : [];
      let progressed = false;
      for (const item of events) {
        if (signal.aborted || this.#dead) return;
        if (isObject(item) && typeof item["id"] === "string" && this.events.onEvent(sub, item["id"], item["event"])) {
          // A reset is news the first time, but a server that can only answer resets (its engine is
          // down) must not be asked again at once.
          if (!(isObject(item["event"]) && item["event"]["type"] === "reset")) progressed = true;
        }
      }
      const next = isObject(data) && typeof data["cursor"] === "string" ? data["cursor"] : null;
      cursor = next ?? sub.lastEventId ?? cursor;
      // Answered before holding the poll for half its wait, with nothing new: the server cannot hold
      // polls (engine down, shutting down, waitMs 0). Wait (floor plus full jitter, growing with the
      // streak) before asking again. An answer with news is re-issued at once, as long-polling does:
      // what arrives meanwhile waits in the server's replay window and comes in the next answer.
      const early = !wasFirst && !progressed && (waitMs === 0 || Date.now() - startedAt < waitMs / 2);
      earlyStreak = early ? earlyStreak + 1 : 0;
      const pauseMs = early ? retryDelayMs(earlyStreak, this.ctx.options) : 0;
      if (pauseMs > 0 && !(await pause(pauseMs, signal))) return;
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

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The server refused the request's credential (with tickets: the ticket expired or was revoked). */
function isUnauthorized(error: { data?: unknown }): boolean {
  const data: unknown = error.data;
  return isObject(data) && data["code"] === "UNAUTHORIZED";
}
