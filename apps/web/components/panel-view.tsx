"use client";
import type { SeriesUnit, Thresholds } from "@livedash/events";
import { compileSeriesMatcher } from "@livedash/events";
import type { PanelSpec } from "../lib/panels";
import { MAX_TILES_PER_PATTERN } from "../lib/panels";
import { ChartView } from "./chart-view";
import type { Runtime } from "./runtime";
import { StatTile } from "./stat-tile";

/** Names matching the patterns, in pattern order, numeric-aware within one pattern (core2 before core10). */
export function resolveSeries(patterns: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (const pattern of patterns) {
    const match = compileSeriesMatcher([pattern]);
    const hits = names.filter((n) => match(n) && !out.includes(n));
    hits.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    out.push(...hits);
  }
  return out;
}

export function thresholdsOf(runtime: Runtime, series: readonly string[]): Thresholds | undefined {
  for (const name of series) {
    const t = runtime.store.info(name)?.thresholds;
    if (t !== undefined && (t.warn !== undefined || t.crit !== undefined)) return t;
  }
  return undefined;
}

export interface PanelViewProps {
  runtime: Runtime;
  panel: PanelSpec;
  names: readonly string[];
  windowMs: number;
  theme: string;
}

export function PanelView({ runtime, panel, names, windowMs, theme }: PanelViewProps) {
  const tiles: string[] = [];
  for (const pattern of panel.tiles) tiles.push(...resolveSeries([pattern], names).slice(0, MAX_TILES_PER_PATTERN));
  return (
    <section className="panel" aria-labelledby={`panel-${panel.id}`} data-panel={panel.id}>
      <h2 id={`panel-${panel.id}`}>{panel.title}</h2>
      {tiles.length > 0 ? (
        <div className="tiles">
          {tiles.map((name) => {
            const info = runtime.store.info(name);
            const unit: SeriesUnit = info?.unit ?? "none";
            return <StatTile key={name} runtime={runtime} series={name} label={tileLabel(name)} unit={unit} thresholds={info?.thresholds} windowMs={windowMs} />;
          })}
        </div>
      ) : null}
      <div className="charts">
        {panel.charts.map((spec) => {
          const series = resolveSeries(spec.patterns, names);
          const unit: SeriesUnit = spec.unit ?? runtime.store.info(series[0] ?? "")?.unit ?? "none";
          const labels = series.map((s) => (spec.labelPrefix && s.startsWith(spec.labelPrefix) ? s.slice(spec.labelPrefix.length) : s));
          return (
            <ChartView
              key={spec.id}
              runtime={runtime}
              chartId={spec.id}
              title={spec.title}
              series={series}
              labels={labels}
              unit={unit}
              thresholds={thresholdsOf(runtime, series)}
              windowMs={windowMs}
              theme={theme}
            />
          );
        })}
      </div>
    </section>
  );
}

/** "host.mem.used_bytes" -> "mem used"; tiles are narrow, the full name is in the title attribute. */
function tileLabel(name: string): string {
  const parts = name.split(".");
  const tail = parts.slice(1).join(" ");
  return tail.replace(/_(bytes|bytes_per_s|percent|ms)$/, "").replace(/_/g, " ") || name;
}
