"use client";
import type { SeriesInfo } from "@livedash/events";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { LiveFeed } from "../lib/live-feed";
import type { LiveFeedState } from "../lib/live-feed";
import { openClient } from "../lib/open-client";
import { OVERVIEW_PANELS, OVERVIEW_PATTERNS } from "../lib/panels";
import { RenderLoop } from "../lib/render-loop";
import { ServerClock } from "../lib/server-clock";
import { SeriesStore } from "../lib/series-store";
import type { ViewState, WindowKey } from "../lib/view-state";
import { MAX_CUSTOM_CHARTS, WINDOWS, normalizeZoom, resolveServerUrl, serializeViewState } from "../lib/view-state";
import { ChartView } from "./chart-view";
import { Explorer } from "./explorer";
import { PanelView, thresholdsOf } from "./panel-view";
import { StatTile } from "./stat-tile";
import { TopBar } from "./top-bar";
import type { Runtime } from "./runtime";

export interface DashboardProps {
  /** LIVEDASH_URL as read on the server at request time; null = page host, port 4000. */
  serverUrl: string | null;
  initialView: ViewState;
}

/** Series-list refreshes (new series, catalog) are batched to this rate; points never re-render React. */
const SERIES_REFRESH_MS = 500;

export function Dashboard({ serverUrl, initialView }: DashboardProps) {
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

  useEffect(() => setTheme(document.documentElement.dataset.theme ?? "dark"), []);

  // The runtime lives as long as the page and the forced transport; everything it starts, it stops.
  useEffect(() => {
    const store = new SeriesStore();
    const clock = new ServerClock();
    const loop = new RenderLoop({ clock });
    const client = openClient({ url: resolveServerUrl(serverUrl), transport: initialView.transport });
    let refreshTimer: ReturnType<typeof setTimeout> | null = null;
    const feed = new LiveFeed({
      client,
      store,
      clock,
      onStateChange: setFeedState,
      patterns: [...OVERVIEW_PATTERNS, ...initialView.charts],
      windowMs: WINDOWS[initialView.window],
      onSeriesChange: () => {
        refreshTimer ??= setTimeout(() => {
          refreshTimer = null;
          setSeriesTick((n) => n + 1);
        }, SERIES_REFRESH_MS);
      },
      onError: (error) => setLastError(error instanceof Error ? error.message : String(error)),
    });
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
    setRuntime({ client, store, loop, feed, clock, zoom });
    exposeDebugHandle(store, clock);
    void feed.start();
    return () => {
      delete (window as DebugWindow).__livedash;
      stopClearing();
      if (refreshTimer !== null) clearTimeout(refreshTimer);
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
    if (zoomFrom !== null && zoomTo !== null) {
      runtime.feed.setZoom({ from: zoomFrom, to: zoomTo });
      runtime.loop.setFrozenAt(zoomTo);
      runtime.feed.setFrozenAt(zoomTo);
      return;
    }
    runtime.feed.setZoom(null);
    if (!view.paused) {
      runtime.loop.setFrozenAt(null);
      runtime.feed.setFrozenAt(null);
    } else if (runtime.loop.frozenAt() === null || runtime.loop.frozenAt() === zoomEndRef.current) {
      // Paused, or leaving a zoom while paused: freeze at now.
      const at = runtime.clock.now();
      runtime.loop.setFrozenAt(at);
      runtime.feed.setFrozenAt(at);
    }
  }, [runtime, view.paused, zoomFrom, zoomTo]);

  useEffect(() => {
    // The feed's window is the selected one even while zoomed: what it backfills and keeps for live.
    runtime?.feed.setWindow(WINDOWS[view.window]);
  }, [runtime, view.window]);

  useEffect(() => {
    runtime?.feed.setPatterns([...OVERVIEW_PATTERNS, ...view.charts]);
  }, [runtime, view.charts]);

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
  const addChart = useCallback((series: string) => {
    setView((v) => (v.charts.includes(series) || v.charts.length >= MAX_CUSTOM_CHARTS ? v : { ...v, charts: [...v.charts, series] }));
  }, []);
  const removeChart = useCallback((series: string) => setView((v) => ({ ...v, charts: v.charts.filter((s) => s !== series) })), []);
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
        client={runtime?.client ?? null}
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
        {explorerOpen ? <Explorer catalog={catalog} added={view.charts} onAdd={addChart} onClose={() => setExplorerOpen(false)} /> : null}
        {runtime !== null && view.charts.length > 0 ? (
          <section className="panel" aria-labelledby="panel-custom" data-panel="custom">
            <h2 id="panel-custom">Your charts</h2>
            <div className="tiles">
              {view.charts.map((series) => {
                const info = runtime.store.info(series);
                return <StatTile key={series} runtime={runtime} series={series} label={series} unit={info?.unit ?? "none"} thresholds={info?.thresholds} windowMs={windowMs} />;
              })}
            </div>
            <div className="charts">
              {view.charts.map((series) => (
                <ChartView
                  key={series}
                  runtime={runtime}
                  chartId={`custom:${series}`}
                  title={series}
                  series={[series]}
                  unit={runtime.store.info(series)?.unit ?? "none"}
                  thresholds={thresholdsOf(runtime, [series])}
                  windowMs={windowMs}
                  theme={theme}
                  onRemove={() => removeChart(series)}
                />
              ))}
            </div>
          </section>
        ) : null}
        {runtime !== null ? (
          <div className="panels">
            {OVERVIEW_PANELS.map((panel) => (
              <PanelView key={panel.id} runtime={runtime} panel={panel} names={names} windowMs={windowMs} theme={theme} />
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
