"use client";
import type { SeriesUnit, Thresholds } from "@livedash/events";
import { useEffect, useRef } from "react";
import type { ReactNode } from "react";
import { LiveChart } from "../lib/live-chart";
import type { SeriesStore } from "../lib/series-store";
import { useSeriesAlert } from "../lib/use-alerts";
import type { Runtime } from "./runtime";

export interface ChartViewProps {
  runtime: Runtime;
  chartId: string;
  title: string;
  /** Series keys, one line each. */
  series: readonly string[];
  /** Legend entries in the order of `series` (the full key is each entry's tooltip). */
  labels?: readonly string[];
  /** Where the lines' points are. @default runtime.store */
  store?: SeriesStore;
  /** Shown in the header, after the title (group-by controls). */
  controls?: ReactNode;
  unit: SeriesUnit;
  thresholds?: Thresholds;
  windowMs: number;
  theme: string;
  onRemove?: () => void;
}

/** A titled uPlot chart. React only mounts it; every update after that goes through the render loop. */
export function ChartView(props: ChartViewProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<LiveChart | null>(null);
  const { runtime, series, labels, unit, thresholds, theme } = props;
  const store = props.store ?? runtime.store;
  const seriesKey = series.join("\n");
  const labelsKey = (labels ?? []).join("\n");
  const thresholdsKey = JSON.stringify(thresholds ?? null);
  const windowRef = useRef(props.windowMs);
  windowRef.current = props.windowMs;

  useEffect(() => {
    const host = hostRef.current;
    if (host === null || series.length === 0) return;
    const chart = new LiveChart(host, { store, series, labels, unit, thresholds, windowMs: windowRef.current, annotations: runtime.annotations,
      onSelectRange: (from, to) => runtime.zoom.select(from, to),
      onDoubleClick: () => runtime.zoom.backToLive(),
    });
    chartRef.current = chart;
    const remove = runtime.loop.add(chart);
    return () => {
      remove();
      chart.destroy();
      chartRef.current = null;
    };
    // The series/labels/thresholds keys stand for the arrays: a new array with the same names must not rebuild the chart.
  }, [runtime, store, seriesKey, labelsKey, thresholdsKey, unit, theme]);

  useEffect(() => {
    chartRef.current?.setWindow(props.windowMs);
  }, [props.windowMs]);

  // Outlined while one of its series is pending or firing (silenced ones too, drawn as silenced).
  const alert = useSeriesAlert(runtime.alerts, series);
  return (
    <section
      className="chart"
      data-chart={props.chartId}
      aria-label={alert === null ? props.title : `${props.title} (${alert.state}${alert.silenced ? ", silenced" : ""})`}
      data-alert={alert?.state}
      data-alert-silenced={alert === null ? undefined : String(alert.silenced)}
    >
      <h3>
        {props.title}
        {props.controls}
        {props.onRemove ? (
          <button type="button" onClick={props.onRemove} aria-label={`Remove chart ${props.title}`} style={{ marginLeft: 8 }}>
            Remove
          </button>
        ) : null}
      </h3>
      {series.length === 0 ? <div className="empty">Waiting for data…</div> : null}
      <div className="chart-host" ref={hostRef} data-series={series.join(",")} />
    </section>
  );
}
