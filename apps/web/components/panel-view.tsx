"use client";
import type { SeriesUnit, Thresholds } from "@livedash/events";
import { compileSeriesMatcher } from "@livedash/events";
import { withLabel } from "../lib/chart-query";
import type { PanelSpec } from "../lib/panels";
import { MAX_TILES_PER_PATTERN } from "../lib/panels";
import { splitKey } from "../lib/series-labels";
import type { SeriesStore } from "../lib/series-store";
import { useSeriesAlert } from "../lib/use-alerts";
import { PanelChart } from "./panel-chart";
import type { Runtime } from "./runtime";
import { StatTile } from "./stat-tile";

/** Keys matching the selectors, in selector order, numeric-aware within one selector (cpu="2" before cpu="10"). */
export function resolveSeries(selectors: readonly string[], keys: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const selector of selectors) {
    const match = compileSeriesMatcher([selector]);
    const hits = keys.filter((k) => match(k) && !seen.has(k));
    hits.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    for (const hit of hits) seen.add(hit);
    out.push(...hits);
  }
  return out;
}

/** The overview's selectors limited to one host (`host="web1"` added), or as they are without one. */
export function scopeSelectors(selectors: readonly string[], host: string | null): string[] {
  if (host === null) return [...selectors];
  return selectors.flatMap((s) => withLabel(s, "host", host) ?? []);
}

export function thresholdsOf(store: SeriesStore, series: readonly string[]): Thresholds | undefined {
  for (const name of series) {
    const t = store.info(name)?.thresholds;
    if (t !== undefined && (t.warn !== undefined || t.crit !== undefined)) return t;
  }
  return undefined;
}

export interface PanelViewProps {
  runtime: Runtime;
  panel: PanelSpec;
  /** Every key the page knows (live and catalog). */
  names: readonly string[];
  /** The host the overview shows; null: every host (no collector series carry one yet). */
  host: string | null;
  windowMs: number;
  theme: string;
  /** Charts grouped by a label (view state `by`, chart id -> label). */
  groupBy?: Readonly<Record<string, string>> | undefined;
  onGroupBy(chartId: string, label: string | null): void;
}

export function PanelView({ runtime, panel, names, host, windowMs, theme, groupBy, onGroupBy }: PanelViewProps) {
  const tiles: string[] = [];
  for (const selector of scopeSelectors(panel.tiles, host)) tiles.push(...resolveSeries([selector], names).slice(0, MAX_TILES_PER_PATTERN));
  const tileLabels = tileLabelsOf(tiles);
  const charts = panel.charts.map((spec) => ({ spec, series: resolveSeries(scopeSelectors(spec.selectors, host), names) }));
  // The panel is outlined while any series it shows is pending or firing.
  const alert = useSeriesAlert(runtime.alerts, [...tiles, ...charts.flatMap((c) => c.series)]);
  return (
    <section
      className="panel"
      aria-labelledby={`panel-${panel.id}`}
      data-panel={panel.id}
      data-alert={alert?.state}
      data-alert-silenced={alert === null ? undefined : String(alert.silenced)}
    >
      <h2 id={`panel-${panel.id}`}>{panel.title}</h2>
      {tiles.length > 0 ? (
        <div className="tiles">
          {tiles.map((key, i) => {
            const info = runtime.store.info(key);
            const unit: SeriesUnit = info?.unit ?? "none";
            return <StatTile key={key} runtime={runtime} series={key} label={tileLabels[i] ?? key} unit={unit} thresholds={info?.thresholds} windowMs={windowMs} />;
          })}
        </div>
      ) : null}
      <div className="charts">
        {panel.charts.map((spec) => (
          <PanelChart
            key={spec.id}
            runtime={runtime}
            spec={spec}
            names={names}
            host={host}
            by={groupBy?.[spec.id]}
            onGroupBy={(label) => onGroupBy(spec.id, label)}
            windowMs={windowMs}
            theme={theme}
          />
        ))}
      </div>
    </section>
  );
}

/**
 * "host.mem.used_bytes" -> "mem used"; tiles are narrow (the full key is in the title attribute), so
 * of the labels only the values that differ between the panel's tiles follow: "net rx lo", "net rx eth0".
 */
export function tileLabelsOf(keys: readonly string[]): string[] {
  const parts = keys.map(splitKey);
  const differing = [...new Set(parts.flatMap((p) => Object.keys(p.labels)))].filter((label) =>
    parts.some((p) => p.labels[label] !== parts[0]?.labels[label]),
  );
  return parts.map(({ name, labels }) => {
    const tail = name.split(".").slice(1).join(" ").replace(/_(bytes|bytes_per_s|percent|ms)$/, "").replace(/_/g, " ") || name;
    const values = differing.flatMap((label) => labels[label] ?? []);
    return values.length === 0 ? tail : `${tail} ${values.join(" ")}`;
  });
}
