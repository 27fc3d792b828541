import { SeriesNameSchema } from "@livedash/events";
import type { TransportChoice } from "./client-types";

export const WINDOWS = { "1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000 } as const;
export type WindowKey = keyof typeof WINDOWS;

/** Custom charts a URL may carry; more is a layout nobody reads. */
export const MAX_CUSTOM_CHARTS = 24;

/** Everything that makes a view reproducible from a link. */
export interface ViewState {
  window: WindowKey;
  paused: boolean;
  /** Series added from the explorer, one chart each, in order. */
  charts: string[];
  transport: TransportChoice;
}

type Params = Record<string, string | string[] | undefined>;

const TRANSPORTS: readonly TransportChoice[] = ["auto", "ws", "sse", "poll"];

/**
 * Reads the view from URL search params. Anything invalid falls back to its default rather than
 * failing the page: a stale or hand-edited link still opens. Series names go through the wire schema.
 */
export function parseViewState(params: Params): ViewState {
  const first = (key: string) => {
    const v = params[key];
    return Array.isArray(v) ? v[0] : v;
  };
  const windowParam = first("window");
  const transportParam = first("transport");
  const charts = (first("charts") ?? "")
    .split(",")
    .filter((name) => SeriesNameSchema.safeParse(name).success)
    .filter((name, i, all) => all.indexOf(name) === i)
    .slice(0, MAX_CUSTOM_CHARTS);
  return {
    window: windowParam !== undefined && Object.hasOwn(WINDOWS, windowParam) ? (windowParam as WindowKey) : "5m",
    paused: first("paused") === "1",
    charts,
    transport: TRANSPORTS.find((t) => t === transportParam) ?? "auto",
  };
}

export function serializeViewState(state: ViewState): string {
  const params = new URLSearchParams();
  if (state.window !== "5m") params.set("window", state.window);
  if (state.paused) params.set("paused", "1");
  if (state.charts.length > 0) params.set("charts", state.charts.join(","));
  if (state.transport !== "auto") params.set("transport", state.transport);
  const query = params.toString().replaceAll("%2C", ",");
  return query === "" ? "" : `?${query}`;
}

/** The server's base URL: LIVEDASH_URL when set, else the page's host on port 4000. */
export function resolveServerUrl(configured: string | null): string {
  if (configured) return configured;
  return `${window.location.protocol}//${window.location.hostname}:4000`;
}
