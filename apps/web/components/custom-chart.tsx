"use client";
import type { AggregateOp, SeriesUnit } from "@livedash/events";
import { AGGREGATE_OPS } from "@livedash/events";
import { useId } from "react";
import type { ChartQuery } from "../lib/chart-query";
import { formatChartQuery, parseChartQuery, withAggregate } from "../lib/chart-query";
import { MAX_TILES_PER_PATTERN } from "../lib/panels";
import { labelValues, legendLabels } from "../lib/series-labels";
import type { SeriesStore } from "../lib/series-store";
import { ChartView } from "./chart-view";
import { resolveSeries, thresholdsOf, tileLabelsOf } from "./panel-view";
import { useAggregateFeed } from "./use-aggregate-feed";
import type { Runtime } from "./runtime";
import { StatTile } from "./stat-tile";

export interface CustomChartProps {
  runtime: Runtime;
  /** The chart query in canonical text (view state). */
  query: string;
  /** Every key the page knows (live and catalog): the selector's series and their labels. */
  names: readonly string[];
  /** Bumped when any store's series set changed: an aggregation's groups are re-read. */
  seriesTick: number;
  windowMs: number;
  theme: string;
  onReplace(next: string): void;
  onRemove(): void;
}

/** "Group by" value for one line per name (an aggregation without `by`). */
const ALL = "*";

/**
 * A chart added from the explorer: one line per series its selector matches, or, grouped by a label,
 * one line per value of it (the server aggregates, `metrics.live` with `aggregate: { op, by }`).
 */
export function CustomChart({ runtime, query, names, seriesTick, windowMs, theme, onReplace, onRemove }: CustomChartProps) {
  const parsed: ChartQuery = parseChartQuery(query) ?? { selector: query };
  const aggregated = parsed.aggregate !== undefined;
  const groups = useAggregateStore(runtime, aggregated ? parsed : null);
  const store = groups ?? runtime.store;
  const selected = resolveSeries([parsed.selector], names);
  // seriesTick re-renders this when an aggregation's groups change; its store is read here.
  void seriesTick;
  const series = !aggregated ? selected : groups === null ? [] : resolveSeries(["*"], groups.names());
  const unit: SeriesUnit = parsed.aggregate?.op === "count" ? "count" : (runtime.store.info(selected[0] ?? "")?.unit ?? "none");
  const labels = [...labelValues(selected).keys()];
  const tiles = series.slice(0, MAX_TILES_PER_PATTERN);
  const tileLabels = tileLabelsOf(tiles);
  const groupId = useId();
  const by = parsed.aggregate?.by ?? [];
  const groupValue = !aggregated ? "" : by.length === 0 ? ALL : by.join(",");
  const op: AggregateOp = parsed.aggregate?.op ?? (unit === "percent" ? "avg" : "sum");

  const regroup = (nextGroup: string, nextOp: AggregateOp) => {
    const next =
      nextGroup === "" ? withAggregate(parsed, null, []) : withAggregate(parsed, nextOp, nextGroup === ALL ? [] : nextGroup.split(","));
    onReplace(formatChartQuery(next));
  };

  const controls = (
    <span className="chart-controls">
      <label htmlFor={`${groupId}-by`}>group by</label>
      <select id={`${groupId}-by`} value={groupValue} onChange={(e) => regroup(e.target.value, op)} data-testid="group-by">
        <option value="">— (each series)</option>
        {labels.map((label) => (
          <option key={label} value={label}>
            {label}
          </option>
        ))}
        {groupValue !== "" && groupValue !== ALL && !labels.includes(groupValue) ? <option value={groupValue}>{groupValue}</option> : null}
        <option value={ALL}>all (one line)</option>
      </select>
      {aggregated ? (
        <>
          <label htmlFor={`${groupId}-op`} className="visually-hidden">aggregate with</label>
          <select id={`${groupId}-op`} value={op} onChange={(e) => regroup(groupValue, e.target.value as AggregateOp)} data-testid="group-op">
            {AGGREGATE_OPS.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </>
      ) : null}
    </span>
  );

  return (
    <div className="custom-chart" data-custom-chart={query}>
      <div className="tiles">
        {tiles.map((key, i) => (
          <StatTile key={key} runtime={runtime} store={store} series={key} label={tileLabels[i] ?? key} unit={unit} thresholds={aggregated ? undefined : runtime.store.info(key)?.thresholds} windowMs={windowMs} />
        ))}
      </div>
      <ChartView
        runtime={runtime}
        store={store}
        chartId={`custom:${query}`}
        title={query}
        series={series}
        labels={legendLabels(series)}
        unit={unit}
        thresholds={aggregated ? undefined : thresholdsOf(runtime.store, series)}
        windowMs={windowMs}
        theme={theme}
        controls={controls}
        onRemove={onRemove}
      />
    </div>
  );
}

/** The aggregation feed's store while the chart is mounted (null for a plain chart). */
function useAggregateStore(runtime: Runtime, query: ChartQuery | null): SeriesStore | null {
  const parsed = query?.aggregate === undefined ? null : { selectors: [query.selector], aggregate: query.aggregate };
  return useAggregateFeed(runtime, parsed);
}
