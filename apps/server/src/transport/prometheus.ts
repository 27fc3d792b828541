import type { Services } from "../services";

/** The server's own stats in Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(services: Services, startedAtMs: number): string {
  const hub = services.hub.stats();
  const { traffic } = services;
  const health = services.engine.health();
  const memory = process.memoryUsage();
  const lines: string[] = [];
  const metric = (name: string, type: "gauge" | "counter", help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric("livedash_up", "gauge", "1 while the engine is ready (Redis reachable for the redis engine).", [[`{engine="${health.engine}"}`, health.ready ? 1 : 0]]);
  metric("livedash_uptime_seconds", "gauge", "Seconds since the server started.", [["", (Date.now() - startedAtMs) / 1000]]);
  metric("livedash_connections", "gauge", "Open connections per transport.", [
    ['{transport="ws"}', traffic.ws],
    ['{transport="sse"}', traffic.sse],
    ['{transport="trpc_sse"}', traffic.trpcSse],
    ['{transport="poll"}', traffic.polls],
  ]);
  metric("livedash_http_writes_in_flight", "gauge", "HTTP writes (ingest, mutations) being answered.", [["", traffic.writes]]);
  metric("livedash_subscriptions", "gauge", "Live subscriptions on the fan-out path.", [["", hub.subscriptions]]);
  metric("livedash_events_out_total", "counter", "Events written to subscribers.", [["", hub.eventsOut]]);
  metric("livedash_bytes_out_total", "counter", "Bytes written to subscribers.", [["", hub.bytesOut]]);
  metric("livedash_coalesced_events_total", "counter", "Events sent coalesced to slow subscribers.", [["", hub.coalescedEvents]]);
  metric("livedash_slow_consumers_closed_total", "counter", "Connections closed as too slow (WS 4008).", [["", hub.slowClosed]]);
  metric("livedash_replay_waits_total", "counter", "Times a resume replay paused at the high watermark until its socket drained.", [["", hub.replayWaits]]);
  metric("livedash_aggregate_groups", "gauge", "Live aggregations running (with subscribers or idle; LIVEDASH_MAX_AGGREGATE_GROUPS).", [["", hub.aggregateGroups]]);
  metric("livedash_aggregate_idle_groups", "gauge", "Live aggregations without subscribers, kept for the next poll or reconnect.", [["", hub.aggregateIdleGroups]]);
  metric("livedash_aggregate_members", "gauge", "Member series the live aggregations hold state for, summed.", [["", hub.aggregateMembers]]);
  metric("livedash_aggregate_members_refused", "gauge", "Member series the running live aggregations could not count (LIVEDASH_MAX_AGGREGATE_MEMBERS, the address's _PER_ADDRESS share, or the series cap was full).", [["", hub.aggregateMembersRefused]]);
  metric("livedash_aggregate_replay_points", "gauge", "Points the live aggregations keep for resumes, summed.", [["", hub.aggregateReplayPoints]]);
  metric("livedash_aggregate_computations_total", "counter", "Batches fed to a live aggregation (one per batch per aggregation).", [["", hub.aggregateComputations]]);
  metric(
    "livedash_aggregate_refused_total",
    "counter",
    "Aggregated subscriptions refused, by limit (server, per_address, create_rate, members, members_per_address).",
    Object.entries(hub.aggregateRefused).map(([limit, count]): [string, number] => [`{limit="${limit}"}`, count]),
  );
  metric("livedash_aggregate_holds_forgotten_total", "counter", "Idle aggregation holds forgotten before their idle minute passed, past the bound on idle holds (never the last hold of an aggregation).", [["", hub.aggregateHoldsForgotten]]);
  metric("livedash_points_in_total", "counter", "Points accepted (collectors and ingest).", [["", traffic.pointsIn]]);
  metric(
    "livedash_remote_write_skipped_total",
    "counter",
    "Samples and entries POST /api/v1/write took but did not store, by reason (NaN, staleness marker, infinite, native histogram, metadata).",
    Object.entries(traffic.remoteWriteSkipped).map(([reason, count]): [string, number] => [`{reason="${reason}"}`, count as number]),
  );
  metric("livedash_series", "gauge", "Distinct series held.", [["", services.store.size()]]);
  metric("process_resident_memory_bytes", "gauge", "Resident set size.", [["", memory.rss]]);
  metric("nodejs_heap_used_bytes", "gauge", "V8 heap in use.", [["", memory.heapUsed]]);
  for (const m of services.engineMetrics()) metric(m.name, m.type, m.help, [["", m.value]]);
  const alerts = services.alerts.metrics();
  const states = ["ok", "pending", "firing", "resolved"] as const;
  metric("livedash_alert_rules", "gauge", "Alert rules running (rules file and dashboard).", [["", alerts.rules]]);
  metric("livedash_alerts", "gauge", "Series tracked by alert rules, by state.", states.map((state) => [`{state="${state}"}`, alerts.states[state]]));
  metric("livedash_alerts_silenced", "gauge", "Tracked series a silence covers now.", [["", alerts.silenced]]);
  metric("livedash_alert_transitions_total", "counter", "Alert state transitions since start, by the state entered.", states.map((state) => [`{to="${state}"}`, alerts.counters.transitions[state]]));
  metric("livedash_alert_notifications_sent_total", "counter", "Webhook notifications delivered (2xx) by this instance.", [["", alerts.notifier.sent]]);
  metric("livedash_alert_notification_failures_total", "counter", "Failed webhook attempts (each is retried with backoff).", [["", alerts.notifier.failedAttempts]]);
  metric("livedash_alert_notifications_dropped_total", "counter", "Notifications given up (refused with a 4xx, or unsent past their maximum age).", [["", alerts.notifier.dropped]]);
  metric("livedash_alert_outbox", "gauge", "Notifications waiting to be sent (kept in alerts.db).", [["", alerts.outbox]]);
  metric("livedash_alert_rules_file_error", "gauge", "1 while the last edit of the rules file was refused (the previous rules run).", [["", alerts.fileError ? 1 : 0]]);
  metric("livedash_alert_series_dropped_total", "counter", "Series not evaluated because a rule tracked its maximum.", [["", alerts.evaluator.dropped]]);
  const fleet = services.hosts.list();
  const hostsUp = fleet.hosts.reduce((n, h) => n + (h.state === "up" ? 1 : 0), 0);
  metric("livedash_hosts", "gauge", "Hosts the fleet view tracks, by state (at most LIVEDASH_MAX_HOSTS).", [
    ['{state="up"}', hostsUp],
    ['{state="down"}', fleet.hosts.length - hostsUp],
  ]);
  metric("livedash_hosts_refused_points_total", "counter", "Points whose host the fleet view could not track: LIVEDASH_MAX_HOSTS full with every host up.", [["", fleet.refused?.points ?? 0]]);
  const disk = services.storage.disk?.stats();
  if (disk) {
    metric("livedash_storage_flushes_total", "counter", "Commits of buffered points to the data file (about one a second).", [["", disk.flushes]]);
    metric("livedash_storage_flush_failures_total", "counter", "Commits that failed (disk full or I/O error); retried at the next flush.", [["", disk.flushFailures]]);
    metric("livedash_storage_full", "gauge", "1 while the data file cannot grow (ingest answers 507).", [["", disk.full ? 1 : 0]]);
    metric("livedash_storage_dropped_points_total", "counter", "Points older than the longest retention, dropped on arrival.", [["", disk.droppedTooOld]]);
  }
  return `${lines.join("\n")}\n`;
}
