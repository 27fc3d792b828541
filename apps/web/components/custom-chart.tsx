"use client";
import type { SeriesUnit } from "@livedash/events";
import { parseChartQuery } from "../lib/chart-query";
import { MAX_TILES_PER_PATTERN } from "../lib/panels";
import { legendLabels } from "../lib/series-labels";
import { ChartView } from "./chart-view";
import { resolveSeries, thresholdsOf, tileLabelsOf } from "./panel-view";
import type { Runtime } from "./runtime";
import { StatTile } from "./stat-tile";

export interface CustomChartProps {
  runtime: Runtime;
  /** The chart query in canonical text (view state). */
  query: string;
  /** Every key the page knows (live and catalog): the selector's series. */
  names: readonly string[];
  windowMs: number;
  theme: string;
  onRemove(): void;
}

/** A chart added from the explorer: one line per series its selector matches, tiles for the first few. */
export function CustomChart({ runtime, query, names, windowMs, theme, onRemove }: CustomChartProps) {
  const selector = parseChartQuery(query)?.selector ?? query;
  const series = resolveSeries([selector], names);
  const unit: SeriesUnit = runtime.store.info(series[0] ?? "")?.unit ?? "none";
  const tiles = series.slice(0, MAX_TILES_PER_PATTERN);
  const tileLabels = tileLabelsOf(tiles);
  return (
    <div className="custom-chart" data-custom-chart={query}>
      <div className="tiles">
        {tiles.map((key, i) => (
          <StatTile key={key} runtime={runtime} series={key} label={tileLabels[i] ?? key} unit={unit} thresholds={runtime.store.info(key)?.thresholds} windowMs={windowMs} />
        ))}
      </div>
      <ChartView
        runtime={runtime}
        chartId={`custom:${query}`}
        title={query}
        series={series}
        labels={legendLabels(series)}
        unit={unit}
        thresholds={thresholdsOf(runtime.store, series)}
        windowMs={windowMs}
        theme={theme}
        onRemove={onRemove}
      />
    </div>
  );
}
