import type { AlertsList } from "@livedash/events";
import type { SeriesAlert } from "./alert-state";
import { seriesAlerts } from "./alert-state";
import { Refresher } from "./refresher";

/** What the bell, the outlines and the alerts page read; a new object on every change. */
export interface AlertsSnapshot {
  list: AlertsList;
  /** Firing or pending series, by key. */
  bySeries: ReadonlyMap<string, SeriesAlert>;
}

export interface AlertsWatchOptions {
  /** `alerts.list` over the page's client (read token or ticket, like every read). */
  load(): Promise<AlertsList>;
  onError?(error: unknown): void;
  /** @default 10_000 */
  refreshMs?: number;
}

/**
 * The page's view of the server's alerts. Live because every transition is a point of
 * `livedash.alert.state` on the page's one subscription: the page kicks this on such a point and it
 * re-reads `alerts.list` (one small query per burst). The periodic re-read catches what no point
 * announces: silences made or expiring elsewhere, rules edited in the file.
 */
export class AlertsWatch {
  private snapshot: AlertsSnapshot | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly refresher: Refresher<AlertsList>;

  constructor(options: AlertsWatchOptions) {
    this.refresher = new Refresher({
      load: options.load,
      onValue: (list) => {
        this.snapshot = { list, bySeries: seriesAlerts(list) };
        for (const listener of this.listeners) listener();
      },
      onError: options.onError,
      refreshMs: options.refreshMs ?? 10_000,
    });
  }

  start(): void {
    this.refresher.start();
  }

  /** A transition arrived, or this page changed a rule or silence: re-read soon. */
  kick(): void {
    this.refresher.kick();
  }

  /** Stable between changes (useSyncExternalStore compares by identity). */
  current = (): AlertsSnapshot | null => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  close(): void {
    this.refresher.close();
    this.listeners.clear();
  }
}
