import type { SeriesUnit, Thresholds } from "@livedash/events";
import type { Annotation } from "@livedash/events";
import uPlot from "uplot";
import { annotationMarks } from "./annotation-geometry";
import { AnnotationLayer } from "./annotation-layer";
import { createFrame, decimate, type DecimatedFrame } from "./decimate";
import type { Drawable } from "./render-loop";
import type { SeriesStore } from "./series-store";
import { formatValue } from "./units";

export interface LiveChartOptions {
  store: SeriesStore;
  series: readonly string[];
  /** Display labels, in the order of `series`; defaults to the names. */
  labels?: readonly string[];
  unit: SeriesUnit;
  thresholds?: Thresholds;
  windowMs: number;
  /** @default 180 */
  heightPx?: number;
  /** Charts with the same key share the hover crosshair. @default "livedash" */
  syncKey?: string;
  /** Never redraw a chart more often than this, even when data arrives faster. @default 50 */
  minRedrawMs?: number;
  /** Show uPlot's legend (series names, values under the cursor). @default true */
  legend?: boolean;
  /** A drag across the plot selected this time range (ms, either order, unrounded); absent = no drag-select. */
  onSelectRange?(from: number, to: number): void;
  /** A double-click on the plot: back to live. */
  onDoubleClick?(): void;
  /** Annotations to mark on the chart (every chart shows those its window holds). */
  annotations?: AnnotationSource;
}

/** Where a chart reads its annotations; `version` changes when the list does. */
export interface AnnotationSource {
  list(): readonly Annotation[];
  version(): number;
}

/** A drag narrower than this many CSS pixels is a click. */
const MIN_SELECT_PX = 3;

const PALETTE_VARS = ["--series-1", "--series-2", "--series-3", "--series-4", "--series-5", "--series-6", "--series-7", "--series-8"];

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value === "" ? fallback : value;
}

/**
 * One uPlot chart fed from the store. It redraws from the render loop only, and only when its
 * data changed or the time axis moved by a pixel column; each redraw decimates to min/max per
 * column into reused arrays, so its cost follows the chart width, not the point count.
 */
export class LiveChart implements Drawable {
  readonly element: HTMLElement;
  private readonly plot: uPlot;
  private readonly frame_: DecimatedFrame;
  private readonly versions: number[];
  private windowMs: number;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private lastDrawNow = Number.NEGATIVE_INFINITY;
  private forceRedraw = true;
  private fromMs = 0;
  private toMs = 1;
  private readonly resizeObserver: ResizeObserver;
  private readonly annotationLayer: AnnotationLayer;
  private annotationVersion = -1;

  constructor(host: HTMLElement, private readonly options: LiveChartOptions) {
    this.element = host;
    this.windowMs = options.windowMs;
    this.frame_ = createFrame(options.series.length);
    this.versions = options.series.map(() => -1);
    const text = cssVar("--chart-text", "#888");
    const grid = cssVar("--chart-grid", "rgba(128,128,128,0.15)");
    const unit = options.unit;
    const thresholds = options.thresholds;
    const plotOptions: uPlot.Options = {
      width: Math.max(200, host.clientWidth),
      height: options.heightPx ?? 180,
      ms: 1,
      pxAlign: 0,
      cursor: {
        sync: {
          key: options.syncKey ?? "livedash",
          scales: ["x", null],
          // The crosshair is shared; a drag is not: only the chart dragged on reports the selection, once.
          filters: { pub: (type) => type !== "mousedown" && type !== "mouseup" && type !== "dblclick" },
        },
        // setScale false: the zoom is the page's (every chart, the URL, history for the range), not this plot's scale.
        drag: { x: options.onSelectRange !== undefined, y: false, setScale: false },
        points: { size: 6 },
      },
      legend: { show: options.legend ?? true, live: true },
      scales: {
        x: { time: true, range: () => [this.fromMs, this.toMs] },
        y: {
          range: (_u, min, max) => {
            const lo = Math.min(0, Number.isFinite(min) ? min : 0);
            let hi = Number.isFinite(max) ? max : 1;
            if (unit === "percent") hi = Math.max(hi, 100);
            if (thresholds?.crit !== undefined) hi = Math.max(hi, thresholds.crit * 1.05);
            if (hi <= lo) hi = lo + 1;
            return [lo, hi + (hi - lo) * 0.05];
          },
        },
      },
      axes: [
        { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          // Sized to its widest label ("23.4 MiB/s" needs more room than "50 %"), else labels clip.
          size: (u, values, axisIdx) => {
            if (values == null || values.length === 0) return 48;
            const ctx = u.ctx;
            ctx.save();
            ctx.font = (u.axes[axisIdx]?.font as unknown as [string] | undefined)?.[0] ?? "12px sans-serif";
            const widest = Math.max(...values.map((v) => ctx.measureText(v).width));
            ctx.restore();
            return Math.max(40, Math.ceil(widest / uPlot.pxRatio) + 18);
          },
          values: (_u, splits) => splits.map((v) => formatValue(v, unit, 1)),
        },
      ],
      series: [
        // Off the chart, the legend shows each series' latest value (as Grafana's "last"); under the cursor, the hovered one.
        { label: "time", value: (_u, v, _s, idx) => (idx == null ? "latest" : v == null ? "–" : new Date(v).toLocaleTimeString()) },
        ...options.series.map((name, i) => ({
          label: options.labels?.[i] ?? name,
          stroke: cssVar(PALETTE_VARS[i % PALETTE_VARS.length] as string, "#4ea1ff"),
          // 1 px: Skia strokes hairlines several times faster than wider lines (docs/benchmarks.md).
          width: 1,
          points: { show: false },
          value: (_u: uPlot, v: number | null, _s: number, idx: number | null) =>
            formatValue(idx == null ? (options.store.peek(name)?.lastValue ?? null) : v, unit),
        })),
      ],
      hooks: {
        draw: [(u) => this.drawThresholds(u), (u) => this.drawAnnotations(u)],
        setSelect: [(u) => this.onSelect(u)],
      },
    };
    this.plot = new uPlot(plotOptions, [[], ...options.series.map(() => [])] as uPlot.AlignedData, host);
    this.annotationLayer = new AnnotationLayer(this.plot.over);
    // The legend shows what tells the lines apart; each entry's tooltip is its whole series key.
    const rows = this.plot.root.querySelectorAll<HTMLElement>(".u-legend .u-series");
    options.series.forEach((key, i) => {
      const row = rows[i + 1];
      if (row === undefined) return;
      row.title = key;
      row.dataset.series = key;
    });
    this.resizeObserver = new ResizeObserver(() => {
      const width = Math.max(200, host.clientWidth);
      if (width !== this.plot.width) {
        this.plot.setSize({ width, height: this.plot.height });
        this.forceRedraw = true;
      }
    });
    this.resizeObserver.observe(host);
    if (options.onDoubleClick !== undefined) this.plot.over.addEventListener("dblclick", this.onDoubleClick);
  }

  private readonly onDoubleClick = () => this.options.onDoubleClick?.();

  private onSelect(u: uPlot): void {
    const { left, width } = u.select;
    if (width < MIN_SELECT_PX) return;
    const from = u.posToVal(left, "x");
    const to = u.posToVal(left + width, "x");
    // The selection box goes; the zoomed axis shows what was selected.
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    this.options.onSelectRange?.(from, to);
  }

  setWindow(windowMs: number): void {
    this.windowMs = windowMs;
    this.forceRedraw = true;
  }

  invalidate(): void {
    this.forceRedraw = true;
  }

  frame(nowMs: number): boolean {
    const columns = Math.max(1, Math.round(this.plot.bbox.width / uPlot.pxRatio));
    const colMs = this.windowMs / columns;
    const minRedrawMs = Math.max(this.options.minRedrawMs ?? 50, colMs);
    const sinceDraw = performance.now() - this.lastDrawAt;
    let dataChanged = false;
    for (let i = 0; i < this.options.series.length; i++) {
      const version = this.options.store.peek(this.options.series[i] as string)?.version ?? -1;
      if (version !== this.versions[i]) dataChanged = true;
    }
    if ((this.options.annotations?.version() ?? -1) !== this.annotationVersion) dataChanged = true;
    const axisMoved = Math.abs(nowMs - this.lastDrawNow) >= colMs;
    if (!this.forceRedraw && !((dataChanged || axisMoved) && sinceDraw >= minRedrawMs)) return false;
    this.draw(nowMs, columns);
    return true;
  }

  destroy(): void {
    this.plot.over.removeEventListener("dblclick", this.onDoubleClick);
    this.resizeObserver.disconnect();
    this.annotationLayer.destroy();
    this.plot.destroy();
  }

  private draw(nowMs: number, columns: number): void {
    this.forceRedraw = false;
    this.lastDrawAt = performance.now();
    this.lastDrawNow = nowMs;
    this.toMs = nowMs;
    this.fromMs = nowMs - this.windowMs;
    const buffers = this.options.series.map((name, i) => {
      const buffer = this.options.store.peek(name);
      this.versions[i] = buffer?.version ?? -1;
      return buffer;
    });
    decimate(this.frame_, buffers, this.fromMs, this.toMs, columns);
    this.plot.setData([this.frame_.xs, ...this.frame_.ys] as uPlot.AlignedData, true);
    // The drawn time range, for tests and for anyone inspecting the page.
    this.element.dataset.fromMs = String(Math.round(this.fromMs));
    this.element.dataset.toMs = String(Math.round(this.toMs));
  }

  private drawAnnotations(u: uPlot): void {
    const source = this.options.annotations;
    if (source === undefined) return;
    this.annotationVersion = source.version();
    this.annotationLayer.draw(u, annotationMarks(source.list(), this.fromMs, this.toMs, u.bbox.width / uPlot.pxRatio));
  }

  private drawThresholds(u: uPlot): void {
    const t = this.options.thresholds;
    if (t === undefined) return;
    const ctx = u.ctx;
    const levels: [number | undefined, string][] = [
      [t.warn, cssVar("--warn", "#e0a000")],
      [t.crit, cssVar("--crit", "#e5484d")],
    ];
    ctx.save();
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = uPlot.pxRatio;
    for (const [level, color] of levels) {
      if (level === undefined) continue;
      const y = Math.round(u.valToPos(level, "y", true));
      if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
      ctx.strokeStyle = color;
      ctx.beginPath();
      ctx.moveTo(u.bbox.left, y);
      ctx.lineTo(u.bbox.left + u.bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
  }
}
