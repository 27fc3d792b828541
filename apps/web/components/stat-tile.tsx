"use client";
import type { SeriesUnit, Thresholds } from "@livedash/events";
import { useEffect, useRef } from "react";
import type { Drawable } from "../lib/render-loop";
import type { SeriesStore } from "../lib/series-store";
import { formatValue, levelOf } from "../lib/units";
import type { Runtime } from "./runtime";

export interface StatTileProps {
  /** Only its render loop and store: the fleet view has no charts, zoom or aggregates. */
  runtime: Pick<Runtime, "loop" | "store">;
  series: string;
  label: string;
  unit: SeriesUnit;
  thresholds?: Thresholds;
  windowMs: number;
  /** Where the series' points are. @default runtime.store */
  store?: SeriesStore;
}

/** Refresh interval of the tile's text: faster than a person reads, slower than a frame. */
const TILE_REFRESH_MS = 250;
/** The sparkline is a canvas (a compositor commit each redraw): once a second is enough at its size. */
const SPARKLINE_REFRESH_MS = 1000;

/** Current value plus a sparkline of the window; written straight to the DOM from the render loop. */
export function StatTile(props: StatTileProps) {
  const rootRef = useRef<HTMLDivElement>(null);
  const valueRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const windowRef = useRef(props.windowMs);
  windowRef.current = props.windowMs;
  const { runtime, series, unit } = props;
  const store = props.store ?? runtime.store;
  const thresholdsKey = JSON.stringify(props.thresholds ?? null);

  useEffect(() => {
    const root = rootRef.current;
    const valueEl = valueRef.current;
    const canvas = canvasRef.current;
    if (root === null || valueEl === null || canvas === null) return;
    const thresholds = props.thresholds;
    let lastAt = Number.NEGATIVE_INFINITY;
    let lastVersion = -1;
    let lastNow = 0;
    let lastSparkAt = Number.NEGATIVE_INFINITY;
    const drawable: Drawable = {
      element: root,
      frame(nowMs) {
        const at = performance.now();
        if (at - lastAt < TILE_REFRESH_MS) return false;
        const buffer = store.peek(series);
        const version = buffer?.version ?? -1;
        if (version === lastVersion && Math.abs(nowMs - lastNow) < TILE_REFRESH_MS * 4) return false;
        lastAt = at;
        lastVersion = version;
        lastNow = nowMs;
        const value = buffer && buffer.length > 0 ? buffer.lastValue : null;
        valueEl.textContent = formatValue(value, unit);
        const level = levelOf(value, thresholds);
        root.dataset.level = level;
        if (at - lastSparkAt < SPARKLINE_REFRESH_MS) return false;
        lastSparkAt = at;
        drawSparkline(canvas, store, series, nowMs - windowRef.current, nowMs, level);
        return true;
      },
    };
    return runtime.loop.add(drawable);
    // thresholdsKey stands for props.thresholds.
  }, [runtime, store, series, unit, thresholdsKey]);

  return (
    <div className="tile" ref={rootRef} data-series={series} data-level="ok">
      <div className="label" title={series}>{props.label}</div>
      <div className="value" ref={valueRef} aria-live="off">–</div>
      <canvas ref={canvasRef} aria-hidden="true" />
    </div>
  );
}

function drawSparkline(canvas: HTMLCanvasElement, store: SeriesStore, series: string, fromMs: number, toMs: number, level: string) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext("2d");
  const buffer = store.peek(series);
  if (ctx === null) return;
  ctx.clearRect(0, 0, width, height);
  if (buffer === undefined || buffer.length === 0) return;
  const i0 = buffer.lowerBound(fromMs);
  const i1 = buffer.end;
  if (i1 - i0 < 2) return;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = i0; i < i1; i++) {
    const v = buffer.values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) max = min + 1;
  const styles = getComputedStyle(canvas);
  ctx.strokeStyle = styles.getPropertyValue(level === "ok" ? "--accent" : `--${level}`).trim() || "#4ea1ff";
  ctx.lineWidth = ratio;
  ctx.beginPath();
  // At most one segment per device pixel column: a sparkline of 9,000 points still costs ~200 lineTo calls.
  let lastX = -1;
  for (let i = i0; i < i1; i++) {
    const x = Math.round(((buffer.ts[i] as number) - fromMs) / (toMs - fromMs) * (width - 1));
    if (x === lastX && i !== i1 - 1) continue;
    lastX = x;
    const y = height - 1 - (((buffer.values[i] as number) - min) / (max - min)) * (height - 2);
    if (i === i0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
}
