import { StateStore } from "../connection-state";
import type { TransportKind, TransportPreference } from "../connection-state";
import { isServerReachable } from "../transports/http";
import type { SessionEvents, SessionFactory, SessionFailure, TransportContext } from "../transports/types";
import { fullJitterDelayMs, retryDelayMs } from "./backoff";
import { fetchBaseline } from "./baseline";
import { closeSlot, isCoalesced } from "./slot";
import type { Slot } from "./slot";
import { LadderSubscription } from "./subscription";
import type { SubscriptionObserver } from "./subscription";

const LADDER: readonly TransportKind[] = ["ws", "sse", "poll"];

/**
 * Owns the client's one current transport session (and at most one upward probe), carries every
 * subscription across reconnects and switches, and publishes the connection state.
 *
 * Rules (after centrifuge-js and socket.io):
 * - Go down a rung only when a transport is blocked (it never worked, or failed `fallbackAfterFailures`
 *   times in a row), never merely because the server is down: then retry the same rung with backoff.
 * - A session counts as a success only once it stayed live for `stableLiveMs`; one that connects and
 *   dies sooner is a failed attempt, so a path that lets sockets open and then kills them backs off
 *   and falls back instead of reconnecting at the shortest delay forever.
 * - The status never claims `live` when nothing can arrive: the last subscription failing moves it
 *   to `failed` (with the reason in `error`), the last one ending to `idle`.
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
    this.state = new StateStore({ transport: this.#levels[0] ?? "ws", status: "connecting", lastEventAt: null, reconnects: 0, error: null, lastCoalescedAt: null });
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

  /** Removes `sub`; when it was the last one, everything stops and the status becomes `ending`. */
  #drop(sub: LadderSubscription, ending: { status: "idle" | "failed"; error: string | null } = { status: "idle", error: null }): void {
    if (!this.#subs.delete(sub.key)) return;
    this.#current?.session.remove(sub);
    this.#probe?.session.remove(sub);
    // Nothing to carry: stop every socket and timer. The rung we learned is kept for next time.
    if (this.#subs.size === 0) {
      this.#teardown();
      this.#failures = 0;
      // A subscription still waiting for its baseline will start a session and report on its own.
      if (!this.#closed && this.#pending.size === 0) this.state.update(ending);
    }
  }

  #teardown(): void {
    this.#generation++;
    this.#deciding = false;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#probeTimer);
    this.#reconnectTimer = undefined;
    this.#probeTimer = undefined;
    closeSlot(this.#current);
    closeSlot(this.#probe);
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
    const starting = status === "live" || status === "idle" || status === "failed";
    this.state.update({ transport: this.#kind(slot.level), status: starting ? "connecting" : status, ...(starting ? { error: null } : {}) });
    for (const sub of this.#subs.values()) slot.session.add(sub);
  }

  #open(level: number): Slot {
    const id = this.#nextSlotId++;
    // The slot object exists before its session: a session may call back synchronously.
    const holder: { slot?: Slot } = {};
    const session = this.factories[this.#kind(level)](this.ctx, this.#eventsFor(id, () => holder.slot));
    holder.slot = { id, level, session, live: false, stable: false, stableTimer: undefined };
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
        if (!active()) return false;
        if (!subOf(s.key)?.deliver(eventId, data)) return false;
        const now = Date.now();
        this.state.update(isCoalesced(data) ? { lastEventAt: now, lastCoalescedAt: now } : { lastEventAt: now });
        return true;
      },
      onSubscriptionError: (s, error) => {
        const sub = active() ? subOf(s.key) : undefined;
        if (!sub) return;
        this.#drop(sub, { status: "failed", error: `${sub.path}: ${error instanceof Error ? error.message : String(error)}` });
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
      closeSlot(old);
    }
    slot.stableTimer = setTimeout(() => {
      slot.stable = true;
      if (slot === this.#current) this.#failures = 0;
    }, this.ctx.options.stableLiveMs);
    this.state.update({ transport: this.#kind(slot.level), status: "live", error: null });
    this.#scheduleProbe();
  }

  #onDown(slot: Slot, failure: SessionFailure): void {
    clearTimeout(slot.stableTimer);
    // Whatever failed, the next attempt asks for a fresh ticket: a refused one would fail forever.
    this.ctx.tickets?.markSuspect();
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
    closeSlot(this.#probe);
    this.#probe = null;
    if (slot.live) this.state.update({ status: "reconnecting", reconnects: this.state.get().reconnects + 1, error: failure.message });
    else this.state.update({ error: failure.message });
    if (slot.stable) {
      this.#failures = 0;
      this.#scheduleReconnect();
      return;
    }
    this.#failures++;
    // A session that went live and died young says "unreachable" (its socket closed); whether the
    // server is down or this path kills connections only a fresh look over plain HTTP can tell.
    const kind = slot.live ? "unknown" : failure.kind;
    if (kind !== "unknown") {
      this.#afterFailedAttempt(kind);
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
    this.#reconnectTimer = setTimeout(() => this.#startCurrent(), retryDelayMs(this.#failures, this.ctx.options));
  }

  #scheduleProbe(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    if (this.#level === 0 || this.#probe || this.#closed) return;
    // Jittered within [interval / 2, interval]: clients that fell back together do not probe together.
    const intervalMs = this.ctx.options.probeIntervalMs;
    const delayMs = Math.ceil(intervalMs / 2) + fullJitterDelayMs(0, Math.floor(intervalMs / 2), intervalMs);
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      this.#startProbe(0);
    }, delayMs);
  }

  #startProbe(level: number): void {
    if (this.#closed || this.#probe || !this.#current?.live || level >= this.#level || this.#subs.size === 0) return;
    const slot = this.#open(level);
    this.#probe = slot;
    for (const sub of this.#subs.values()) slot.session.add(sub);
  }
}

