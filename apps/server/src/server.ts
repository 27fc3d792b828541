import { LIMIT_DEFAULTS } from "@livedash/events";
import { randomBytes } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Point } from "@livedash/events";
import { hostname } from "node:os";
import type { DestinationStream } from "pino";
import { buildAlerts, loadAlertRules } from "./alerts";
import type { AlertsOptions } from "./alerts";
import { collectorHostname, startCollectors } from "@livedash/collectors";
import type { LivedashConfig } from "./config";
import { createBatcher } from "./engine/batcher";
import { createEngine } from "./engine/create-engine";
import { createAggregateHistory } from "./aggregate/history-service";
import { createInProcessLive } from "./live/in-process";
import { createLivePath } from "./live/live-path";
import type { LiveAggregateOptions } from "./live/live-path";
import { createPatternIndex } from "./live/pattern-index";
import type { BackpressureOptions } from "./live/types";
import { startHosts } from "./hosts";
import type { HostsOptions } from "./hosts";
import { createLogger } from "./logger";
import type { Logger } from "./logger";
import { createIngestService } from "./pipeline/ingest-service";
import { LineHeadCache } from "./ingest/line-heads";
import { createConnectionLimiter } from "./security/connection-limit";
import { createOriginCheck } from "./security/origin";
import { createRateLimiter } from "./security/rate-limit";
import { createIngestSources, createSourceRateLimiter } from "./security/ingest-sources";
import { createSignedTicketIssuer } from "./security/signed-tickets";
import { createTicketIssuer } from "./security/tokens";
import type { Services, TrafficCounters } from "./services";
import { createStorage } from "./store";
import type { StorageOptions } from "./store";
import { createHttpApp } from "./transport/http-app";
import { startScraper } from "./scrape/scraper";
import type { ScraperOptions } from "./scrape/scraper";
import { createSseStreams } from "./transport/sse-streams";
import type { SseStreamsOptions } from "./transport/sse-streams";
import { attachWsServer } from "./transport/ws-server";
import { createRequestTracker } from "./transport/writes-in-flight";
import type { WsServerOptions } from "./transport/ws-server";

export const VERSION = "0.1.0";

/** Kept free of the shutdown timeout for engine.close() and the exit itself. */
const SHUTDOWN_MARGIN_MS = 250;
/** How long a WebSocket peer has to answer the close frame before its socket is cut. */
const WS_CLOSE_GRACE_MS = 1_000;

/** Tunables that are not environment settings: tests and benchmarks pass them directly. */
export interface ServerOptions {
  backpressure?: BackpressureOptions;
  sse?: SseStreamsOptions;
  ws?: WsServerOptions;
  /** Disk store tunables (flush interval, clock); the data dir and tiers come from config. */
  storage?: StorageOptions;
  /** Alert evaluation tunables: the clock, tick and rules-file poll intervals, notifier retries. */
  alerts?: AlertsOptions;
  /** Scrape tunables that are not settings (timeout, body and sample limits); targets and interval come from config. */
  scrape?: Pick<ScraperOptions, "timeoutMs" | "maxBodyBytes" | "maxSamples">;
  /** Host registry tunables that are not settings: clock, sweep and publish intervals. */
  hosts?: HostsOptions;
  /** The ingest rate limiter's clock (tests freeze it, so no refill happens between two requests). @default performance.now */
  ingestRate?: { now?: () => number };
  /** Live aggregation clock (staleness, idleness, holds) and idleMs; not settings: 60 s idle is the documented contract. */
  aggregation?: Pick<LiveAggregateOptions, "idleMs" | "now" | "maxIdleHolds">;
  /** Ticket lifetime (tests shorten it to see clients renew); not a setting: 60 s is the documented contract. */
  tickets?: { ttlMs?: number };
  /** Where log lines go (main.ts passes a pretty printer on a terminal; tests capture lines). @default stdout, JSON lines */
  logDestination?: DestinationStream;
}

export interface LivedashServer {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly port: number;
  readonly services: Services;
  readonly log: Logger;
  /** Stops collectors, tells WS clients to reconnect, ends SSE streams, closes sockets and the engine. */
  close(): Promise<void>;
}

/** Builds and starts everything; no module-level state, so tests can run several servers in one process. */
/** An idle keep-alive socket is closed after this (Node's own default, stated so it is not lost). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export async function createServer(config: LivedashConfig, options: ServerOptions = {}): Promise<LivedashServer> {
  const startedAtMs = Date.now();
  const log = createLogger({ level: config.log, destination: options.logDestination, secrets: [config.readToken, config.ingestToken] });
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const traffic: TrafficCounters = {
    ws: 0,
    sse: 0,
    trpcSse: 0,
    polls: 0,
    writes: 0,
    pointsIn: 0,
    remoteWriteSkipped: { nan: 0, stale: 0, infinite: 0, histograms: 0, metadata: 0 },
  };
  // Before anything opens: a rules file with an error refuses the start (nothing to clean up yet).
  const alertRules = loadAlertRules(config);
  const storage = createStorage(config, { log: (message) => log.warn(message), ...options.storage });
  const { store, disk } = storage;
  // With the memory engine on a disk store, event ids and the replay window outlive the process,
  // so a client resumes across a restart. Redis keeps its own ids (the stream's).
  const persisted =
    disk && !config.redisUrl
      ? { ...disk.ids, reserve: (seq: number) => disk.reserveIds(seq), record: (seq: number, points: readonly Point[]) => disk.recordBatch(seq, points) }
      : undefined;
  // Redis on a disk store: the warm-up replays the stream, whose older part this store already
  // holds from its previous run; those batches must not be appended twice.
  const appliedBefore = config.redisUrl ? (disk?.appliedId ?? null) : null;
  let compareIds: ((a: string, b: string) => number) | null = null;
  /** Every series' last point, as the store holds it. */
  function* lastPoints(): Generator<Point> {
    for (const info of store.catalog()) if (info.last) yield { series: info.name, ts: info.last.ts, value: info.last.value };
  }
  // Rebuilt from the store's last points (the disk store keeps them across runs), then fed every batch.
  const hosts = startHosts(
    config.hosts,
    {
      engineKind: config.redisUrl ? "redis" : "memory",
      warn: (message) => log.warn(message),
      lastPoints,
      lastSeen: disk ? (series) => disk.lastSeen(series) : undefined,
      knownHost: config.collectors ? { host: collectorHostname(config.hostname), intervalMs: config.tickMs } : undefined,
    },
    options.hosts,
  );
  const runtime = await createEngine(
    config,
    (batch) => {
      // Registered before any batch flows (including a redis warm-up), so every instance's store
      // holds the same history.
      traffic.pointsIn += batch.points.length;
      // Before the applied-id check: a warm-up batch this store already holds still says when its host reported.
      hosts.observe(batch);
      if (appliedBefore !== null && compareIds !== null && compareIds(batch.id, appliedBefore) <= 0) return;
      store.append(batch.points);
      if (config.redisUrl) disk?.noteApplied(batch.id);
    },
    log,
    persisted,
  ).catch((error: unknown) => {
    hosts.close();
    storage.close();
    throw error;
  });
  const { engine } = runtime;
  compareIds = (a, b) => engine.compareIds(a, b);
  // Distinct patterns are compiled and tested once server-wide, whatever the number of groups holding them.
  const patternIndex = createPatternIndex({
    maxPatterns: config.limits.maxLivePatterns,
    maxPatternsPerAddress: config.limits.maxLivePatternsPerAddress,
    maxRegexMatchers: config.limits.maxLiveRegexMatchers,
  });
  const hub = createLivePath(engine, options.backpressure, patternIndex, {
    staleMs: config.aggregateStaleMs,
    maxGroups: config.limits.maxAggregateGroups,
    maxGroupsPerAddress: config.limits.maxAggregateGroupsPerAddress,
    createsPerMinute: config.limits.aggregateCreatesPerMin,
    ...options.aggregation,
    maxMembersTotal: config.limits.maxAggregateMembers,
    maxMembersPerAddress: config.limits.maxAggregateMembersPerAddress,
    // An aggregation cannot have more live members than the store holds series.
    maxMembers: Math.min(65_536, config.limits.maxSeries),
    // A new aggregation starts from every member's latest point, not only those of its first batch.
    latestPoints: lastPoints,
  });
  runtime.onGap((reason) => hub.resetAll(reason));
  await runtime.start();
  const batcher = createBatcher(engine, { windowMs: config.batchWindowMs });
  const rateNow = options.ingestRate?.now;
  const rateLimiter = createSourceRateLimiter(
    createRateLimiter({ ratePerSec: config.limits.ingestPointsPerSec, burst: config.limits.ingestPointsPerSec * 2, maxKeys: 10_000, now: rateNow }),
    createRateLimiter({ ratePerSec: config.limits.ingestPointsPerSecPerAddress, burst: config.limits.ingestPointsPerSecPerAddress * 2, maxKeys: 10_000, now: rateNow }),
  );
  // A fleet behind one proxy address gets a bucket per host, up to as many hosts as the fleet view tracks.
  const ingestSources = createIngestSources({ maxHostsPerAddress: config.hosts.maxHosts, maxHosts: 10_000, now: rateNow });
  const ingest = createIngestService({
    store,
    batcher,
    rateLimiter,
    limits: { maxPointsPerRequest: config.limits.maxPointsPerRequest, maxSeries: config.limits.maxSeries, maxFutureMs: LIMIT_DEFAULTS.maxFutureMs, maxLatePoints: config.limits.maxLatePoints },
    logError: (message) => log.error(message),
  });
  // With a read token, tickets are signed with it, so any instance sharing the token accepts them.
  const ticketTtlMs = options.tickets?.ttlMs ?? 60_000;
  const ticketIssuer = config.readToken ? createSignedTicketIssuer(config.readToken, { ttlMs: ticketTtlMs }) : createTicketIssuer({ ttlMs: ticketTtlMs });
  const live = createInProcessLive(hub, engine);
  let baseUrl = "";
  const alerts = buildAlerts(config, alertRules, { live, publish: (points) => batcher.enqueue(points), catalog: () => store.catalog(), log, baseUrl: () => baseUrl }, options.alerts);
  const services: Services = {
    config,
    engine,
    store,
    storage,
    hub,
    live,
    aggregates: createAggregateHistory(store, config.limits.maxHistoryPoints),
    alerts,
    hosts: { list: () => hosts.registry.snapshot(), events: (signal) => hosts.feed.events(signal), poll: (input, signal) => hosts.feed.poll(input, signal) },
    batcher,
    ingest,
    ingestSources,
    lineHeads: new LineHeadCache(),
    traffic,
    log,
    tickets: { issue: () => ticketIssuer.issue("read"), expiresAt: (ticket) => ticketIssuer.expiresAt(ticket) },
    engineMetrics: () => runtime.metrics(),
    info: () => ({ instanceId, engine: engine.kind, version: VERSION, startedAt: startedAtMs, now: Date.now(), tickMs: config.tickMs, retentionMs: config.retentionMs }),
  };

  const originAllowed = createOriginCheck(config.allowedOrigins);
  const connections = createConnectionLimiter({ maxPerIp: config.limits.maxConnectionsPerIp });
  const streams = createSseStreams(options.sse);
  // Long-polls hold a request and an engine listener up to 60 s each: counted per address, over HTTP
  // and WebSocket alike.
  const pollWaiters = createConnectionLimiter({ maxPerIp: config.limits.maxPollsPerIp });
  const app = createHttpApp(services, streams, originAllowed, startedAtMs, connections, pollWaiters);
  const requests = createRequestTracker(traffic);
  const { headersTimeoutMs, requestTimeoutMs } = config.limits;
  const http = createHttpServer(
    {
      // A request that trickles its headers or body holds a socket (a file descriptor) and counts
      // nowhere else: it is answered 408 and closed past these. Streams are not cut: the timeouts
      // cover receiving the request, not the response.
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // Node checks both timeouts on this interval (30 s by default), which would let a 10 s limit hold 40 s.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(headersTimeoutMs / 4)),
    },
    (req, res) => {
      requests.track(req, res);
      app(req, res);
    },
  );
  const ws = attachWsServer(http, services, { originAllowed, acquireConnection: connections.acquire, releaseConnection: connections.release, pollWaiters }, options.ws);

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  baseUrl = `http://${host}:${port}`;
  alerts.start();

  let collectorFailing = false;
  const collectors = config.collectors
    ? startCollectors({
        intervalMs: config.tickMs,
        publish: (points) => {
          batcher.enqueue(points).then(
            () => {
              if (collectorFailing) log.info("collector batches are published again");
              collectorFailing = false;
            },
            (error: unknown) => {
              // Logged once per outage, not once per tick.
              if (!collectorFailing) log.error({ err: error }, "collector batches not published");
              collectorFailing = true;
            },
          );
        },
        describe: (meta) => store.describe(meta),
        traffic: () => {
          const stats = hub.stats();
          return {
            connections: { ws: traffic.ws, sse: traffic.sse, trpcSse: traffic.trpcSse, poll: traffic.polls },
            subscriptions: stats.subscriptions,
            eventsOut: stats.eventsOut,
            bytesOut: stats.bytesOut,
            pointsIn: traffic.pointsIn,
          };
        },
      }, { log, hostname: config.hostname })
    : null;

  // Prometheus targets (LIVEDASH_SCRAPE): pulled off the request path, written through the ingest service.
  const scraper =
    config.scrape.targets.length > 0
      ? startScraper({ targets: config.scrape.targets, intervalMs: config.scrape.intervalMs, userAgent: `livedash/${VERSION}`, ingest, log, maxDescribed: config.limits.maxSeries, ...options.scrape })
      : null;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    log,
    close() {
      closing ??= (async () => {
        // Every wait below is bounded by one deadline, so the process exits within
        // LIVEDASH_SHUTDOWN_TIMEOUT_MS whatever a peer does (main.ts hard-exits at the timeout itself).
        const deadline = Date.now() + Math.max(0, config.shutdownTimeoutMs - SHUTDOWN_MARGIN_MS);
        const left = () => Math.max(0, deadline - Date.now());
        collectors?.stop();
        // Evaluation stops before the live path closes; unsent notifications stay in alerts.db.
        await alerts.close();
        // Scrapes in flight are aborted now; one already writing finishes through the batcher below.
        const scrapesStopped = scraper?.close();
        // Stop accepting; the callback runs once every connection has ended.
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        // Points already accepted leave the batcher now, not at the end of its window.
        const flushed = batcher.drain().catch(() => undefined);
        // The live path first: every waiting long-poll is answered now (empty, with its cursor) and one
        // arriving later at once, so neither the close frames nor closeAllConnections below cut a poll.
        hub.close();
        // Same for the fleet: hosts.live streams end, waiting hosts.poll calls are answered empty.
        hosts.close();
        // WS answers in flight go out first; a peer that never answers the close frame is cut after the
        // grace, not after ws' 30 s. Both waits are bounded by the grace: together at most left() / 2.
        await ws.close(Math.min(WS_CLOSE_GRACE_MS, left() / 4));
        streams.closeAll();
        // Every request in flight gets its answer: ingest (it may still be reading its body, then waits
        // for its batch), the long-polls answered above.
        await flushed;
        await requests.idle(left() / 2);
        http.closeAllConnections();
        await httpClosed;
        await scrapesStopped;
        await batcher.drain().catch(() => undefined);
        await engine.close();
        // Last: every batch the engine published is in the final flush.
        storage.close();
      })();
      return closing;
    },
  };
}
