import { hostValueProblem, labelNameProblem } from "@livedash/events";
import { formatChartQuery, parseChartQuery, splitChartList } from "./chart-query";
import type { TransportChoice } from "./client-types";
import { OVERVIEW_PANELS } from "./panels";

/** The overview's chart ids, in page order: what `by` may group. */
const OVERVIEW_CHART_IDS: ReadonlySet<string> = new Set(OVERVIEW_PANELS.flatMap((panel) => panel.charts.map((chart) => chart.id)));

const HOUR_MS = 3_600_000;
/**
 * Windows up to 1h hold raw live points; the longer ones are drawn from metrics.history downsampled
 * to about the chart's width (the server picks the 1m or 1h tier), with live points added at the right edge.
 */
export const WINDOWS = {
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": HOUR_MS,
  "6h": 6 * HOUR_MS,
  "24h": 24 * HOUR_MS,
  "7d": 7 * 24 * HOUR_MS,
  "30d": 30 * 24 * HOUR_MS,
} as const;
export type WindowKey = keyof typeof WINDOWS;

/** An absolute range of server time, in ms since the epoch; from < to. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Shortest zoom: a drag narrower than this is a click, not a selection. */
export const MIN_ZOOM_MS = 1000;
/** Longest zoom: the longest window (a zoom is always narrower than what it was selected on). */
export const MAX_ZOOM_MS = WINDOWS["30d"];

/** Custom charts a URL may carry; more is a layout nobody reads. */
export const MAX_CUSTOM_CHARTS = 24;

/** Everything that makes a view reproducible from a link. */
export interface ViewState {
  window: WindowKey;
  paused: boolean;
  /**
   * Charts added from the explorer, in order, each a chart query in canonical text: a selector
   * (`app.requests{region="eu"}`), or an aggregation of one (`sum by (region) (app.requests)`).
   */
  charts: string[];
  transport: TransportChoice;
  /**
   * Drag-selected range every chart shows instead of the live window; absent = live.
   * Optional so a view without a zoom equals one written before zooming existed.
   */
  zoom?: TimeRange;
  /** The host the overview shows (its `host` label); absent: the Livedash server's own host. */
  host?: string;
  /**
   * Overview charts grouped by a label (chart id -> label name): one line per value of it, the server
   * aggregating (`?by=cpu-cores:host,disk-devices:device`). Absent or empty: every chart shows its series.
   */
  groupBy?: Readonly<Record<string, string>>;
}

type Params = Record<string, string | string[] | undefined>;

const TRANSPORTS: readonly TransportChoice[] = ["auto", "ws", "sse", "poll"];

/**
 * Reads the view from URL search params. Anything invalid falls back to its default rather than
 * failing the page: a stale or hand-edited link still opens. Charts go through the selector parser
 * (`charts` splits on the commas outside braces, parentheses and quotes).
 */
export function parseViewState(params: Params): ViewState {
  const first = (key: string) => {
    const v = params[key];
    return Array.isArray(v) ? v[0] : v;
  };
  const windowParam = first("window");
  const transportParam = first("transport");
  const charts = splitChartList(first("charts") ?? "")
    .flatMap((text) => {
      const query = parseChartQuery(text);
      return query === null ? [] : [formatChartQuery(query)];
    })
    .filter((chart, i, all) => all.indexOf(chart) === i)
    .slice(0, MAX_CUSTOM_CHARTS);
  const host = first("host");
  const groupBy = parseGroupBy(first("by"));
  return {
    window: windowParam !== undefined && Object.hasOwn(WINDOWS, windowParam) ? (windowParam as WindowKey) : "5m",
    paused: first("paused") === "1",
    charts,
    transport: TRANSPORTS.find((t) => t === transportParam) ?? "auto",
    zoom: parseZoom(first("from"), first("to")),
    host: host !== undefined && host !== "" && hostValueProblem(host) === null ? host : undefined,
    ...(groupBy === undefined ? {} : { groupBy }),
  };
}

/**
 * `by=<chart id>:<label>,...` for the overview's charts; entries naming an unknown chart or a label
 * that cannot be one are dropped (a stale link still opens), the first entry per chart wins.
 */
export function parseGroupBy(param: string | undefined): Record<string, string> | undefined {
  if (param === undefined || param === "") return undefined;
  const out: Record<string, string> = {};
  for (const entry of param.split(",")) {
    const [chart, label, ...rest] = entry.split(":");
    if (chart === undefined || label === undefined || rest.length > 0 || !OVERVIEW_CHART_IDS.has(chart) || Object.hasOwn(out, chart)) continue;
    if (labelNameProblem(label) === null) out[chart] = label;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The `by` param's text, charts in overview order (one link per view). */
export function formatGroupBy(groupBy: Readonly<Record<string, string>>): string {
  return [...OVERVIEW_CHART_IDS].flatMap((chart) => (groupBy[chart] === undefined ? [] : [`${chart}:${groupBy[chart]}`])).join(",");
}

/** Whole milliseconds only: at most 15 digits keeps every value an exact integer. */
const MS_PATTERN = /^\d{1,15}$/;

/** A zoom from the `from` and `to` params; anything missing, reversed, shorter than MIN_ZOOM_MS or longer than MAX_ZOOM_MS is no zoom. */
export function parseZoom(fromParam: string | undefined, toParam: string | undefined): TimeRange | undefined {
  if (fromParam === undefined || toParam === undefined || !MS_PATTERN.test(fromParam) || !MS_PATTERN.test(toParam)) return undefined;
  const from = Number(fromParam);
  const to = Number(toParam);
  // A link says from then to: reversed is a broken link, not a drag to the left.
  return from < to ? normalizeZoom(from, to) : undefined;
}

/**
 * A selection (either direction, fractional ms from pixel positions) as a zoom: whole ms, from < to,
 * within MIN_ZOOM_MS..MAX_ZOOM_MS, else undefined (a click or a degenerate drag zooms nowhere).
 */
export function normalizeZoom(a: number, b: number): TimeRange | undefined {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return undefined;
  const from = Math.round(Math.min(a, b));
  const to = Math.round(Math.max(a, b));
  if (from < 0 || to - from < MIN_ZOOM_MS || to - from > MAX_ZOOM_MS) return undefined;
  return { from, to };
}

/** The range the charts show: the zoom when there is one, else the window ending at `nowMs` (server time). */
export function visibleRange(view: Pick<ViewState, "window" | "zoom">, nowMs: number): TimeRange {
  return view.zoom ?? { from: nowMs - WINDOWS[view.window], to: nowMs };
}

export function serializeViewState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.window !== "5m") params.set("window", state.window);
  if (state.paused) params.set("paused", "1");
  if (state.charts.length > 0) params.set("charts", state.charts.join(","));
  if (state.transport !== "auto") params.set("transport", state.transport);
  if (state.zoom !== undefined) {
    params.set("from", String(state.zoom.from));
    params.set("to", String(state.zoom.to));
  }
  if (state.host !== undefined) params.set("host", state.host);
  const groupBy = state.groupBy === undefined ? "" : formatGroupBy(state.groupBy);
  if (groupBy !== "") params.set("by", groupBy);
  // Commas, braces and parentheses are legal in a query string: left readable, a link shows its selectors.
  const query = params.toString().replace(/%2C|%7B|%7D|%28|%29|%3A/g, (escaped) => decodeURIComponent(escaped));
  return query === "" ? "" : `?${query}`;
}

/** The server's base URL: LIVEDASH_URL when set, else the page's host on port 4000. */
export function resolveServerUrl(configured: string | null): string {
  if (configured) return configured;
  return `${window.location.protocol}//${window.location.hostname}:4000`;
}
