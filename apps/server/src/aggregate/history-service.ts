import type { Aggregate, HistorySeries } from "@livedash/events";
import { parseSeriesKey } from "@livedash/events";
import type { HistoryQuery } from "@livedash/api";
import { TRPCError } from "@trpc/server";
import type { SeriesStore } from "../store/types";
import { aggregateHistory } from "./history-aggregate";
import { outputKeyOf } from "./output-key";

/**
 * Which held series a history entry selects for aggregation: every series of that name whose labels
 * include the entry's (`host.cpu.user` selects every `host.cpu.user{...}`; `host.cpu.user{host="a"}`
 * those of host a), the equality matchers of a selector.
 */
function selects(entries: readonly string[]): (key: string) => boolean {
  const wanted = entries.flatMap((entry) => {
    const parsed = parseSeriesKey(entry);
    return parsed.ok ? [parsed.value] : [];
  });
  return (key) => {
    const parsed = parseSeriesKey(key);
    if (!parsed.ok) return false;
    const { name, labels } = parsed.value;
    return wanted.some((w) => w.name === name && Object.entries(w.labels).every(([label, value]) => labels[label] === value));
  };
}

/**
 * `metrics.history` with `aggregate`: the held series the entries select, each read from the store
 * one at a time over the same buckets and folded into its output series (aggregateHistory), so
 * memory is the answer, never members x points. The answer (output series x maxPoints) is bounded
 * like any history answer.
 */
export function createAggregateHistory(store: SeriesStore, maxHistoryPoints: number) {
  return {
    history(series: readonly string[], aggregate: Aggregate, query: HistoryQuery): HistorySeries[] {
      const selected = selects(series);
      const members = store
        .catalog()
        .map((info) => info.name)
        .filter(selected);
      const outputs = new Set(members.map((key) => outputKeyOf(key, aggregate.by ?? [])));
      const asked = outputs.size * query.maxPoints;
      if (asked > maxHistoryPoints) {
        throw new TRPCError({
          code: "PAYLOAD_TOO_LARGE",
          message: `aggregate: ${outputs.size} output series × maxPoints ${query.maxPoints} = ${asked} points is over the limit of ${maxHistoryPoints} per history query (LIVEDASH_MAX_HISTORY_POINTS); group by fewer labels or ask a smaller maxPoints`,
        });
      }
      function* read() {
        for (const key of members) yield { series: key, points: store.history(key, query) };
      }
      return aggregateHistory(read(), aggregate, query);
    },
  };
}
