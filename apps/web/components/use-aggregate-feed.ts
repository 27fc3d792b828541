"use client";
import { aggregateKey } from "@livedash/events";
import { useEffect, useState } from "react";
import type { AggregateQuery } from "../lib/aggregate-feeds";
import type { SeriesStore } from "../lib/series-store";
import type { Runtime } from "./runtime";

/**
 * The store of an aggregated feed (runtime.aggregates) while the component is mounted, or null for
 * none: acquired when the query changes, released on the next change and on unmount.
 */
export function useAggregateFeed(runtime: Runtime, query: AggregateQuery | null): SeriesStore | null {
  // The effect depends on the query's value, not on an object made anew each render.
  const key = query === null ? null : JSON.stringify([query.selectors, aggregateKey(query.aggregate)]);
  const [store, setStore] = useState<SeriesStore | null>(null);
  useEffect(() => {
    if (key === null || query === null) {
      setStore(null);
      return;
    }
    const held: AggregateQuery = { selectors: [...query.selectors], aggregate: query.aggregate };
    setStore(runtime.aggregates.acquire(held));
    return () => {
      runtime.aggregates.release(held);
      setStore(null);
    };
    // `key` is the query's value: the query object itself is new on every render.
  }, [runtime, key]);
  return store;
}
