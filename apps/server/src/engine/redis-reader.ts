import type { Redis } from "ioredis";
import type { ResetEvent } from "@livedash/events";
import { decodeEntry } from "./redis-codec";
import type { DecodedEntry } from "./redis-codec";
import { compareStreamIds, STREAM_START_ID } from "./redis-ids";
import type { ResolvedRedisEngineOptions } from "./redis-options";
import type { Batch } from "./types";

/** Entries per XREVRANGE round trip of the warm-up. */
const WARM_PAGE_SIZE = 1_000;

/** Why the reader's view of the stream broke: listeners should tell live subscribers to refetch. */
export type StreamGapReason = Extract<ResetEvent["reason"], "engine-restarted" | "lagged">;

export interface StreamReaderStats {
  batchesRead: number;
  pointsRead: number;
  /** Entries skipped because their payload was not a points array (foreign writers to the key). */
  undecodable: number;
  /** Times the reader found its chain broken (Redis lost data, or the reader fell behind trimming). */
  gaps: number;
  readErrors: number;
}

/**
 * The one path by which batches reach this instance's listeners: a warm-up read of the newest
 * entries, then XREAD BLOCK from the last delivered id on a dedicated connection (a blocked
 * connection cannot serve other commands). Every instance, including the publisher, learns of a
 * batch here, so all instances deliver the same batches in the same (stream id) order.
 */
export function createStreamReader(conn: Redis, options: ResolvedRedisEngineOptions) {
  // `conn` is owned from here on: close() disconnects it.
  const key = options.streamKey;
  const listeners = new Set<(batch: Batch) => void>();
  const gapListeners = new Set<(reason: StreamGapReason) => void>();
  const waiters = new Set<{ id: string; done: (ok: boolean) => void }>();
  const wakeups = new Set<() => void>();
  const stats: StreamReaderStats = { batchesRead: 0, pointsRead: 0, undecodable: 0, gaps: 0, readErrors: 0 };
  /** Where the next XREAD starts; null until the warm-up read succeeded. */
  let cursor: string | null = null;
  /** Newest id delivered to listeners; null before the first and after a data-loss reset. */
  let delivered: string | null = null;
  /** The `prev` the next entry must carry for the chain to be unbroken; null accepts any (after a restart). */
  let expectedPrev: string | null = null;
  /** Set after a reconnect or an idle XREAD: check the stream still holds our cursor. */
  let verifyCursor = false;
  let lastError: string | null = null;
  let closed = false;
  let loop: Promise<void> | null = null;
  let warmed: (() => void) | null = null;

  conn.on("ready", () => {
    verifyCursor = true;
    for (const wake of [...wakeups]) wake();
  });

  /** Resolves after `ms`, on the next "ready", or on close, whichever is first; the timer is owned here. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakeups.add(wake);
    });
  }

  function emitGap(reason: StreamGapReason) {
    stats.gaps++;
    for (const listener of gapListeners) {
      try {
        listener(reason);
      } catch (error) {
        options.onListenerError(error);
      }
    }
  }

  function deliver(entry: DecodedEntry) {
    cursor = entry.id;
    delivered = entry.id;
    expectedPrev = entry.id;
    if (!entry.points) {
      stats.undecodable++;
      return;
    }
    stats.batchesRead++;
    stats.pointsRead += entry.points.length;
    const batch: Batch = { id: entry.id, points: entry.points };
    for (const listener of listeners) {
      try {
        listener(batch);
      } catch (error) {
        options.onListenerError(error);
      }
    }
  }

  function settleWaiters() {
    if (delivered === null) return;
    for (const waiter of waiters) if (compareStreamIds(delivered, waiter.id) >= 0) waiter.done(true);
  }

  /**
   * Re-reads whatever the stream holds from 0-0. After a Redis restart that lost data the new entries
   * may even have smaller ids than our cursor (another host's clock), so continuing from the cursor
   * could skip them; after trimming overtook us, every entry <= cursor is gone anyway, so 0-0 re-delivers nothing.
   */
  function restartFromScratch(reason: StreamGapReason, streamEmpty: boolean) {
    cursor = STREAM_START_ID;
    expectedPrev = null;
    // With nothing left to read, no newer id may come for a while: latestId() says so (null), and the
    // live path resets its subscribers at once. Otherwise the next entry delivered carries the reset.
    if (streamEmpty) delivered = null;
    emitGap(reason);
  }

  /**
   * Delivers the newest entries of the last warmWindowMs (at most warmCount), oldest first, read
   * newest-first in pages so no single reply is huge. Stream ids start with Redis' clock in ms, so
   * the window is an id range.
   */
  async function warm() {
    const since = `${Math.max(0, Date.now() - options.warmWindowMs)}-0`;
    const newestFirst: [string, string[]][] = [];
    let end = "+";
    for (let round = 0; newestFirst.length < options.warmCount && round < options.warmCount; round++) {
      const want = Math.min(WARM_PAGE_SIZE, options.warmCount - newestFirst.length);
      const page = await conn.xrevrange(key, end, since, "COUNT", want);
      newestFirst.push(...page);
      if (page.length < want) break;
      end = `(${page[page.length - 1]![0]}`;
    }
    if (newestFirst.length === 0) {
      // Nothing to warm: follow from the newest entry before the window (0-0 when there is none),
      // never `$`. Reading "before the window" rather than "newest" matters: an entry appended since
      // the read above is inside the window and must still reach listeners through the first XREAD.
      // (With warmCount 0 the caller wants nothing old: start after the newest entry.)
      const before = options.warmCount === 0 ? "+" : since === STREAM_START_ID ? null : `(${since}`;
      const [last] = before === null ? [] : await conn.xrevrange(key, before, "-", "COUNT", 1);
      cursor = STREAM_START_ID;
      expectedPrev = "";
      if (last) cursor = delivered = expectedPrev = last[0];
    } else {
      for (let i = newestFirst.length - 1; i >= 0; i--) deliver(decodeEntry(newestFirst[i]![0], newestFirst[i]![1]));
    }
    settleWaiters();
  }

  /** After a reconnect or an idle period: is our cursor still part of the stream's chain? */
  async function verify() {
    if (cursor === null || cursor === STREAM_START_ID) return;
    const [hit] = await conn.xrange(key, cursor, "+", "COUNT", 1);
    // Nothing at or after our cursor: the stream was emptied or replaced (trimming never drops the newest entry).
    if (!hit) return restartFromScratch("engine-restarted", true);
    if (hit[0] === cursor) return;
    const entry = decodeEntry(hit[0], hit[1]);
    if (entry.prev === cursor) return;
    restartFromScratch(entry.prev === "" ? "engine-restarted" : "lagged", false);
  }

  function accept(id: string, fields: string[]) {
    const entry = decodeEntry(id, fields);
    if (expectedPrev !== null && entry.prev !== expectedPrev) {
      // A fresh chain ("" prev) means the stream was recreated under us; otherwise trimming overtook us.
      // Reported before this entry is delivered: the live path gives the reset this entry's id (latestId()
      // is still the previous one, which subscribers already have).
      emitGap(entry.prev === "" ? "engine-restarted" : "lagged");
    }
    deliver(entry);
  }

  async function run() {
    let failures = 0;
    while (!closed) {
      try {
        if (conn.status !== "ready") {
          await pause(options.reconnectMaxDelayMs);
          continue;
        }
        if (cursor === null) {
          await warm();
          warmed?.();
        }
        if (verifyCursor) {
          verifyCursor = false;
          await verify();
        }
        const reply = await conn.xread("COUNT", options.readCount, "BLOCK", options.blockMs, "STREAMS", key, cursor ?? STREAM_START_ID);
        failures = 0;
        lastError = null;
        if (!reply) {
          verifyCursor = true;
          continue;
        }
        for (const [, entries] of reply) for (const [id, fields] of entries) accept(id, fields);
        settleWaiters();
      } catch (error) {
        if (closed) break;
        stats.readErrors++;
        failures++;
        lastError = error instanceof Error ? error.message : String(error);
        verifyCursor = true;
        await pause(Math.min(options.reconnectMaxDelayMs, 25 * 2 ** Math.min(failures, 10)));
      }
    }
  }

  return {
    /** Listeners run synchronously in stream id order; a throwing listener is reported, not fatal. */
    onBatch(listener: (batch: Batch) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Called when the reader could not follow the chain: live subscribers missed something. */
    onGap(listener: (reason: StreamGapReason) => void): () => void {
      gapListeners.add(listener);
      return () => gapListeners.delete(listener);
    },
    /** Starts the loop; resolves once warm-up was delivered, or after startTimeoutMs if Redis is away. */
    start(): Promise<void> {
      if (loop) return Promise.resolve();
      const ready = new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), options.startTimeoutMs);
        const done = () => {
          clearTimeout(timer);
          warmed = null;
          resolve();
        };
        warmed = done;
      });
      loop = run();
      return ready;
    },
    latestId: () => delivered,
    /** Resolves true once the reader delivered `id` (or later), false after timeoutMs or on close. */
    waitDelivered(id: string, timeoutMs: number): Promise<boolean> {
      if (delivered !== null && compareStreamIds(delivered, id) >= 0) return Promise.resolve(true);
      if (closed || timeoutMs <= 0) return Promise.resolve(false);
      return new Promise((resolve) => {
        const waiter = {
          id,
          done: (ok: boolean) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(ok);
          },
        };
        const timer = setTimeout(() => waiter.done(false), timeoutMs);
        waiters.add(waiter);
      });
    },
    lastError: () => lastError,
    stats: (): StreamReaderStats => ({ ...stats }),
    /** Stops the loop and disconnects the reader's connection (which rejects the pending XREAD). */
    async close(): Promise<void> {
      closed = true;
      warmed?.();
      for (const waiter of [...waiters]) waiter.done(false);
      for (const wake of [...wakeups]) wake();
      conn.disconnect();
      await loop;
      listeners.clear();
      gapListeners.clear();
    },
  };
}

export type StreamReader = ReturnType<typeof createStreamReader>;
