import type { SeriesKind, SeriesMeta, SeriesUnit } from "@livedash/events";
import { describe, unitFromUcum, type UnitMapping } from "../units";
import type { OtlpMetric } from "./model";

/**
 * The catalog entries of one OTLP metric's series (docs/ingest.md, "Units and descriptions"): its
 * description, its unit (UCUM, mapped by unitFromUcum) and kind, for each series name this request
 * gave points to (`suffixes`: "" for the metric's own series, ".count", ".sum", ".p99"...). A counter
 * the server turned into a per-second rate is a `rate` in the rate's unit (`By` -> bytes_per_second,
 * `{request}` -> per_second); a histogram's quantiles are in the metric's unit.
 */
export function metricMeta(metric: OtlpMetric, name: string, suffixes: Iterable<string>): SeriesMeta[] {
  const unit = unitFromUcum(metric.unit);
  const out: SeriesMeta[] = [];
  for (const suffix of suffixes) {
    const [seriesUnit, kind, detail] = seriesOf(metric, suffix, unit);
    out.push({ series: name + suffix, unit: seriesUnit, kind, description: describe(metric.description, detail, unit) });
  }
  return out;
}

function seriesOf(metric: OtlpMetric, suffix: string, unit: UnitMapping): [SeriesUnit, SeriesKind, string | null] {
  if (metric.gauge) return [unit.unit, "gauge", null];
  if (metric.sum) {
    // Monotonic sums and every delta sum become per-second rates; an up-down counter stays a value.
    const rate = metric.sum.isMonotonic || metric.sum.aggregationTemporality === 1;
    return rate ? [unit.rate, "rate", "per second"] : [unit.unit, "gauge", null];
  }
  if (suffix === ".count") return ["per_second", "rate", "observations per second"];
  if (suffix === ".sum") return [unit.rate, "rate", "sum per second"];
  // .p50, .p99.9...: a quantile of the observations, in their unit.
  return [unit.unit, "gauge", suffix.slice(1)];
}
