import type { Point, SeriesMeta } from "@livedash/events";
import { seriesKey } from "@livedash/events";
import { MetaMemo } from "../ingest/meta-memo";
import { prometheusMeta, type PrometheusFamily } from "../ingest/prometheus-meta";
import type { IngestService } from "../pipeline/ingest-service";
import { parseExposition, type ExpositionFamilies } from "./exposition-parser";
import { fetchExposition, ScrapeError } from "./fetch-exposition";
import type { ScrapeTarget } from "./targets";
import { samplesToPoints } from "./to-points";

export interface ScraperOptions {
  targets: readonly ScrapeTarget[];
  /** LIVEDASH_SCRAPE_INTERVAL_MS. */
  intervalMs: number;
  /** A scrape gets no more than this, and never more than the interval. @default 10_000 (Prometheus' scrape_timeout) */
  timeoutMs?: number;
  /** Body bytes of one scrape, after decompression. @default 16 MiB */
  maxBodyBytes?: number;
  /** Samples in one scrape; past it the scrape fails (`up` 0), as Prometheus' sample_limit. @default 100_000 */
  maxSamples?: number;
  userAgent: string;
  ingest: IngestService;
  log: { warn(fields: object, message: string): void; info(fields: object, message: string): void };
  /** @default Date.now */
  now?: () => number;
  /** Series names whose applied HELP/TYPE/UNIT the scraper remembers (see MetaMemo). @default 10_000 */
  maxDescribed?: number;
}

/** A family's HELP/TYPE/UNIT lines, or undefined when the exposition has none for `name`. */
function familyOf(families: ExpositionFamilies, name: string): PrometheusFamily | undefined {
  const type = families.types.get(name);
  const help = families.help.get(name);
  const unit = families.units.get(name);
  if (type === undefined && help === undefined && unit === undefined) return undefined;
  return { ...(type !== undefined && { type }), ...(help !== undefined && { help }), ...(unit !== undefined && { unit }) };
}

export interface Scraper {
  /** Stops every loop, aborts scrapes in flight and resolves once none is running. */
  close(): Promise<void>;
}

/** Meta-series written per target at every scrape (Prometheus' names). */
const UP = "up";
const DURATION = "scrape_duration_seconds";
const SAMPLES = "scrape_samples_scraped";

/**
 * Pulls every target every `intervalMs`, each in its own loop: one scrape in flight per target (a slow
 * one delays its own next scrape, never overlaps it), none on the request path. Points go through the
 * ingest service like any write (series cap, 507), under the rate-limit key `scrape:<instance>`.
 * A target's loops are spread over the interval so that targets are not all fetched at once.
 */
export function startScraper(options: ScraperOptions): Scraper {
  const now = options.now ?? Date.now;
  const timeoutMs = Math.min(options.timeoutMs ?? 10_000, options.intervalMs);
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1_048_576;
  const maxSamples = options.maxSamples ?? 100_000;
  const stop = new AbortController();
  /** The last failure per target, so a target that stays down is logged once, not every interval. */
  const lastFailure = new Map<string, string>();

  /** HELP/TYPE/UNIT already applied, so a target's unchanged metadata is not described every scrape. */
  const described = new MetaMemo(options.maxDescribed);

  async function publish(target: ScrapeTarget, points: Point[], meta: SeriesMeta[]): Promise<void> {
    const chunk = options.ingest.limits.maxPointsPerRequest;
    const changed = described.changed(meta);
    for (let i = 0; i < points.length; i += chunk) {
      // The descriptions go with the first chunk, so they are refused (and sent again) with it.
      await options.ingest.acceptValidated(points.slice(i, i + chunk), i === 0 ? changed : undefined, `scrape:${target.instance}`);
      if (i === 0) described.remember(changed);
    }
  }

  async function scrapeOnce(target: ScrapeTarget): Promise<void> {
    const startedMs = now();
    const started = performance.now();
    const meta = { instance: target.instance, job: target.job };
    let up = 0;
    let scraped = 0;
    let failure: string | null = null;
    let points: Point[] = [];
    let familyMeta: SeriesMeta[] = [];
    try {
      const body = await fetchExposition(target.url, { timeoutMs, maxBodyBytes, signal: stop.signal, userAgent: options.userAgent });
      const parsed = parseExposition(body.text, { openMetrics: body.openMetrics, maxSamples });
      if (!parsed.ok) throw new ScrapeError(`line ${parsed.line}: ${parsed.message}`);
      scraped = parsed.samples.length;
      const mapped = samplesToPoints(parsed.samples, parsed.types, target, startedMs, options.ingest.limits.maxFutureMs);
      if (!mapped.ok) throw new ScrapeError(mapped.message);
      points = mapped.points;
      familyMeta = prometheusMeta(mapped.names, (name) => familyOf(parsed, name));
      up = 1;
    } catch (error) {
      if (!(error instanceof ScrapeError)) throw error;
      failure = error.message;
    }
    if (stop.signal.aborted) return;
    const seconds = (performance.now() - started) / 1000;
    points.push(
      { series: seriesKey(UP, meta), ts: startedMs, value: up },
      { series: seriesKey(DURATION, meta), ts: startedMs, value: seconds },
      { series: seriesKey(SAMPLES, meta), ts: startedMs, value: scraped },
    );
    try {
      await publish(target, points, familyMeta);
    } catch (error) {
      // The target answered; Livedash refused (series cap, rate, full disk): up stays as measured,
      // but the reason is logged.
      failure ??= `not stored: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (failure !== lastFailure.get(target.url)) {
      if (failure) options.log.warn({ target: target.url, instance: target.instance, job: target.job, reason: failure }, `scrape of ${target.url} failed: ${failure}`);
      else options.log.info({ target: target.url, instance: target.instance, job: target.job }, `scrape of ${target.url} succeeds again`);
    }
    if (failure) lastFailure.set(target.url, failure);
    else lastFailure.delete(target.url);
  }

  /** Resolves after `ms`, or at once when the scraper stops. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (stop.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stop.signal.removeEventListener("abort", done);
        resolve();
      }
      stop.signal.addEventListener("abort", done, { once: true });
    });
  }

  async function loop(target: ScrapeTarget, offsetMs: number): Promise<void> {
    await pause(offsetMs);
    let next = now();
    while (!stop.signal.aborted) {
      // A bug in one scrape is logged and the loop goes on: the next interval may well succeed.
      await scrapeOnce(target).catch((error: unknown) => options.log.warn({ target: target.url, err: error }, `scrape of ${target.url} failed unexpectedly`));
      next += options.intervalMs;
      // Behind schedule (a scrape took longer than the interval): start again at once, skip the missed ticks.
      const wait = next - now();
      if (wait < 0) next = now();
      await pause(Math.max(0, wait));
    }
  }

  const loops = options.targets.map((target, i) => loop(target, Math.floor((i * options.intervalMs) / options.targets.length)));

  return {
    async close() {
      stop.abort();
      await Promise.all(loops);
    },
  };
}
