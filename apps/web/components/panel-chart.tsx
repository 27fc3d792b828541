"use client";
import type { Aggregate, SeriesUnit } from "@livedash/events";
import { useId } from "react";
import type { ChartSpec } from "../lib/panels";
import { labelValues, legendLabels } from "../lib/series-labels";
import { ChartView } from "./chart-view";
import { resolveSeries, scopeSelectors, thresholdsOf } from "./panel-view";
import type { Runtime } from "./runtime";
import { useAggregateFeed } from "./use-aggregate-feed";

export interface PanelChartProps {
  runtime: Runtime;
  spec: ChartSpec;
  /** Every key the page knows (live and catalog). */
  names: readonly string[];
  /** The host the overview shows; null: every host. */
  host: string | null;
  /** The label this chart is grouped by (view state `by`); undefined: one line per series. */
  by: string | undefined;
  onGroupBy(label: string | null): void;
  windowMs: number;
  theme: string;
}

/**
 * One overview chart, with a "group by" choice among the label names of the series it shows: grouped,
 * the server aggregates them (avg for percentages, sum otherwise) into one line per value of the label
 * and per series name. Grouping by `host` compares every host, so it leaves the overview's host out.
 */
export function PanelChart({ runtime, spec, names, host, by, onGroupBy, windowMs, theme }: PanelChartProps) {
  const selectors = scopeSelectors(spec.selectors, by === "host" ? null : host);
  const shown = resolveSeries(selectors, names);
  const unit: SeriesUnit = spec.unit ?? runtime.store.info(shown[0] ?? "")?.unit ?? "none";
  const aggregate: Aggregate | null = by === undefined ? null : { op: unit === "percent" ? "avg" : "sum", by: [by] };
  const groups = useAggregateFeed(runtime, aggregate === null ? null : { selectors, aggregate });
  const series = aggregate === null ? shown : groups === null ? [] : resolveSeries(["*"], groups.names());
  const choices = [...labelValues(shown).keys()];
  if (by !== undefined && !choices.includes(by)) choices.push(by);
  const selectId = useId();
  const controls = choices.length === 0 ? null : (
    <span className="chart-controls">
      <label htmlFor={selectId}>by</label>
      <select id={selectId} value={by ?? ""} onChange={(e) => onGroupBy(e.target.value === "" ? null : e.target.value)} data-testid="panel-group-by" data-chart-group={spec.id}>
        <option value="">none</option>
        {choices.map((label) => (
          <option key={label} value={label}>
            {label}
          </option>
        ))}
      </select>
    </span>
  );
  return (
    <ChartView
      runtime={runtime}
      store={groups ?? runtime.store}
      chartId={spec.id}
      title={aggregate === null ? spec.title : `${spec.title} (${aggregate.op} by ${by})`}
      series={series}
      labels={legendLabels(series, host === null || by === "host" ? [] : ["host"])}
      unit={unit}
      thresholds={aggregate === null ? thresholdsOf(runtime.store, series) : undefined}
      windowMs={windowMs}
      theme={theme}
      controls={controls}
    />
  );
}
