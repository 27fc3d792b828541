import { LABEL_LIMITS, SERIES_NAME_MAX_LENGTH, labelsProblem, seriesKey, type Point, type SeriesMeta } from "@livedash/events";
import { ErrorList, quoteForError } from "../result";
import { checkFuture } from "../timestamp";
import { addAttributeLabels, emptyLabels, labelNameFor, resourceLabels, seriesNameFor } from "./attributes";
import type { CumulativeAdvance } from "./cumulative-state";
import { Emitter, PointRefused, type QuantileSuffixes } from "./emitter";
import { LabelTailCache } from "./label-tail-cache";
import { RawTailCache, scopeHash, type RawTail } from "./raw-tail-cache";
import { mapExponentialHistogram, mapHistogram } from "./map-histogram";
import { metricMeta } from "./metric-meta";
import { SeriesKeys } from "./series-keys";
import { quantileSuffix } from "./quantiles";
import {
  FLAG_NO_RECORDED_VALUE,
  TEMPORALITY_CUMULATIVE,
  TEMPORALITY_DELTA,
  type OtlpExportRequest,
  type OtlpExponentialHistogramPoint,
  type OtlpHistogramPoint,
  type OtlpKeyValue,
  type OtlpMetric,
  type OtlpNumberPoint,
  type OtlpSummaryPoint,
  type PointSeq,
} from "./model";

export interface OtlpMapOptions {
  /** Time of the request, epoch ms: the ts of points without time_unix_nano, and the base of maxFutureMs. */
  readonly nowMs: number;
  /** How far ahead of nowMs a point may lie (LIVEDASH_MAX_FUTURE_MS). */
  readonly maxFutureMs: number;
  /** Quantiles estimated from histogram buckets, each a series `<name>.p<100q>`. @default [0.5, 0.9, 0.99] */
  readonly quantiles?: readonly number[];
  /**
   * Most buckets one histogram data point may have: the server keeps the last bucket counts of each
   * cumulative histogram series, so this bounds that memory. @default 256
   */
  readonly maxBuckets?: number;
  /**
   * Points the request may become (LIVEDASH_MAX_POINTS_PER_REQUEST): the mapping stops at the first
   * data point that takes it past, and says `more`. @default Infinity
   */
  readonly maxPoints?: number;
}

export const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.9, 0.99];
export const DEFAULT_MAX_BUCKETS = 256;

/** The points of one OTLP request, and what was refused, counted in OTLP data points. */
export interface MappedRequest {
  readonly points: Point[];
  /** For each point, the ordinal (in request order) of the OTLP data point it came from. */
  readonly sources: number[];
  /** Unit, kind and description of each series name given points (metricMeta). */
  readonly meta: SeriesMeta[];
  /** OTLP data points in the request (flagged no-value ones included). */
  readonly dataPoints: number;
  /** OTLP data points refused (bad labels or name, too far in the future, non-finite values...). */
  readonly rejected: number;
  /** The reasons, at most MAX_REPORTED_ERRORS; `truncated` when there were more. */
  readonly errors: ErrorList<{ message: string }>;
  /** The request makes more than maxPoints points: the mapping stopped there (the rest is unread). */
  readonly more: boolean;
}

/**
 * Turns a decoded ExportMetricsServiceRequest into points (docs/ingest.md, "OpenTelemetry"):
 * - gauge: `<name>`, the value;
 * - sum: monotonic cumulative -> `<name>` as a per-second rate between samples (reset handling in
 *   CumulativeState); delta -> `<name>` as the value over its interval, per second; non-monotonic
 *   cumulative (an up-down counter) -> `<name>`, the value;
 * - histogram: `<name>.count` and `<name>.sum` per second, `<name>.p50/.p90/.p99` estimated from the
 *   buckets of the interval (the bucket increases for cumulative histograms);
 * - exponential histogram: the same series as a histogram, the quantiles from its exponential buckets;
 * - summary: `<name>.p<100q>` for each quantile, `<name>.count` and `<name>.sum` per second.
 * Labels: point attributes (keys as label names), then the resource's service/host/instance.
 * Not atomic, unlike the JSON and line-protocol bodies: OTLP answers partial success, so a refused
 * data point is counted and named and the others go on.
 */
export function mapExportRequest(
  request: OtlpExportRequest,
  state: CumulativeAdvance,
  opts: OtlpMapOptions,
  /** Label tails of recent attribute sets, kept across requests by the receiver. @default one for this request */
  tails: LabelTailCache<string | PointRefused> = new LabelTailCache(),
  /** The same by the attributes' protobuf bytes (rawBuf), kept by the receiver. @default one for this request */
  rawTails: RawTailCache = new RawTailCache(),
  /** Series keys interned across requests, kept by the receiver. @default one for this request */
  keys: SeriesKeys = new SeriesKeys(),
): MappedRequest {
  const quantiles = opts.quantiles ?? DEFAULT_QUANTILES;
  const quantileSuffixes = quantiles.map((q) => [q, `.${quantileSuffix(q)}`] as const);
  const maxBuckets = opts.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  const maxPoints = opts.maxPoints ?? Infinity;
  const points: Point[] = [];
  const sources: number[] = [];
  const errors = new ErrorList<{ message: string }>();
  let ordinal = -1;
  let rejected = 0;
  const out = new Emitter(points, sources);
  const meta = new Map<string, SeriesMeta>();
  let more = false;

  resources: for (let r = 0; r < request.resourceMetrics.length; r++) {
    const resource = request.resourceMetrics[r]!;
    const base = resourceLabels(resource.resource?.attributes);
    const baseProblem = labelsProblem(base);
    // The key tail of points without attributes, computed once per resource.
    const baseTail = baseProblem ? "" : seriesKey("", base);
    const seed = scopeHash(baseTail);
    for (let s = 0; s < resource.scopeMetrics.length; s++) {
      const metrics = resource.scopeMetrics[s]!.metrics;
      for (let m = 0; m < metrics.length; m++) {
        const metric = metrics[m]!;
        const where = `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`;
        const name = seriesNameFor(metric.name);
        const dataPoints = dataPointsOf(metric);
        if (dataPoints === null) {
          errors.push({ message: `${where} ${quoteForError(metric.name)}: no data of a known type (gauge, sum, histogram, exponentialHistogram, summary); skipped` });
          continue;
        }
        const metricProblem = name.length === 0 ? "metric name is empty" : name.length + maxSuffixLength(metric, quantiles) > SERIES_NAME_MAX_LENGTH
          ? `metric name is ${name.length} characters; with its suffixes a series name must stay within ${SERIES_NAME_MAX_LENGTH}`
          : baseProblem ? `resource attribute for label '${baseProblem[0]}': ${baseProblem[1]}` : null;
        const suffixes = new Set<string>();
        for (let p = 0; p < dataPoints.length; p++) {
          ordinal++;
          const dp = dataPoints.at(p)!;
          if ((dp.flags & FLAG_NO_RECORDED_VALUE) !== 0) continue;
          const before = points.length;
          try {
            if (metricProblem) throw new PointRefused(metricProblem);
            const raw = dp.rawBuf;
            const cached = raw !== undefined && dp.rawEnd! > dp.rawStart! ? rawLabelTail(dp, raw, seed, base, baseTail, rawTails) : null;
            const tail = cached !== null ? cached.tail : raw !== undefined || dp.attributes.length === 0 ? baseTail : cachedLabelTail(dp.attributes, base, baseTail, tails);
            if (tail instanceof PointRefused) throw tail;
            const ts = dp.timeUnixNano > 0 ? nanosToMs(dp.timeUnixNano) : opts.nowMs;
            // checkFuture builds its answer object; most points are not ahead, and need none.
            if (ts - opts.nowMs > opts.maxFutureMs) {
              const future = checkFuture(ts, opts);
              if (!future.ok) throw new PointRefused(`timeUnixNano: ${future.message}`);
            }
            out.name = name;
            out.tail = tail;
            // The run's entry remembers the last name's key: a metric's series come back every request.
            const key = cached === null ? keys.key(name, tail) : cached.lastName === name ? cached.lastKey : remember(cached, name, keys.key(name, tail));
            out.key = key;
            out.ts = ts;
            out.ordinal = ordinal;
            const skipped = out.nonFinite;
            out.suffixes.length = 0;
            mapDataPoint(metric, dp, key, out, state, quantileSuffixes, maxBuckets);
            for (const suffix of out.suffixes) suffixes.add(suffix);
            // Nothing but non-finite values: refused, named once in the summary below.
            if (points.length === before && out.nonFinite > skipped) rejected++;
          } catch (error) {
            if (!(error instanceof PointRefused)) throw error;
            // A point refused half-way (a bad bucket layout after its count) keeps nothing.
            points.length = before;
            sources.length = before;
            rejected++;
            errors.push({ message: `${where} ${quoteForError(metric.name)} dataPoints[${p}]: ${error.message}` });
          }
          if (points.length > maxPoints) {
            // The request is refused whole: the rest is not worth mapping.
            more = true;
            break resources;
          }
        }
        // Described only under the names that got points: a name with none would be an empty catalog entry.
        for (const entry of metricMeta(metric, name, suffixes)) meta.set(entry.series, entry);
      }
    }
  }
  const { nonFinite } = out;
  if (nonFinite > 0) errors.push({ message: `${nonFinite} non-finite values (NaN, ±Infinity) were skipped; data points with no other value were rejected` });
  return { points, sources, meta: [...meta.values()], dataPoints: ordinal + 1, rejected, errors, more };
}

/**
 * Epoch ns (as the nearest double, up to 256 ns off today) to whole ms. Through whole µs first: a
 * double just below `...002000000` divided by 1e6 is `...001.9998` and would floor a ms too early.
 */
function nanosToMs(ns: number): number {
  return Math.floor(Math.round(ns / 1e3) / 1e3);
}

type DataPoint = OtlpNumberPoint | OtlpHistogramPoint | OtlpExponentialHistogramPoint | OtlpSummaryPoint;

function dataPointsOf(metric: OtlpMetric): PointSeq<DataPoint> | null {
  return metric.gauge?.dataPoints ?? metric.sum?.dataPoints ?? metric.histogram?.dataPoints ?? metric.exponentialHistogram?.dataPoints ?? metric.summary?.dataPoints ?? null;
}

function maxSuffixLength(metric: OtlpMetric, quantiles: readonly number[]): number {
  if (metric.gauge || metric.sum) return 0;
  let longest = ".count".length;
  if (metric.histogram || metric.exponentialHistogram) for (const q of quantiles) longest = Math.max(longest, quantileSuffix(q).length + 1);
  if (metric.summary) longest = Math.max(longest, "p99.9999".length + 1);
  return longest;
}

/** labelTail through the cache: the same attribute set under the same resource has the same tail (or refusal). */
function cachedLabelTail(attributes: readonly OtlpKeyValue[], base: Record<string, string>, baseTail: string, tails: LabelTailCache<string | PointRefused>): string {
  const key = tails.keyOf(baseTail, attributes);
  let tail = key === null ? undefined : tails.get(key);
  if (tail === undefined) {
    tail = refusalOr(() => labelTail(attributes, base));
    if (key !== null) tails.set(key, tail);
  }
  if (tail instanceof PointRefused) throw tail;
  return tail;
}

/**
 * labelTail through the cache by the attributes' wire bytes, read in place: the same bytes under the
 * same resource (`seed` is scopeHash(baseTail)) have the same tail (or refusal). The bytes decide every
 * value, so non-string ones are cached too. A separate cache from cachedLabelTail's, keyed another way.
 */
function rawLabelTail(
  dp: { readonly attributes: readonly OtlpKeyValue[]; readonly rawStart?: number; readonly rawEnd?: number },
  raw: Uint8Array,
  seed: number,
  base: Record<string, string>,
  baseTail: string,
  tails: RawTailCache,
): RawTail {
  const start = dp.rawStart!;
  const end = dp.rawEnd!;
  const hash = RawTailCache.hash(seed, raw, start, end);
  return tails.get(hash, baseTail, raw, start, end) ?? tails.set(hash, baseTail, raw, start, end, refusalOr(() => labelTail(dp.attributes, base)));
}

function remember(entry: RawTail, name: string, key: string): string {
  entry.lastName = name;
  entry.lastKey = key;
  return key;
}

/** What `make` answers, or the PointRefused it threw (cached like an answer). */
function refusalOr(make: () => string): string | PointRefused {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof PointRefused)) throw error;
    return error;
  }
}

/** `{a="x",...}` of a point: its attributes, then the resource's labels (which win a clash). */
function labelTail(attributes: readonly OtlpKeyValue[], base: Record<string, string>): string {
  const labels = emptyLabels();
  addAttributeLabels(labels, attributes);
  for (const name in base) labels[name] = base[name]!;
  const problem = labelsProblem(labels);
  if (problem) {
    const [label, message] = problem;
    const attribute = attributes.find((a) => labelNameFor(a.key) === label);
    const origin = attribute ? `attribute ${quoteForError(attribute.key)} (label '${label}')` : label ? `label '${label}'` : "attributes";
    throw new PointRefused(`${origin}: ${message}`);
  }
  const tail = seriesKey("", labels);
  if (tail.length > LABEL_LIMITS.keyLength - SERIES_NAME_MAX_LENGTH) {
    throw new PointRefused(`attributes make a series key of ${tail.length} characters (limit ${LABEL_LIMITS.keyLength} with the name)`);
  }
  return tail;
}

function mapDataPoint(metric: OtlpMetric, dp: DataPoint, stateKey: string, emit: Emitter, state: CumulativeAdvance, quantiles: QuantileSuffixes, maxBuckets: number): void {
  if (metric.gauge) return emit.emit("", numberValue(dp));
  if (metric.sum) {
    const value = numberValue(dp);
    const temporality = metric.sum.aggregationTemporality;
    if (temporality === TEMPORALITY_DELTA) return emit.emit("", value / windowSeconds(dp, "a delta sum"));
    if (temporality !== TEMPORALITY_CUMULATIVE) throw new PointRefused(`aggregationTemporality ${temporality} is neither delta (1) nor cumulative (2)`);
    if (!metric.sum.isMonotonic) return emit.emit("", value);
    if (!Number.isFinite(value)) return emit.emit("", value);
    const step = state.advance(stateKey, { startNs: dp.startTimeUnixNano, timeNs: dp.timeUnixNano, total: value });
    if (step.kind === "interval") emit.emit("", (value - (step.prev?.total ?? 0)) / step.seconds);
    return;
  }
  if (metric.histogram) return mapHistogram(dp as OtlpHistogramPoint, { temporality: metric.histogram.aggregationTemporality, stateKey, emit, state, quantiles, maxBuckets });
  if (metric.exponentialHistogram) {
    return mapExponentialHistogram(dp as OtlpExponentialHistogramPoint, { temporality: metric.exponentialHistogram.aggregationTemporality, stateKey, emit, state, quantiles, maxBuckets });
  }
  const summary = dp as OtlpSummaryPoint;
  for (const { quantile, value } of summary.quantileValues) {
    if (!(quantile >= 0 && quantile <= 1)) throw new PointRefused(`quantile ${quantile} is outside [0, 1]`);
    emit.emit(`.${quantileSuffix(quantile)}`, value);
  }
  // Summaries are cumulative by definition (the proto says so).
  mapCountSum(summary, TEMPORALITY_CUMULATIVE, stateKey, emit, state);
}

function numberValue(dp: OtlpNumberPoint): number {
  if (dp.asDouble != null) return dp.asDouble;
  if (dp.asInt != null) return dp.asInt;
  throw new PointRefused("no value (asDouble or asInt)");
}

/** The seconds a delta point covers; refused when its start time does not tell. */
function windowSeconds(dp: DataPoint, what: string): number {
  if (dp.startTimeUnixNano > 0 && dp.timeUnixNano > dp.startTimeUnixNano) return (dp.timeUnixNano - dp.startTimeUnixNano) / 1e9;
  throw new PointRefused(`${what} needs startTimeUnixNano before timeUnixNano to become a per-second rate`);
}

/** `.count` and `.sum` per second of a summary (its quantiles come as values). */
function mapCountSum(dp: OtlpSummaryPoint, temporality: number, stateKey: string, emit: Emitter, state: CumulativeAdvance): void {
  const sum = dp.sum ?? undefined;
  if (temporality === TEMPORALITY_DELTA) {
    const seconds = windowSeconds(dp, "a delta summary");
    emit.emit(".count", dp.count / seconds);
    if (sum !== undefined) emit.emit(".sum", sum / seconds);
    return;
  }
  if (temporality !== TEMPORALITY_CUMULATIVE) throw new PointRefused(`aggregationTemporality ${temporality} is neither delta (1) nor cumulative (2)`);
  const step = state.advance(stateKey, { startNs: dp.startTimeUnixNano, timeNs: dp.timeUnixNano, total: dp.count, sum });
  if (step.kind === "none") return;
  emit.emit(".count", (dp.count - (step.prev?.total ?? 0)) / step.seconds);
  if (sum !== undefined) emit.emit(".sum", (sum - (step.prev?.sum ?? 0)) / step.seconds);
}
