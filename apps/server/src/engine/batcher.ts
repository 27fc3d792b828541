import type { Point } from "@livedash/events";
import type { Engine } from "./types";

export interface BatcherOptions {
  /**
   * How long points wait to be merged with others into one event. 0 merges what arrives in the same
   * event-loop turn (flush on setImmediate): the lowest latency that still turns a burst of small
   * ingest requests into one event per subscriber. Larger windows trade latency for fewer, bigger events.
   * @default 0
   */
  windowMs?: number;
  /**
   * A batch this large is published at once, without waiting for the window.
   * @default 50_000
   */
  maxPoints?: number;
}

interface Waiter {
  resolve: (id: string) => void;
  reject: (error: unknown) => void;
}

/**
 * Merges concurrent publishes into one engine batch so fan-out cost is paid per batch, not per
 * request. Order is kept: points leave in the order they were enqueued.
 */
export function createBatcher(engine: Engine, options: BatcherOptions = {}) {
  const windowMs = options.windowMs ?? 0;
  const maxPoints = options.maxPoints ?? 50_000;
  let pending: Point[] = [];
  let waiters: Waiter[] = [];
  let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  // Publishes are chained so a slow publish (redis) cannot be overtaken by a later one.
  let chain: Promise<unknown> = Promise.resolve();

  function flush() {
    if (timer) {
      if (windowMs > 0) clearTimeout(timer as NodeJS.Timeout);
      else clearImmediate(timer as NodeJS.Immediate);
      timer = null;
    }
    if (pending.length === 0) return;
    const points = pending;
    const batchWaiters = waiters;
    pending = [];
    waiters = [];
    chain = chain.then(() =>
      engine.publish(points).then(
        (id) => batchWaiters.forEach((w) => w.resolve(id)),
        (error: unknown) => batchWaiters.forEach((w) => w.reject(error)),
      ),
    );
  }

  return {
    /** Resolves with the id of the event that carried these points. */
    enqueue(points: readonly Point[]): Promise<string> {
      return new Promise<string>((resolve, reject) => {
        for (const point of points) pending.push(point);
        waiters.push({ resolve, reject });
        if (pending.length >= maxPoints) flush();
        else if (!timer) timer = windowMs > 0 ? setTimeout(flush, windowMs) : setImmediate(flush);
      });
    },
    /** Publishes what is pending now and waits for every publish so far. */
    async drain(): Promise<void> {
      flush();
      await chain;
    },
  };
}

export type Batcher = ReturnType<typeof createBatcher>;
