import { StateStore } from "../connection-state";
import type { ConnectionState, TransportKind, TransportPreference } from "../connection-state";
import { isServerReachable } from "../transports/http";
import type { SessionEvents, SessionFactory, SessionFailure, TransportContext, TransportSession } from "../transports/types";
import { fullJitterDelayMs } from "./backoff";
import { fetchBaseline } from "./baseline";
import { LadderSubscription } from "./subscription";
import type { SubscriptionObserver } from "./subscription";

/** One live or pending session and where it sits on the ladder. */
interface Slot {
  readonly id: number;
  readonly level: number;
  readonly session: TransportSession;
  live: boolean;
}

const LADDER: readonly TransportKind[] = ["ws", "sse", "poll"];

/**
 * Owns the client's one current transport session (and at most one upward probe), carries every
 * subscription across reconnects and switches, and publishes the connection state.
 *
 * Rules (after centrifuge-js and socket.io):
 * - Go down a rung only when a transport is blocked (it never worked, or failed `fallbackAfterFailures`
 *   times in a row), never merely because the server is down: then retry the same rung with backoff.
 * - Every session is single-use and reports through callbacks bound to its slot id; callbacks from a
 *   slot that is no longer current or probing are stale and ignored.
 * - While below the top rung, probe upward every `probeIntervalMs`; a probe carries every
 *   subscription from its last delivered id and replaces the current session once it proves itself.
 *   Overlapping events are dropped by id in LadderSubscription, so the switch loses and repeats nothing.
 */
export class Ladder {
  readonly state: StateStore;
  readonly #levels: readonly TransportKind[];
  readonly #subs = new Map<number, LadderSubscription>();
  /** Subscriptions waiting for their baseline id before they join a session. */
  readonly #pending = new Map<number, { sub: LadderSubscription; abort: AbortController }>();
  #nextKey = 1;
  #nextSlotId = 1;
  #current: Slot | null = null;
  #probe: Slot | null = null;
  #level = 0;
  /** Consecutive failed attempts on the current rung since it was last live. */
  #failures = 0;
  readonly #proven = new Set<TransportKind>();
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped when everything is torn down, so async work started before can tell it is stale. */
  #generation = 0;
  /** True while a failed attempt waits for the reachability check that decides what comes next. */
  #deciding = false;
  #closed = false;

  constructor(
    private readonly ctx: TransportContext,
    preference: TransportPreference,
    private readonly factories: Readonly<Record<TransportKind, SessionFactory>>,
  ) {
    this.#levels = preference === "auto" ? LADDER : [preference];
    this.state = new StateStore({ transport: this.#levels[0] ?? "ws", status: "connecting", lastEventAt: null, reconnects: 0 });
  }

  subscribe(path: string, input: unknown, observer: SubscriptionObserver): () => void {
    const key = this.#nextKey++;
    const sub = new LadderSubscription(key, path, input, observer, this.ctx.options.dedupeCapacity);
    if (this.#closed) {
      sub.fail(new Error("the Livedash client is closed"));
      return () => {};
    }
    if (sub.lastEventId !== null || this.ctx.options.pollProcedures[path] === undefined) {
      this.#attach(sub);
      return () => this.#drop(sub);
    }
    // Learn the server's latest id before the first subscribe (see LadderSubscription.setBaseline).
    const abort = new AbortController();
    this.#pending.set(key, { sub, abort });
    void fetchBaseline(this.ctx, path, sub.resumeInput(), abort.signal).then((id) => {
      if (!this.#pending.delete(key) || this.#closed) return;
      if (id !== null) sub.setBaseline(id);
      this.#attach(sub);
    });
    return () => {
      const pending = this.#pending.get(key);
      if (pending) {
        this.#pending.delete(key);
        pending.abort.abort();
        return;
      }
      this.#drop(sub);
    };
  }

  #attach(sub: LadderSubscription): void {
    this.#subs.set(sub.key, sub);
    if (this.#current) {
      this.#current.session.add(sub);
      this.#probe?.session.add(sub);
    } else if (this.#reconnectTimer === undefined && !this.#deciding) {
      this.#startCurrent();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#teardown();
    for (const { abort } of this.#pending.values()) abort.abort();
    const subs = [...this.#subs.values(), ...[...this.#pending.values()].map((p) => p.sub)];
    this.#subs.clear();
    this.#pending.clear();
    for (const sub of subs) sub.complete();
    this.state.update({ status: "offline" });
    this.state.clear();
  }

  #drop(sub: LadderSubscription): void {
    if (!this.#subs.delete(sub.key)) return;
    this.#current?.session.remove(sub);
    this.#probe?.session.remove(sub);
    // Nothing to carry: stop every socket and timer. The rung we learned is kept for next time.
    if (this.#subs.size === 0) {
      this.#teardown();
      this.#failures = 0;
    }
  }

  #teardown(): void {
    this.#generation++;
    this.#deciding = false;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#probeTimer);
    this.#reconnectTimer = undefined;
    this.#probeTimer = undefined;
    this.#current?.session.close();
    this.#probe?.session.close();
    this.#current = null;
    this.#probe = null;
  }

  #kind(level: number): TransportKind {
    return this.#levels[level] ?? "poll";
  }

  #startCurrent(): void {
    this.#reconnectTimer = undefined;
    if (this.#closed || this.#subs.size === 0) return;
    const slot = this.#open(this.#level);
    this.#current = slot;
    // "reconnecting" and "offline" stay until a session proves itself; "live" here means we were
    // idle (no subscriptions) and start afresh.
    const status = this.state.get().status;
    this.state.update({ transport: this.#kind(slot.level), status: status === "live" ? "connecting" : status });
    for (const sub of this.#subs.values()) slot.session.add(sub);
  }

  #open(level: number): Slot {
    const id = this.#nextSlotId++;
    // The slot object exists before its session: a session may call back synchronously.
    const holder: { slot?: Slot } = {};
    const session = this.factories[this.#kind(level)](this.ctx, this.#eventsFor(id, () => holder.slot));
    holder.slot = { id, level, session, live: false };
    return holder.slot;
  }

  #eventsFor(id: number, getSlot: () => Slot | undefined): SessionEvents {
    const active = (): Slot | null => {
      const slot = getSlot();
      if (!slot || this.#closed) return null;
      return slot === this.#current || slot === this.#probe ? slot : null;
    };
    const subOf = (key: number) => {
      const sub = this.#subs.get(key);
      return sub && !sub.ended ? sub : undefined;
    };
    return {
      onLive: () => {
        const slot = active();
        if (slot?.id === id) this.#onLive(slot);
      },
      onDown: (failure) => {
        const slot = active();
        if (slot?.id === id) this.#onDown(slot, failure);
      },
      onStarted: (s) => {
        if (active()) subOf(s.key)?.started();
      },
      onEvent: (s, eventId, data) => {
        if (!active()) return;
        if (subOf(s.key)?.deliver(eventId, data)) this.state.update({ lastEventAt: Date.now() });
      },
      onSubscriptionError: (s, error) => {
        const sub = active() ? subOf(s.key) : undefined;
        if (!sub) return;
        this.#drop(sub);
        sub.fail(error);
      },
      onSubscriptionComplete: (s) => {
        const sub = active() ? subOf(s.key) : undefined;
        if (!sub) return;
        this.#drop(sub);
        sub.complete();
      },
    };
  }

  #onLive(slot: Slot): void {
    slot.live = true;
    this.#proven.add(this.#kind(slot.level));
    if (slot === this.#probe) {
      // The probe carries every subscription already (resumed from each one's last id): swap.
      const old = this.#current;
      this.#current = slot;
      this.#probe = null;
      this.#level = slot.level;
      old?.session.close();
    }
    this.#failures = 0;
    this.state.update({ transport: this.#kind(slot.level), status: "live" });
    this.#scheduleProbe();
  }

  #onDown(slot: Slot, failure: SessionFailure): void {
    if (slot === this.#probe) {
      this.#probe = null;
      // Try the next rung up before waiting a whole interval again.
      const next = slot.level + 1;
      if (next < this.#level) this.#startProbe(next);
      else this.#scheduleProbe();
      return;
    }
    this.#current = null;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#probe?.session.close();
    this.#probe = null;
    if (slot.live) {
      this.#failures = 0;
      this.state.update({ status: "reconnecting", reconnects: this.state.get().reconnects + 1 });
      this.#scheduleReconnect();
      return;
    }
    this.#failures++;
    if (failure.kind !== "unknown") {
      this.#afterFailedAttempt(failure.kind);
      return;
    }
    const generation = this.#generation;
    this.#deciding = true;
    void isServerReachable(this.ctx).then((reachable) => {
      if (generation !== this.#generation || this.#closed) return;
      this.#deciding = false;
      this.#afterFailedAttempt(reachable ? "blocked" : "unreachable");
    });
  }

  #afterFailedAttempt(kind: "blocked" | "unreachable"): void {
    const transport = this.#kind(this.#level);
    const canFallDown = this.#level + 1 < this.#levels.length;
    const giveUp = !this.#proven.has(transport) || this.#failures >= this.ctx.options.fallbackAfterFailures;
    if (kind === "blocked" && canFallDown && giveUp) {
      this.#level++;
      this.#failures = 0;
      this.#startCurrent();
      return;
    }
    if (this.#failures >= this.ctx.options.offlineAfterFailures) this.state.update({ status: "offline" });
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    clearTimeout(this.#reconnectTimer);
    const { backoffBaseMs, maxBackoffMs } = this.ctx.options;
    this.#reconnectTimer = setTimeout(() => this.#startCurrent(), fullJitterDelayMs(this.#failures, backoffBaseMs, maxBackoffMs));
  }

  #scheduleProbe(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    if (this.#level === 0 || this.#probe || this.#closed) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      this.#startProbe(0);
    }, this.ctx.options.probeIntervalMs);
  }

  #startProbe(level: number): void {
    if (this.#closed || this.#probe || !this.#current?.live || level >= this.#level || this.#subs.size === 0) return;
    const slot = this.#open(level);
    this.#probe = slot;
    for (const sub of this.#subs.values()) slot.session.add(sub);
  }

  /** For tests and diagnostics: the connection state right now. */
  get(): ConnectionState {
    return this.state.get();
  }
}
