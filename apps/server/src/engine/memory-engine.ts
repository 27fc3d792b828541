import type { Point } from "@livedash/events";
import type { Batch, Engine, ReplayResult } from "./types";

export interface MemoryEngineOptions {
  /**
   * How many recent batches are kept for replay after a reconnect.
   * @default 100_000
   */
  replayBatches?: number;
  /**
   * Upper bound on points held by the replay window, whatever the batch count.
   * @default 500_000
   */
  replayPoints?: number;
  /** Clock for the epoch; tests inject one. @default Date.now */
  now?: () => number;
  /** Ids that outlive the process (the disk store); absent: a new epoch per run. */
  persisted?: PersistedIds;
}

/**
 * What the engine needs so that ids keep increasing across restarts and a client can resume by
 * replay: the stored epoch and seq, the replay window the previous run logged, and a hi-lo
 * reservation (before seq passes the reserved value the new one is persisted, so after a crash the
 * next run starts past every id it may have handed out; ids then jump, they never repeat).
 */
export interface PersistedIds {
  readonly epoch: string;
  /** New ids continue after this one. */
  readonly seq: number;
  /** Batches of the previous run still in the window, oldest first. */
  readonly batches: readonly { readonly seq: number; readonly points: readonly Point[] }[];
  /** Persists a reservation covering `seq`; returns the highest seq it covers. */
  reserve(seq: number): number;
  /** Called once per published batch, after the listeners. */
  record(seq: number, points: readonly Point[]): void;
}

/**
 * The embedded engine: ids are `<epoch>-<seq>` where epoch is the start time in base 36, so an id
 * from a previous run of the process is recognisably foreign and gets a reset, never a wrong replay.
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): Engine {
  const replayBatches = options.replayBatches ?? 100_000;
  const replayPoints = options.replayPoints ?? 500_000;
  const persisted = options.persisted;
  const epoch = persisted?.epoch ?? (options.now ?? Date.now)().toString(36);
  const listeners = new Set<(batch: Batch) => void>();
  // Ring of retained batches: window[head .. head+count) in seq order; seqs are contiguous.
  let window = new Array<Batch | undefined>(Math.min(replayBatches, 1024));
  let head = 0;
  let count = 0;
  let pointsHeld = 0;
  let seq = persisted?.seq ?? 0;
  let reserved = persisted ? persisted.reserve(seq) : Infinity;
  let closed = false;

  const slot = (i: number) => (head + i) % window.length;

  function retain(batch: Batch) {
    if (count === window.length && window.length < replayBatches) grow();
    if (count === window.length) evictOldest();
    window[slot(count)] = batch;
    count++;
    pointsHeld += batch.points.length;
    while (pointsHeld > replayPoints && count > 1) evictOldest();
  }

  function grow() {
    const bigger = new Array<Batch | undefined>(Math.min(window.length * 2, replayBatches));
    for (let i = 0; i < count; i++) bigger[i] = window[slot(i)];
    window = bigger;
    head = 0;
  }

  function evictOldest() {
    const oldest = window[head];
    window[head] = undefined;
    head = (head + 1) % window.length;
    count--;
    pointsHeld -= oldest?.points.length ?? 0;
  }

  function parse(id: string): { epoch: string; seq: number } | null {
    const dash = id.lastIndexOf("-");
    if (dash <= 0) return null;
    const seqText = id.slice(dash + 1);
    if (!/^\d{1,15}$/.test(seqText)) return null;
    return { epoch: id.slice(0, dash), seq: Number(seqText) };
  }

  // Seqs in the window ascend but may jump once (after a crash, past the reserved range), so
  // positions are found by binary search rather than by subtraction.
  const seqAt = (i: number) => Number((window[slot(i)] as Batch).id.slice(epoch.length + 1));
  function firstAfter(target: number): number {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqAt(mid) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  for (const logged of persisted?.batches ?? []) retain({ id: `${epoch}-${logged.seq}`, points: logged.points });

  return {
    kind: "memory",
    async publish(points: readonly Point[]) {
      if (closed) throw new Error("engine is closed");
      seq++;
      if (seq > reserved) reserved = (persisted as PersistedIds).reserve(seq);
      const batch: Batch = { id: `${epoch}-${seq}`, points };
      retain(batch);
      for (const listener of listeners) listener(batch);
      persisted?.record(seq, points);
      return batch.id;
    },
    onBatch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async replayAfter(id): Promise<ReplayResult> {
      const parsed = parse(id);
      if (!parsed) return { ok: false, reason: "unparseable-id" };
      if (parsed.epoch !== epoch) return { ok: false, reason: "foreign-epoch" };
      if (parsed.seq > seq) return { ok: false, reason: "unknown-id" };
      // Replaying after `parsed.seq` needs every batch from parsed.seq + 1 on still in the window.
      if (count > 0 && parsed.seq + 1 < seqAt(0)) return { ok: false, reason: "too-old" };
      if (count === 0 && parsed.seq < seq) return { ok: false, reason: "too-old" };
      const batches: Batch[] = [];
      for (let i = firstAfter(parsed.seq); i < count; i++) batches.push(window[slot(i)] as Batch);
      return { ok: true, batches };
    },
    latestId: () => (seq === 0 ? null : `${epoch}-${seq}`),
    startId: () => `${epoch}-0`,
    compareIds(a, b) {
      const pa = parse(a);
      const pb = parse(b);
      if (!pa || !pb || pa.epoch !== epoch || pb.epoch !== epoch) throw new Error(`not an id of this engine: ${!pa || pa.epoch !== epoch ? a : b}`);
      return pa.seq - pb.seq;
    },
    health: () => ({ engine: "memory", ready: !closed }),
    async close() {
      closed = true;
      listeners.clear();
    },
  };
}
