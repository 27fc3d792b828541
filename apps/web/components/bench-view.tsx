"use client";
import { useEffect, useRef } from "react";
import { LiveChart } from "../lib/live-chart";
import { RenderLoop } from "../lib/render-loop";
import { SeriesStore } from "../lib/series-store";
import { WINDOWS, type WindowKey } from "../lib/view-state";

export interface BenchViewProps {
  seriesCount: number;
  hz: number;
  windowKey: WindowKey;
  seriesPerChart: number;
  legend: boolean;
}

type BenchWindow = Window & { __benchReady?: boolean; __benchPoints?: number };

/**
 * The dashboard's renderer under a synthetic load generated in the page, so the benchmark measures
 * drawing, not the network: `seriesCount` series at `hz`, the window pre-filled, `seriesPerChart`
 * series per chart, the same store, render loop and charts as the overview.
 */
export function BenchView({ seriesCount, hz, windowKey, seriesPerChart, legend }: BenchViewProps) {
  const gridRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const grid = gridRef.current;
    if (grid === null) return;
    const windowMs = WINDOWS[windowKey];
    const pointsPerSeries = Math.ceil((windowMs / 1000) * hz) + hz * 10;
    const store = new SeriesStore({ initialCapacity: pointsPerSeries, maxPointsPerSeries: pointsPerSeries * 2 });
    const loop = new RenderLoop();
    const names = Array.from({ length: seriesCount }, (_, i) => `bench.s${i}`);
    const stepMs = 1000 / hz;
    const now = Date.now();
    // Random walks, pre-filled over the whole window so every chart decimates a full buffer.
    const level = names.map((_, i) => 50 + (i % 10) * 5);
    for (let s = 0; s < names.length; s++) {
      const buffer = store.buffer(names[s] as string);
      let v = level[s] as number;
      for (let t = now - windowMs; t <= now; t += stepMs) {
        v += (Math.random() - 0.5) * 4;
        buffer.push(t, v);
      }
      level[s] = v;
    }
    const charts: LiveChart[] = [];
    const removers: (() => void)[] = [];
    for (let i = 0; i < names.length; i += seriesPerChart) {
      const host = document.createElement("div");
      host.className = "chart-host";
      grid.appendChild(host);
      const chart = new LiveChart(host, { store, series: names.slice(i, i + seriesPerChart), unit: "percent", windowMs, heightPx: 160, legend });
      charts.push(chart);
      removers.push(loop.add(chart));
    }
    let generated = 0;
    const generator = setInterval(() => {
      const ts = Date.now();
      for (let s = 0; s < names.length; s++) {
        const v = (level[s] as number) + (Math.random() - 0.5) * 4;
        level[s] = v;
        store.buffer(names[s] as string).push(ts, v);
      }
      generated += names.length;
      (window as BenchWindow).__benchPoints = generated;
    }, stepMs);
    const trim = setInterval(() => store.dropBefore(Date.now() - windowMs - 5000), 5000);
    (window as BenchWindow).__benchReady = true;
    return () => {
      clearInterval(generator);
      clearInterval(trim);
      for (const remove of removers) remove();
      for (const chart of charts) chart.destroy();
      loop.destroy();
      grid.replaceChildren();
      (window as BenchWindow).__benchReady = false;
    };
  }, [seriesCount, hz, windowKey, seriesPerChart, legend]);

  return (
    <main>
      <p className="meta">
        Render benchmark: {seriesCount} series at {hz} Hz, {windowKey} window, {seriesPerChart} series per chart.
      </p>
      <div className="charts" ref={gridRef} />
    </main>
  );
}
