"use client";
import type { DashboardClient } from "../lib/client-types";
import type { LiveFeedState } from "../lib/live-feed";
import type { Clock } from "../lib/server-clock";
import type { ViewState, WindowKey } from "../lib/view-state";
import { WINDOWS } from "../lib/view-state";
import type { AlertsWatch } from "../lib/alerts-watch";
import { AlertBell } from "./alert-bell";
import { ConnectionBadge } from "./connection-badge";
import type { TopBarUser } from "./user-menu";
import { UserMenu } from "./user-menu";
import { PageNav } from "./page-nav";

export interface TopBarProps {
  /** Signed-in user (name and sign-out); null when sign-in is off. */
  user?: TopBarUser | null;
  client: DashboardClient | null;
  alerts: AlertsWatch | null;
  feedState: LiveFeedState;
  clock: Clock | null;
  view: ViewState;
  theme: string;
  explorerOpen: boolean;
  onWindow(key: WindowKey): void;
  onTogglePause(): void;
  onToggleTheme(): void;
  onBackToLive(): void;
  onToggleExplorer(): void;
}

export function TopBar(props: TopBarProps) {
  const { view } = props;
  return (
    <header className="topbar">
      <h1>Livedash</h1>
      <PageNav current="/" />
      <div className="toolbar" role="toolbar" aria-label="View controls">
        <div className="group" role="group" aria-label="Time window">
          {(Object.keys(WINDOWS) as WindowKey[]).map((key) => (
            <button key={key} type="button" aria-pressed={view.window === key} onClick={() => props.onWindow(key)} data-window={key}>
              {key}
            </button>
          ))}
        </div>
        {view.zoom !== undefined ? (
          <>
            <span className="zoomed" data-testid="zoomed" title="Drag on a chart to zoom; double-click a chart to go back to live">
              zoomed: {new Date(view.zoom.from).toLocaleString()} – {new Date(view.zoom.to).toLocaleString()}
            </span>
            <button type="button" onClick={props.onBackToLive} data-testid="back-to-live">
              Back to live
            </button>
          </>
        ) : null}
        <button type="button" aria-pressed={view.paused} onClick={props.onTogglePause} data-testid="pause">
          {view.paused ? "Resume" : "Pause"}
        </button>
        <button type="button" aria-pressed={props.explorerOpen} onClick={props.onToggleExplorer} data-testid="explorer-toggle">
          Add chart
        </button>
        <button type="button" onClick={props.onToggleTheme} aria-label={`Switch to ${props.theme === "light" ? "dark" : "light"} theme`} data-testid="theme-toggle">
          {props.theme === "light" ? "Dark" : "Light"} theme
        </button>
      </div>
      <span className="spacer" />
      <AlertBell alerts={props.alerts} />
      <ConnectionBadge client={props.client} feedState={props.feedState} clock={props.clock} />
      {props.user ? <UserMenu user={props.user} /> : null}
    </header>
  );
}
