import { randomBytes } from "node:crypto";
import type { HostsEvent, HostsPollResult } from "@livedash/events";
import type { HostRegistry } from "./host-registry";

/** Coalescing of what `hosts.live` and `hosts.poll` send. */
export interface HostsFeedOptions {
  /**
   * At most one event per this, whatever changed: every event is the whole fleet (a 1000-host one is
   * ~220 KB, serialized per subscriber), so a flapping host must not raise the rate past it. @default 1000
   */
  publishIntervalMs?: number;
  /**
   * A state change (up, down, new, forgotten) goes out after this, merging a burst of them, but never
   * sooner than `publishIntervalMs` after the last event. @default 50
   */
  stateDelayMs?: number;
}

export interface IdentifiedHostsEvent {
  readonly id: string;
  readonly event: HostsEvent;
}

export interface HostsFeed {
  /** The newest published snapshot. */
  current(): IdentifiedHostsEvent;
  /**
   * The current snapshot at once, then every published one, until `signal` aborts. Once the feed closed
   * it sends nothing more but ends only with `signal` (without one: at once).
   */
  events(signal: AbortSignal | undefined): AsyncGenerator<IdentifiedHostsEvent>;
  /** `waitMs` 0 or a cursor other than the current id: the snapshot at once; else waits for the next. */
  poll(input: { cursor?: string | null | undefined; waitMs: number }, signal: AbortSignal | undefined): Promise<HostsPollResult>;
  /** Stops every stream's events and answers every waiting poll (empty) at once; later polls are answered at once. */
  close(): void;
}

/**
 * Publishes registry snapshots with ids `<epoch>-<seq>`: the epoch is random per process, so two
 * instances or two runs never share an id (clients dedupe by id). Every event is a whole snapshot,
 * so nothing needs replaying: a resume, a reconnect, a fail-over all start with the current one.
 */
export function createHostsFeed(registry: HostRegistry, options: HostsFeedOptions = {}): HostsFeed {
  const publishIntervalMs = options.publishIntervalMs ?? 1000;
  const stateDelayMs = options.stateDelayMs ?? 50;
  const epoch = randomBytes(4).toString("hex");
  let seq = 0;
  let published = build();
  let publishedAt = Date.now();
  let timer: NodeJS.Timeout | null = null;
  let timerDue = Number.POSITIVE_INFINITY;
  let closed = false;
  const waiters = new Set<() => void>();

  function build(): IdentifiedHostsEvent {
    seq++;
    return { id: `h${epoch}-${seq}`, event: { type: "hosts", ...registry.snapshot() } };
  }

  function publish() {
    timer = null;
    timerDue = Number.POSITIVE_INFINITY;
    if (closed) return;
    published = build();
    publishedAt = Date.now();
    wake();
  }

  function wake() {
    const woken = [...waiters];
    waiters.clear();
    for (const resolve of woken) resolve();
  }

  const stopListening = registry.onChange((change) => {
    if (closed) return;
    const floor = publishedAt + publishIntervalMs;
    const due = change === "state" ? Math.max(Date.now() + stateDelayMs, floor) : floor;
    if (due >= timerDue) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(publish, Math.max(0, due - Date.now()));
  });

  /** Resolves at the next publish, on abort, on close, or after `timeoutMs`. */
  function nextPublish(signal: AbortSignal | undefined, timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let timeout: NodeJS.Timeout | undefined;
      const done = () => {
        waiters.delete(done);
        signal?.removeEventListener("abort", done);
        if (timeout) clearTimeout(timeout);
        resolve();
      };
      waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
      if (Number.isFinite(timeoutMs)) timeout = setTimeout(done, timeoutMs);
    });
  }

  return {
    current: () => published,
    async *events(signal) {
      let sent: string | null = null;
      while (!signal?.aborted) {
        if (closed) {
          // A closing server must not complete the subscription (a client would take it as the end and
          // never resubscribe): the stream is held until its connection goes, then the client reconnects.
          if (signal) await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
          return;
        }
        const latest = published;
        if (latest.id !== sent) {
          sent = latest.id;
          yield latest;
          continue;
        }
        await nextPublish(signal);
      }
    },
    async poll({ cursor, waitMs }, signal) {
      const latest = published;
      if (waitMs === 0 || cursor !== latest.id) return { events: [latest], cursor: latest.id };
      await nextPublish(signal, waitMs);
      const after = published;
      return after.id === cursor ? { events: [], cursor: after.id } : { events: [after], cursor: after.id };
    },
    close() {
      if (closed) return;
      closed = true;
      stopListening();
      if (timer) clearTimeout(timer);
      timer = null;
      wake();
    },
  };
}
