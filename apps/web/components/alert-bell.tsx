"use client";
import Link from "next/link";
import type { AlertsWatch } from "../lib/alerts-watch";
import { useAlertsSnapshot } from "../lib/use-alerts";

/**
 * The top bar's bell: how many series fire now that no silence covers (the server's `firing`),
 * live (re-read on every transition on the stream). Links to the alerts page, where silenced ones
 * are listed too.
 */
export function AlertBell({ alerts }: { alerts: AlertsWatch | null }) {
  const snapshot = useAlertsSnapshot(alerts);
  const firing = snapshot?.list.firing ?? 0;
  const label = snapshot === null ? "Alerts" : `Alerts: ${firing} firing`;
  return (
    <Link href="/alerts" className="bell" data-testid="alert-bell" data-firing={snapshot === null ? undefined : firing} aria-label={label} title={label}>
      <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path d="M12 2a6 6 0 0 0-6 6v3.6L4.3 15a1 1 0 0 0 .9 1.5h13.6a1 1 0 0 0 .9-1.5L18 11.6V8a6 6 0 0 0-6-6Zm0 20a3 3 0 0 0 2.8-2H9.2A3 3 0 0 0 12 22Z" fill="currentColor" />
      </svg>
      <span className="bell-count" data-testid="alert-bell-count">{firing}</span>
    </Link>
  );
}
