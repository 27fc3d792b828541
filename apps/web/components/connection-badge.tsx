"use client";
import { useEffect, useState } from "react";
import type { ConnectionState, DashboardClient } from "../lib/client-types";

function formatAge(ms: number): string {
  if (ms < 1000) return "just now";
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  return `${Math.floor(ms / 3_600_000)} h ago`;
}

/**
 * Always-visible connection state: transport, status, age of the last event, reconnects.
 * data-transport and data-status carry the same values for tests and scripts.
 */
export function ConnectionBadge({ client }: { client: DashboardClient | null }) {
  const [state, setState] = useState<ConnectionState | null>(client?.connection.get() ?? null);
  const [nowMs, setNowMs] = useState(() => Date.now());
  const [instance, setInstance] = useState<{ id: string; engine: string } | null>(null);

  useEffect(() => {
    if (client === null) return;
    setState(client.connection.get());
    return client.connection.subscribe(setState);
  }, [client]);

  const live = state?.status === "live";
  useEffect(() => {
    // Asked again each time the connection goes live: behind a load balancer a reconnect may land
    // on another instance, and the badge says which one serves this page now.
    if (client === null || !live) return;
    let cancelled = false;
    client.info().then(
      (info) => !cancelled && setInstance({ id: info.instanceId, engine: info.engine }),
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [client, live]);

  useEffect(() => {
    // The age ticks once a second; this is the badge's only timer and it dies with the badge.
    const timer = setInterval(() => setNowMs(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const transport = state?.transport ?? "ws";
  const status = state?.status ?? "connecting";
  const age = state?.lastEventAt == null ? "no events yet" : formatAge(Math.max(0, nowMs - state.lastEventAt));
  return (
    <div className="badge" role="status" aria-live="polite" data-transport={transport} data-status={status} data-testid="connection-badge" data-instance={instance?.id}>
      <span className="dot" aria-hidden="true" />
      <span>
        <strong>{transport}</strong> · {status}
      </span>
      <span title="time since the last live event">{age}</span>
      <span title="reconnects since the page loaded">↻ {state?.reconnects ?? 0}</span>
      {instance && (
        <span className="badge-instance" title={`server instance ${instance.id} (${instance.engine} engine)`}>
          {instance.id.length > 18 ? `…${instance.id.slice(-12)}` : instance.id}
        </span>
      )}
    </div>
  );
}
