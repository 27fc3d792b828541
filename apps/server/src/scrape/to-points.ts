import type { Point } from "@livedash/events";
import { checkFuture } from "../ingest/timestamp";
import { prometheusSeriesKey } from "../ingest/prometheus-series";
import type { ExpositionSample, MetricType } from "./exposition-parser";
import type { ScrapeTarget } from "./targets";

/** Families whose `<name>_created` sample is a creation time, not a value (OpenMetrics). */
const CREATED_TYPES = new Set<MetricType>(["counter", "histogram", "gaugehistogram", "summary"]);

export type ScrapePoints = { ok: true; points: Point[]; skipped: number; names: Set<string> } | { ok: false; message: string };

/**
 * Samples of one scrape as points, the way Prometheus stores them: every sample its own series, keyed
 * by its full name (`foo_total`, `foo_bucket{le="0.5"}`, `foo_sum`, `foo_count`, `foo{quantile="0.9"}`)
 * plus the target's `instance` and `job`; a label of the same name from the target is kept as
 * `exported_instance` / `exported_job` (Prometheus' honor_labels: false). `_created` samples of
 * counters, histograms and summaries are dropped, NaN and ±Inf skipped (counted in `skipped`).
 * Samples without a timestamp get `scrapeMs`. The first bad series fails the scrape, naming the label.
 */
export function samplesToPoints(
  samples: readonly ExpositionSample[],
  types: ReadonlyMap<string, MetricType>,
  target: ScrapeTarget,
  scrapeMs: number,
  maxFutureMs: number,
): ScrapePoints {
  const points: Point[] = [];
  /** Sample names that gave points: the names to describe. */
  const names = new Set<string>();
  let skipped = 0;
  for (const sample of samples) {
    if (sample.name.endsWith("_created") && CREATED_TYPES.has(types.get(sample.name.slice(0, -"_created".length)) ?? "untyped")) continue;
    if (!Number.isFinite(sample.value)) {
      skipped++;
      continue;
    }
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(sample.labels)) {
      labels[name === "instance" || name === "job" ? `exported_${name}` : name] = value;
    }
    labels.instance = target.instance;
    labels.job = target.job;
    const key = prometheusSeriesKey(sample.name, labels);
    if (!key.ok) return { ok: false, message: `${sample.name}: ${key.label ? `label ${key.label}: ` : ""}${key.message}` };
    const ts = sample.timestampMs ?? scrapeMs;
    if (ts < 0) return { ok: false, message: `${sample.name}: timestamp ${ts} is before 1970` };
    const future = checkFuture(ts, { nowMs: scrapeMs, maxFutureMs });
    if (!future.ok) return { ok: false, message: `${sample.name}: ${future.message}` };
    points.push({ series: key.key, ts, value: sample.value });
    names.add(sample.name);
  }
  return { ok: true, points, skipped, names };
}
