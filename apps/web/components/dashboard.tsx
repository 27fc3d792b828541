"use client";
import { ALERT_STATE_SERIES } from "@livedash/events";
import type { SeriesInfo } from "@livedash/events";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { AggregateFeeds } from "../lib/aggregate-feeds";
import { isAlertStateKey } from "../lib/alert-state";
import { AlertsWatch } from "../lib/alerts-watch";
import { AnnotationFeed } from "../lib/annotation-feed";
import { formatChartQuery, parseChartQuery } from "../lib/chart-query";
import { LiveFeed } from "../lib/live-feed";
import type { LiveFeedState } from "../lib/live-feed";
import { openClient } from "../lib/open-client";
import { OVERVIEW_PANELS, OVERVIEW_PATTERNS, SELF_SERIES } from "../lib/panels";
import { RenderLoop } from "../lib/render-loop";
import { ServerClock } from "../lib/server-clock";
import { labelValues, splitKey } from "../lib/series-labels";
import { SeriesStore } from "../lib/series-store";
import type { ViewState, WindowKey } from "../lib/view-state";
import { MAX_CUSTOM_CHARTS, WINDOWS, normalizeZoom, resolveServerUrl, serializeViewState } from "../lib/view-state";
import { CustomChart } from "./custom-chart";
import { Explorer } from "./explorer";
import { PanelView, resolveSeries, scopeSelectors } from "./panel-view";
import { TopBar } from "./top-bar";
import type { TopBarUser } from "./user-menu";
import { useSeriesAlert } from "../lib/use-alerts";
import type { Runtime } from "./runtime";

export interface DashboardProps {
  /** LIVEDASH_URL as read on the server at request time; null = page host, port 4000. */
  serverUrl: string | null;
  initialView: ViewState;
  /** The signed-in user for the top bar; null when sign-in is off. */
  user?: TopBarUser | null;
}

/** Series-list refreshes (new series, catalog) are batched to this rate; points never re-render React. */
const SERIES_REFRESH_MS = 500;

/**
 * What the page subscribes to: the overview (of `host` when known) and the plain custom charts;
 * aggregated charts have feeds of their own (AggregateFeeds).
 */
function subscriptionPatterns(host: string | null, charts: readonly string[]): string[] {
  const plain = charts.flatMap((text) => {
    const query = parseChartQuery(text);
    return query === null || query.aggregate !== undefined ? [] : [query.selector];
  });
  // Alert transitions are points of their own series (no host label): the bell and outlines follow them live.
  return [...scopeSelectors(OVERVIEW_PATTERNS, host), ...plain, ALERT_STATE_SERIES];
}

/** The overview's default host: the one whose Livedash server this page talks to (its self series' host). */
function serverHost(keys: readonly string[]): string | null {
  const hosts = keys.flatMap((key) => {
    const { name, labels } = splitKey(key);
    return name === SELF_SERIES && labels.host !== undefined ? [labels.host] : [];
  });
  return hosts.sort()[0] ?? null;
}

export function Dashboard({ serverUrl, initialView, user = null }: DashboardProps) {
  const [view, setView] = useState<ViewState>(initialView);
  const [runtime, setRuntime] = useState<Runtime | null>(null);
  const [seriesTick, setSeriesTick] = useState(0);
  const [explorerOpen, setExplorerOpen] = useState(false);
  const [lastError, setLastError] = useState<string | null>(null);
  const [feedState, setFeedState] = useState<LiveFeedState>({ resubscribeAt: null });
  const [theme, setTheme] = useState("dark");
  // Zoomed, every chart and tile shows the selected range; its span is their window, its end their frozen now.
  const zoomFrom = view.zoom?.from ?? null;
  const zoomTo = view.zoom?.to ?? null;
  const windowMs = zoomFrom !== null && zoomTo !== null ? zoomTo - zoomFrom : WINDOWS[view.window];
  // What the charts show, for the annotation feed's queries (read when it loads, not per render).
  const shownRef = useRef({ windowMs, zoom: view.zoom });
  shownRef.current = { windowMs, zoom: view.zoom };

  useEffect(() => setTheme(document.documentElement.dataset.theme ?? "dark"), []);

  // The runtime lives as long as the page and the forced transport; everything it starts, it stops.
  useEffect(() => {
    const store = new SeriesStore();
    const clock = new ServerClock();
    const loop = new RenderLoop({ clock });
    const client = openClient({ url: resolveServerUrl(serverUrl), transport: initialView.transport });
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    const onSeriesChange = () => {
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        setSeriesTick((n) => n + 1);
      }, SERIES_REFRESH_MS);
    };
    const onError = (error: unknown) => setLastError(error instanceof Error ? error.message : String(error));
    const alerts = new AlertsWatch({ load: () => client.alerts(), onError });
    const annotations = new AnnotationFeed({
      load: (range) => client.annotations(range),
      range: () => {
        const { zoom, windowMs: span } = shownRef.current;
        if (zoom !== undefined) return zoom;
        const end = loop.frozenAt() ?? clock.now();
        // A little past now: a marker posted a moment ahead of this page's clock still shows.
        return { from: Math.max(0, Math.round(end - span)), to: Math.round(end + 60_000) };
      },
      onError,
    });
    const feed = new LiveFeed({
      client,
      store,
      clock,
      onStateChange: setFeedState,
      patterns: subscriptionPatterns(initialView.host ?? null, initialView.charts),
      windowMs: WINDOWS[initialView.window],
      onSeriesChange,
      onPoints: (points) => {
        if (!points.some((p) => isAlertStateKey(p.series))) return;
        alerts.kick();
        // Firing and resolved are annotations too.
        annotations.kick();
      },
      onError,
    });
    const aggregates = new AggregateFeeds({ client, clock, windowMs: WINDOWS[initialView.window], onSeriesChange, onError });
    // An error shown while disconnected is history once the connection is live again.
    let wasLive = false;
    const stopClearing = client.connection.subscribe((state) => {
      const live = state.status === "live";
      if (live && !wasLive) setLastError(null);
      wasLive = live;
    });
    const zoom = {
      select: (from: number, to: number) => {
        const range = normalizeZoom(from, to);
        if (range !== undefined) setView((v) => ({ ...v, zoom: range }));
      },
      backToLive: () => setView((v) => (v.zoom === undefined && !v.paused ? v : { ...v, zoom: undefined, paused: false })),
    };
    setRuntime({ client, store, loop, feed, aggregates, clock, zoom, alerts, annotations });
    exposeDebugHandle(store, clock);
    void feed.start();
    alerts.start();
    annotations.start();
    return () => {
      delete (window as DebugWindow).__livedash;
      stopClearing();
      if (refreshTimer !== null) clearTimeout(refreshTimer);
      aggregates.close();
      alerts.close();
      annotations.close();
      feed.close();
      client.close();
      loop.destroy();
      setRuntime(null);
    };
    // initialView is the view at mount; later changes go through the effects below, not a new runtime.
  }, [serverUrl, initialView.transport]);

  useEffect(() => {
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${serializeViewState(view)}`);
  }, [view]);

  // The last zoom's end: leaving a zoom while paused freezes at now, not there.
  const zoomEndRef = useRef<number | null>(null);
  useEffect(() => {
    if (zoomTo !== null) zoomEndRef.current = zoomTo;
  }, [zoomTo]);

  useEffect(() => {
    // Zoomed freezes the axis at the range's end (its span is the charts' window) and asks history for
    // the range; paused freezes it where it is (server time). Buffers keep filling either way, trimming
    // keeps what the frozen view shows, and resume or back to live jumps to now.
    if (runtime === null) return;
    const freeze = (at: number | null) => {
      runtime.loop.setFrozenAt(at);
      runtime.feed.setFrozenAt(at);
      runtime.aggregates.setFrozenAt(at);
    };
    if (zoomFrom !== null && zoomTo !== null) {
      runtime.feed.setZoom({ from: zoomFrom, to: zoomTo });
      runtime.aggregates.setZoom({ from: zoomFrom, to: zoomTo });
      freeze(zoomTo);
      return;
    }
    runtime.feed.setZoom(null);
    runtime.aggregates.setZoom(null);
    if (!view.paused) {
      freeze(null);
    } else if (runtime.loop.frozenAt() === null || runtime.loop.frozenAt() === zoomEndRef.current) {
      // Paused, or leaving a zoom while paused: freeze at now.
      freeze(runtime.clock.now());
    }
  }, [runtime, view.paused, zoomFrom, zoomTo]);

  useEffect(() => {
    // The feed's window is the selected one even while zoomed: what it backfills and keeps for live.
    runtime?.feed.setWindow(WINDOWS[view.window]);
    runtime?.aggregates.setWindow(WINDOWS[view.window]);
  }, [runtime, view.window]);

  useEffect(() => {
    // Another span of time on the charts: its annotations now, not at the next re-read.
    runtime?.annotations.kick();
  }, [runtime, windowMs, zoomFrom, zoomTo, view.paused]);

  useEffect(() => {
    if (explorerOpen) void runtime?.feed.refreshCatalog();
  }, [runtime, explorerOpen]);

  const names = useMemo(() => {
    if (runtime === null) return [];
    const all = new Set(runtime.store.names());
    for (const info of runtime.store.catalog()) all.add(info.name);
    return [...all];
    // seriesTick is the signal that the store's series set changed.
  }, [runtime, seriesTick]);

  // The overview's host: the link's, else the server's own (known once its first self series arrived).
  const host = view.host ?? serverHost(names);
  const hosts = useMemo(() => labelValues(names.filter((key) => key.startsWith("host."))).get("host") ?? [], [names]);

  // Scoped to a host only when one was picked (the link's `host`): the default host is learned from the
  // catalog after the first subscription opened, and narrowing then would resubscribe every page at start.
  useEffect(() => {
    runtime?.feed.setPatterns(subscriptionPatterns(view.host ?? null, view.charts));
  }, [runtime, view.host, view.charts]);

  // "Your charts" is outlined like an overview panel while a series of its charts is pending or firing.
  const customSeries = useMemo(() => view.charts.flatMap((chart) => resolveSeries([parseChartQuery(chart)?.selector ?? chart], names)), [view.charts, names]);
  const customAlert = useSeriesAlert(runtime?.alerts ?? null, customSeries);

  const catalog: SeriesInfo[] = useMemo(() => {
    if (runtime === null) return [];
    const infos = new Map(runtime.store.catalog().map((s) => [s.name, s]));
    // Pushed series the catalog has not caught up with yet are still explorable.
    for (const name of names) if (!infos.has(name)) infos.set(name, { name, unit: "none", kind: "gauge", description: "", last: null });
    return [...infos.values()];
  }, [runtime, names]);

  // Picking a window is going live with it.
  const setWindow = useCallback((key: WindowKey) => setView((v) => ({ ...v, window: key, zoom: undefined })), []);
  const togglePause = useCallback(() => {
    setView((v) => ({ ...v, paused: !v.paused }));
  }, []);
  const addChart = useCallback((selector: string) => {
    const query = parseChartQuery(selector);
    if (query === null) return;
    const chart = formatChartQuery(query);
    setView((v) => (v.charts.includes(chart) || v.charts.length >= MAX_CUSTOM_CHARTS ? v : { ...v, charts: [...v.charts, chart] }));
  }, []);
  const removeChart = useCallback((chart: string) => setView((v) => ({ ...v, charts: v.charts.filter((s) => s !== chart) })), []);
  const replaceChart = useCallback(
    (chart: string, next: string) => setView((v) => (v.charts.includes(next) ? v : { ...v, charts: v.charts.map((s) => (s === chart ? next : s)) })),
    [],
  );
  const groupChart = useCallback(
    (chartId: string, label: string | null) =>
      setView((v) => {
        const { [chartId]: _previous, ...rest } = v.groupBy ?? {};
        const groupBy = label === null ? rest : { ...rest, [chartId]: label };
        return { ...v, groupBy: Object.keys(groupBy).length > 0 ? groupBy : undefined };
      }),
    [],
  );
  const pickHost = useCallback((next: string) => setView((v) => ({ ...v, host: next === "" ? undefined : next })), []);
  const toggleTheme = useCallback(() => {
    const next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem("livedash-theme", next);
    } catch {
      // Private mode or storage disabled: the theme still applies for this page.
    }
    setTheme(next);
  }, []);

  return (
    <>
      <TopBar
        user={user}
        client={runtime?.client ?? null}
        alerts={runtime?.alerts ?? null}
        feedState={feedState}
        clock={runtime?.clock ?? null}
        view={view}
        theme={theme}
        onWindow={setWindow}
        onTogglePause={togglePause}
        onToggleTheme={toggleTheme}
        onBackToLive={() => runtime?.zoom.backToLive()}
        onToggleExplorer={() => setExplorerOpen((o) => !o)}
        explorerOpen={explorerOpen}
      />
      <main data-zoomed={view.zoom !== undefined ? "true" : undefined}>
        {lastError !== null ? <p className="error" role="alert" data-testid="last-error">{lastError}</p> : null}
        {explorerOpen ? <Explorer catalog={catalog} client={runtime?.client ?? null} added={view.charts} onAdd={addChart} onClose={() => setExplorerOpen(false)} /> : null}
        {runtime !== null && view.charts.length > 0 ? (
          <section
            className="panel"
            aria-labelledby="panel-custom"
            data-panel="custom"
            data-alert={customAlert?.state}
            data-alert-silenced={customAlert === null ? undefined : String(customAlert.silenced)}
          >
            <h2 id="panel-custom">Your charts</h2>
            <div className="charts">
              {view.charts.map((chart) => (
                <CustomChart
                  key={chart}
                  runtime={runtime}
                  query={chart}
                  names={names}
                  seriesTick={seriesTick}
                  windowMs={windowMs}
                  theme={theme}
                  onReplace={(next) => replaceChart(chart, next)}
                  onRemove={() => removeChart(chart)}
                />
              ))}
            </div>
          </section>
        ) : null}
        {hosts.length > 1 || view.host !== undefined ? (
          <p className="host-picker">
            <label htmlFor="host-select">Host</label>{" "}
            <select id="host-select" value={host ?? ""} onChange={(e) => pickHost(e.target.value)} data-testid="host-select">
              {host !== null && !hosts.includes(host) ? <option value={host}>{host}</option> : null}
              {hosts.map((h) => (
                <option key={h} value={h}>
                  {h}
                </option>
              ))}
            </select>
          </p>
        ) : null}
        {runtime !== null ? (
          <div className="panels">
            {OVERVIEW_PANELS.map((panel) => (
              <PanelView key={panel.id} runtime={runtime} panel={panel} names={names} host={host} windowMs={windowMs} theme={theme} groupBy={view.groupBy} onGroupBy={groupChart} />
            ))}
          </div>
        ) : null}
      </main>
    </>
  );
}

type DebugWindow = Window & {
  __livedash?: { names(): string[]; timestamps(name: string): number[]; values(name: string): number[]; serverNow(): number; clockOffsetMs(): number };
};

/** Read-only view of the buffers and the clock for e2e tests and for poking at from the devtools console. */
function exposeDebugHandle(store: SeriesStore, clock: ServerClock): void {
  const slice = (name: string, key: "ts" | "values") => {
    const b = store.peek(name);
    return b === undefined ? [] : Array.from(b[key].subarray(b.start, b.end));
  };
  (window as DebugWindow).__livedash = {
    names: () => store.names(),
    timestamps: (name) => slice(name, "ts"),
    values: (name) => slice(name, "values"),
    serverNow: () => clock.now(),
    clockOffsetMs: () => clock.offsetMs(),
  };
}
