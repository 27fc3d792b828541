import type { SeriesKind, SeriesMeta, SeriesUnit } from "@livedash/events";
import { describe, unitFromPrometheus } from "./units";

/** Prometheus metric types (exposition `# TYPE`, remote_write MetricMetadata.type). */
export type PrometheusType = "counter" | "gauge" | "histogram" | "gaugehistogram" | "summary" | "untyped" | "unknown" | "info" | "stateset";

/** What a target or a sender said of one metric family. */
export interface PrometheusFamily {
  readonly type?: PrometheusType;
  readonly help?: string;
  /** OpenMetrics `# UNIT`. */
  readonly unit?: string;
}

/** Sample-name suffixes of a family's series, longest first (`_gcount` before `_count`). */
const SUFFIXES = ["_bucket", "_gcount", "_count", "_gsum", "_sum", "_total", "_info"] as const;

/**
 * Catalog entries (unit, kind, description) for the sample names of a scrape or a remote_write request,
 * from their families' HELP/TYPE/UNIT (docs/ingest.md, "Units and descriptions"). A sample name is
 * matched to its family as Prometheus names them: itself, or the family plus `_total`, `_bucket`,
 * `_sum`, `_count` (`_gsum`, `_gcount` for gauge histograms). Names of no known family get nothing. The
 * unit is the family's `# UNIT`, else the unit its name ends in (`_seconds`, `_bytes`, `_ratio`...).
 */
export function prometheusMeta(sampleNames: Iterable<string>, familyOf: (name: string) => PrometheusFamily | undefined): SeriesMeta[] {
  const out: SeriesMeta[] = [];
  for (const name of sampleNames) {
    let family = familyOf(name);
    let familyName = name;
    let suffix = "";
    if (family === undefined) {
      for (const s of SUFFIXES) {
        if (!name.endsWith(s)) continue;
        family = familyOf(name.slice(0, -s.length));
        if (family !== undefined) {
          familyName = name.slice(0, -s.length);
          suffix = s;
          break;
        }
      }
    }
    if (family === undefined) continue;
    const unit = unitFromPrometheus(familyName, family.unit);
    const [seriesUnit, kind, detail] = sampleOf(family.type ?? "unknown", suffix, unit.unit);
    out.push({ series: name, unit: seriesUnit, kind, description: describe(family.help ?? "", detail, unit) });
  }
  return out;
}

function sampleOf(type: PrometheusType, suffix: string, unit: SeriesUnit): [SeriesUnit, SeriesKind, string | null] {
  const cumulative: SeriesKind = type === "gaugehistogram" ? "gauge" : "counter";
  switch (suffix) {
    case "_bucket":
      return ["count", cumulative, "observations per bucket, cumulative over le"];
    case "_count":
    case "_gcount":
      return ["count", cumulative, "count of observations"];
    case "_sum":
    case "_gsum":
      return [unit, cumulative, "sum of observations"];
  }
  if (type === "counter") return [unit, "counter", null];
  if (type === "summary") return [unit, "gauge", "quantiles"];
  if (type === "info" || type === "stateset") return ["none", "gauge", null];
  return [unit, "gauge", null];
}
