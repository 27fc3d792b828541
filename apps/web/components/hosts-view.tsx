"use client";
import type { HostSummary } from "@livedash/events";
import Link from "next/link";
import { useEffect, useState } from "react";
import type { DashboardClient, TransportChoice } from "../lib/client-types";
import { FLEET_COLUMNS, FLEET_PATTERNS, fleetCounts, fleetKey, formatAgo, nonAsciiCharacters, overviewHref } from "../lib/hosts";
import { LiveFeed } from "../lib/live-feed";
import type { LiveFeedState } from "../lib/live-feed";
import { openClient } from "../lib/open-client";
import { RenderLoop } from "../lib/render-loop";
import { ServerClock } from "../lib/server-clock";
import { SeriesStore } from "../lib/series-store";
import { WINDOWS, resolveServerUrl } from "../lib/view-state";
import { ConnectionBadge } from "./connection-badge";
import { PageNav } from "./page-nav";
import { StatTile } from "./stat-tile";

export interface HostsViewProps {
  /** LIVEDASH_URL as read on the server at request time; null = page host, port 4000. */
  serverUrl: string | null;
  transport?: TransportChoice;
}

/** The sparklines' window. */
const SPARK_WINDOW_MS = WINDOWS["5m"];
/** "Last seen" is re-read this often (the snapshots themselves come at most once a second). */
const AGO_REFRESH_MS = 1000;

interface FleetRuntime {
  client: DashboardClient;
  store: SeriesStore;
  loop: RenderLoop;
  clock: ServerClock;
}

/**
 * The fleet: one row per host that reports (hosts.live), its state, when it was last seen, and CPU,
 * memory and load with sparklines (the same tiles and render loop as the overview, fed by one live
 * subscription over every host's three series). A row links to that host's overview.
 */
export function HostsView({ serverUrl, transport }: HostsViewProps) {
  const [runtime, setRuntime] = useState<FleetRuntime | null>(null);
  const [hosts, setHosts] = useState<readonly HostSummary[] | null>(null);
  const [feedState, setFeedState] = useState<LiveFeedState>({ resubscribeAt: null });
  const [lastError, setLastError] = useState<string | null>(null);
  const [now, setNow] = useState<number | null>(null);

  useEffect(() => {
    const store = new SeriesStore();
    const clock = new ServerClock();
    const loop = new RenderLoop({ clock });
    const client = openClient({ url: resolveServerUrl(serverUrl), transport });
    const onError = (error: unknown) => setLastError(error instanceof Error ? error.message : String(error));
    const feed = new LiveFeed({ client, store, clock, onStateChange: setFeedState, patterns: FLEET_PATTERNS, windowMs: SPARK_WINDOW_MS, onError });
    // The same client, so on WebSocket the same connection carries both subscriptions.
    const fleet = client.subscribeHosts({
      onData: (event) => {
        setHosts(event.data.hosts);
        setLastError(null);
      },
      onError,
    });
    const ticker = setInterval(() => setNow(clock.now()), AGO_REFRESH_MS);
    setRuntime({ client, store, loop, clock });
    void feed.start();
    return () => {
      clearInterval(ticker);
      fleet.unsubscribe();
      feed.close();
      client.close();
      loop.destroy();
      setRuntime(null);
    };
  }, [serverUrl, transport]);

  const counts = fleetCounts(hosts ?? []);
  return (
    <>
      <header className="topbar">
        <h1>Livedash</h1>
        <PageNav current="/hosts" />
        <span className="spacer" />
        <ConnectionBadge client={runtime?.client ?? null} feedState={feedState} clock={runtime?.clock ?? null} />
      </header>
      <main>
        {lastError !== null ? <p className="error" role="alert" data-testid="last-error">{lastError}</p> : null}
        <section className="panel" aria-labelledby="hosts-title" data-testid="hosts">
          <h2 id="hosts-title">
            Hosts{" "}
            {hosts !== null ? (
              <span className="muted" data-testid="hosts-counts">
                {counts.up} up, {counts.down} down
              </span>
            ) : null}
          </h2>
          {hosts === null ? <p className="muted">Connecting…</p> : null}
          {hosts !== null && hosts.length === 0 ? (
            <p className="muted" data-testid="hosts-empty">
              No host has reported yet. Every series with a <code>host</code> label makes one: the server&apos;s own collectors, <code>livedash agent</code> on other machines, or
              anything pushed with <code>{'{"labels":{"host":"web1"}}'}</code>.
            </p>
          ) : null}
          {hosts !== null && hosts.length > 0 ? (
            <div className="hosts-scroll">
              <table className="hosts-table">
                <thead>
                  <tr>
                    <th scope="col">Host</th>
                    <th scope="col">State</th>
                    <th scope="col">Last seen</th>
                    {FLEET_COLUMNS.map((column) => (
                      <th key={column.name} scope="col">
                        {column.title}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {hosts.map((host) => (
                    <tr key={host.host} data-host={host.host} data-state={host.state}>
                      <th scope="row">
                        <Link href={overviewHref(host.host)} title={`Overview of ${host.host}`}>
                          {host.host}
                        </Link>
                        {nonAsciiCharacters(host.host) !== null && (
                          <span className="host-non-ascii" data-testid="host-non-ascii" title={`non-ASCII: ${nonAsciiCharacters(host.host)}`}>
                            {" "}
                            (non-ASCII)
                          </span>
                        )}
                      </th>
                      <td>
                        <span className="host-state" data-state={host.state} title={`${host.state} since ${new Date(host.since).toLocaleString()}`}>
                          {host.state}
                        </span>
                      </td>
                      <td title={`every ${host.intervalMs / 1000} s (${host.intervalSource}); down after 3 missed`} data-testid="last-seen">
                        {formatAgo((now ?? host.lastSeenAt) - host.lastSeenAt)}
                      </td>
                      {FLEET_COLUMNS.map((column) => {
                        const key = fleetKey(column.name, host.host);
                        return (
                          <td key={column.name} className="host-tile">
                            {runtime !== null ? (
                              <StatTile runtime={runtime} series={key} label={column.title} unit={column.unit} thresholds={runtime.store.info(key)?.thresholds} windowMs={SPARK_WINDOW_MS} />
                            ) : null}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      </main>
    </>
  );
}
