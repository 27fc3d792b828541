import type { Aggregate, HistorySeries } from "@livedash/events";
import { compileSeriesMatcher } from "@livedash/events";
import type { HistoryQuery } from "@livedash/api";
import { TRPCError } from "@trpc/server";
import type { SeriesStore } from "../store/types";
import { aggregateHistory } from "./history-aggregate";
import { outputKeyOf } from "./output-key";

/**
 * `metrics.history` with `aggregate`: the held series the entries select, each read from the store
 * one at a time over the same buckets and folded into its output series (aggregateHistory), so
 * memory is the answer, never members x points. The answer (output series x maxPoints) is bounded
 * like any history answer.
 */
export function createAggregateHistory(store: SeriesStore, maxHistoryPoints: number) {
  return {
    history(series: readonly string[], aggregate: Aggregate, query: HistoryQuery): HistorySeries[] {
      // Each entry is a selector (a key is one: its name, its labels as = matchers), so
      // `host.cpu.user` selects every `host.cpu.user{...}` and `host.cpu.user{host="a"}` those of host a.
      const selected = compileSeriesMatcher(series);
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
      // Every member is read: the store bounds the rows per member by their count.
      const memberQuery = { ...query, seriesInRequest: Math.max(1, members.length) };
      function* read() {
        for (const key of members) yield { series: key, points: store.history(key, memberQuery) };
      }
      return aggregateHistory(read(), aggregate, query);
    },
  };
}
