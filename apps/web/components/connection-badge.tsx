"use client";
import { useEffect, useState } from "react";
import type { ConnectionState, DashboardClient } from "../lib/client-types";
import type { LiveFeedState } from "../lib/live-feed";
import type { Clock } from "../lib/server-clock";

/** A coalesced event this recent keeps the "latest values only" note up. */
const COALESCED_RECENT_MS = 10_000;
/** Badge text for a reason; the whole of it is in the title. */
const MAX_REASON_CHARS = 60;

function formatAge(ms: number): string {
  if (ms < 1000) return "just now";
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  return `${Math.floor(ms / 3_600_000)} h ago`;
}

/**
 * Always-visible connection state: transport, status, age of the last event, reconnects; why it is
 * not live (the client's `error`) and when the page resubscribes; and a note while the server sends
 * only the latest values (coalesced events). data-transport, data-status, data-error and
 * data-coalesced carry the same for tests and scripts.
 */
export function ConnectionBadge({ client, feedState, clock }: { client: DashboardClient | null; feedState: LiveFeedState; clock: Clock | null }) {
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
  // lastEventAt and lastCoalescedAt are the browser's receive times: compared with the browser's clock.
  const age = state?.lastEventAt == null ? "no events yet" : formatAge(Math.max(0, nowMs - state.lastEventAt));
  const coalesced = state?.lastCoalescedAt != null && nowMs - state.lastCoalescedAt < COALESCED_RECENT_MS;
  const error = status === "live" ? null : (state?.error ?? null);
  const retryInS = feedState.resubscribeAt !== null && clock !== null ? Math.max(0, Math.ceil((feedState.resubscribeAt - clock.now()) / 1000)) : null;
  return (
    <div
      className="badge"
      role="status"
      aria-live="polite"
      data-transport={transport}
      data-status={status}
      data-error={error ?? undefined}
      data-coalesced={coalesced ? "true" : "false"}
      data-testid="connection-badge"
      data-instance={instance?.id}
    >
      <span className="dot" aria-hidden="true" />
      <span>
        <strong>{transport}</strong> · {status}
      </span>
      {error !== null ? (
        <span className="badge-error" title={error}>
          {error.length > MAX_REASON_CHARS ? `${error.slice(0, MAX_REASON_CHARS - 1)}…` : error}
        </span>
      ) : null}
      {retryInS !== null ? <span data-testid="resubscribe">resubscribing in {retryInS} s</span> : null}
      {coalesced ? (
        <span className="badge-coalesced" data-testid="coalesced-note" title="The server fell behind sending to this page and sent only the latest point of each series; the chart may miss points in between.">
          coalesced: latest values only
        </span>
      ) : null}
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
