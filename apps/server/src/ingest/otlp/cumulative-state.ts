import type { ExponentialLayout } from "./exponential-histogram";

/**
 * What the server remembers of each cumulative series (monotonic sums, histogram and summary
 * count/sum/buckets) to turn its running totals into per-second rates over the last interval.
 *
 * Bounded: at most `capacity` series, least recently updated dropped first. A dropped series is not
 * lost: its next sample is treated like a first one (a rate since its start time, or nothing when the
 * producer sent no start time), so memory stays bounded whatever the producers send.
 */
export interface CumulativeSample {
  /** start_time_unix_nano: a new start means the producer restarted the series (a reset). */
  readonly startNs: number;
  readonly timeNs: number;
  /** The running total that tells a reset when it goes down (a counter's value, a histogram's count). */
  readonly total: number;
  readonly sum?: number;
  /** Histogram bucket counts (running totals); `bounds` is the layout they belong to. */
  readonly buckets?: readonly number[];
  readonly bounds?: readonly number[];
  /** Exponential histogram buckets (running totals), bounded by the mapping's maxBuckets per side. */
  readonly exponential?: ExponentialLayout;
}

/** How a new sample relates to the one held: the increase over how many seconds, or why none. */
export type Increase =
  | { kind: "interval"; seconds: number; prev: CumulativeSample | null }
  | { kind: "none" };

export class CumulativeState {
  private readonly samples = new Map<string, CumulativeSample>();
  /** Samples of refused requests that a later advance had replaced, and what they replaced (see restore). */
  private readonly refused = new WeakMap<CumulativeSample, CumulativeSample | undefined>();
  /**
   * What the last advance() found held for its key, and whether it kept its sample: read by a
   * transaction right after, so noting an advance costs no second and third lookup of the key.
   */
  lastPrev: CumulativeSample | undefined = undefined;
  lastKept = false;

  constructor(
    /** Most series remembered. @default LIVEDASH_MAX_SERIES (the server passes it) */
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.samples.size;
  }

  /**
   * Compares `next` with the sample held for `key` and keeps `next`. The increase is measured:
   * - from the held sample when it has the same start time, is older, and the total did not go down
   *   (`prev` is that sample; `sameLayout` may veto it, e.g. histogram buckets that changed bounds);
   * - else from the series' start (a new series, or a reset: the producer restarted it, or the total
   *   went down), when start_time_unix_nano is set and before the sample (`prev` null: the whole
   *   total is the increase);
   * - else not at all (`none`): the first sample of a series without a start time, or a sample no
   *   newer than the one held (a resend), which is then not kept either.
   */
  advance(key: string, next: CumulativeSample, sameLayout?: (prev: CumulativeSample) => boolean): Increase {
    const prev = this.samples.get(key);
    this.lastPrev = prev;
    this.lastKept = false;
    if (prev !== undefined && next.timeNs <= prev.timeNs) return { kind: "none" };
    this.remember(key, next, prev !== undefined);
    this.lastKept = true;
    if (prev !== undefined && prev.startNs === next.startNs && next.total >= prev.total && (sameLayout?.(prev) ?? true)) {
      return { kind: "interval", seconds: (next.timeNs - prev.timeNs) / 1e9, prev };
    }
    if (prev !== undefined && prev.startNs === next.startNs && next.startNs === 0) {
      // A reset without start times (the total went down): Prometheus' rate() counts the new total
      // as the increase since the previous sample.
      return { kind: "interval", seconds: (next.timeNs - prev.timeNs) / 1e9, prev: null };
    }
    if (next.startNs > 0 && next.timeNs > next.startNs) return { kind: "interval", seconds: (next.timeNs - next.startNs) / 1e9, prev: null };
    return { kind: "none" };
  }

  /**
   * Advances whose effect `rollback()` can take back: a request's state must not move on when the
   * request is then refused (429, 503, 507), or the exporter's retry finds its samples "already seen"
   * and that interval's increase is lost.
   */
  transaction(): CumulativeTransaction {
    return new CumulativeTransaction(this);
  }

  /**
   * Puts `before` back for `key`, unless a later advance replaced `after` meanwhile. Then `after` is
   * noted as refused (with what it replaced), so that the later request's own rollback, which would
   * put `after` back, goes on to the sample before it: of two interleaved requests both refused, the
   * first rolled back used to find the second's sample and do nothing, and the second then restored the
   * first's refused sample, so the first's retry was "already seen" and its interval was lost.
   */
  restore(key: string, before: CumulativeSample | undefined, after: CumulativeSample): void {
    if (this.samples.get(key) !== after) {
      this.refused.set(after, before);
      return;
    }
    let back = before;
    while (back !== undefined && this.refused.has(back)) back = this.refused.get(back);
    if (back === undefined) this.samples.delete(key);
    else this.samples.set(key, back);
  }

  private remember(key: string, sample: CumulativeSample, held: boolean): void {
    // Delete then set moves the key to the end: the Map's order is least recently updated first.
    if (held) this.samples.delete(key);
    else if (this.samples.size >= this.capacity) {
      const oldest = this.samples.keys().next();
      if (!oldest.done) this.samples.delete(oldest.value);
    }
    this.samples.set(key, sample);
  }
}

/** What the mapping needs of the state: a CumulativeState, or a transaction on one. */
export type CumulativeAdvance = Pick<CumulativeState, "advance">;

/**
 * One request's advances, undone in reverse order by rollback() (a sample evicted by the cap stays
 * evicted). Each touched key is noted in three parallel arrays (the key, what it held before, what it
 * holds now): no undo record object per cumulative data point.
 */
export class CumulativeTransaction implements CumulativeAdvance {
  readonly #keys: string[] = [];
  readonly #before: (CumulativeSample | undefined)[] = [];
  readonly #after: CumulativeSample[] = [];

  constructor(private readonly state: CumulativeState) {}

  advance(key: string, next: CumulativeSample, sameLayout?: (prev: CumulativeSample) => boolean): Increase {
    const { state } = this;
    const step = state.advance(key, next, sameLayout);
    if (state.lastKept) {
      this.#keys.push(key);
      this.#before.push(state.lastPrev);
      this.#after.push(next);
    }
    return step;
  }

  rollback(): void {
    for (let i = this.#keys.length - 1; i >= 0; i--) this.state.restore(this.#keys[i]!, this.#before[i], this.#after[i]!);
    this.#keys.length = 0;
    this.#before.length = 0;
    this.#after.length = 0;
  }
}
