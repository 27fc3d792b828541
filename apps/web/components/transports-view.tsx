"use client";
import { SeriesPatternSchema, ServerInfoSchema, TRPC_PATH } from "@livedash/events";
import { TicketCache } from "@livedash/client";
import { useEffect, useState } from "react";
import { fetchSessionTicket, pageNeedsTickets } from "../lib/auth/ticket-source";
import type { ProbeKind, ProbeStats } from "../lib/transport-probes";
import { TransportProbe } from "../lib/transport-probes";
import { PageNav } from "./page-nav";
import { ServerClock } from "../lib/server-clock";
import { formatValue } from "../lib/units";
import { resolveServerUrl } from "../lib/view-state";

const KINDS: { kind: ProbeKind; title: string; how: string }[] = [
  { kind: "ws", title: "WebSocket", how: "tRPC wsLink protocol on /trpc, one socket" },
  { kind: "sse", title: "Server-Sent Events", how: "EventSource on /sse, one long response" },
  { kind: "long-poll", title: "Long-poll", how: "metrics.poll held up to 20 s, re-issued on answer" },
  { kind: "short-poll", title: "Short-poll", how: "metrics.poll with waitMs 0, every second" },
];

/** Stats refresh: the page is about transports, not about rendering, so once a second is plenty. */
const REFRESH_MS = 1000;

/** The same stream over every transport, side by side, with what each one costs. */
export function TransportsView({ serverUrl, series }: { serverUrl: string | null; series: string[] }) {
  const [stats, setStats] = useState<ProbeStats[]>([]);
  const valid = series.filter((s) => SeriesPatternSchema.safeParse(s).success);

  useEffect(() => {
    const baseUrl = resolveServerUrl(serverUrl);
    // Latency is receive time minus the point's timestamp: both on the server's clock.
    const clock = new ServerClock();
    // Sign-in on: every probe authenticates with tickets from /api/auth/ticket (one cache for all four).
    const tickets = pageNeedsTickets() ? new TicketCache(fetchSessionTicket) : null;
    const ticket = tickets ? () => tickets.get() : undefined;
    void clock.sync(() => fetchServerNow(baseUrl, ticket)).catch(() => undefined);
    const probes = KINDS.map(({ kind }) => new TransportProbe(kind, { baseUrl, series: valid, clock, ticket }));
    for (const probe of probes) probe.start();
    const timer = setInterval(() => setStats(probes.map((p) => p.stats())), REFRESH_MS);
    return () => {
      clearInterval(timer);
      for (const probe of probes) probe.stop();
      tickets?.close();
    };
    // valid is derived from series; joined it is the identity of the stream being compared.
  }, [serverUrl, valid.join(",")]);

  return (
    <>
      <header className="topbar">
        <h1>Livedash</h1>
        <PageNav current="/transports" />
        <span className="meta">Stream: <code>{valid.join(", ")}</code></span>
      </header>
      <main>
        <div className="transports">
          {KINDS.map(({ kind, title, how }, i) => {
            const s = stats[i];
            return (
              <section key={kind} className="panel" data-probe={kind} data-status={s?.status ?? "connecting"} aria-labelledby={`probe-${kind}`}>
                <h2 id={`probe-${kind}`}>{title}</h2>
                <p className="meta">{how}</p>
                <dl className="stats">
                  <dt>Status</dt><dd data-field="status">{s?.status ?? "connecting"}</dd>
                  <dt>Events</dt><dd data-field="events">{s?.events ?? 0}</dd>
                  <dt>Points</dt><dd>{s?.points ?? 0}</dd>
                  <dt>Latency p50</dt><dd data-field="latency">{s?.latencyP50Ms == null ? "–" : formatValue(s.latencyP50Ms, "ms", 0)}</dd>
                  <dt>Latency p95</dt><dd>{s?.latencyP95Ms == null ? "–" : formatValue(s.latencyP95Ms, "ms", 0)}</dd>
                  <dt>Bytes per event</dt><dd data-field="bytes-per-event">{s && s.events > 0 ? formatValue(s.bytes / s.events, "bytes", 1) : "–"}</dd>
                  <dt>Requests per minute</dt><dd data-field="rpm">{s?.requestsPerMinute ?? 0}</dd>
                </dl>
                {s?.lastError ? <p className="meta">Last error: {s.lastError}</p> : null}
              </section>
            );
          })}
        </div>
        <p className="meta">
          Latency is receive time minus the point&apos;s timestamp, both on the server&apos;s clock (read from system.info, so a
          browser clock that is off does not show as latency); it includes the server&apos;s batching. Bytes are frames and
          bodies as received, without HTTP or TCP headers.
        </p>
      </main>
    </>
  );
}

/** The server's clock from `system.info` (plain tRPC GET, as the probes speak the wire without a client). */
async function fetchServerNow(baseUrl: string, ticket?: () => Promise<string>): Promise<number> {
  const res = await fetch(`${baseUrl}${TRPC_PATH}/system.info`, { headers: ticket ? { authorization: `Bearer ${await ticket()}` } : {} });
  const body = (await res.json()) as { result?: { data?: unknown } };
  return ServerInfoSchema.parse(body.result?.data).now;
}
