import { OtlpDecodeError } from "./decode-proto";
import { PointBudget } from "./point-budget";
import type {
  OtlpAnyValue,
  OtlpExponentialBuckets,
  OtlpExportRequest,
  OtlpHistogramPoint,
  OtlpKeyValue,
  OtlpMetric,
  OtlpNumberPoint,
  OtlpResourceMetrics,
  OtlpSummaryPoint,
  OtlpExponentialHistogramPoint,
} from "./model";

/**
 * Decodes an `application/json` ExportMetricsServiceRequest: OTLP's JSON mapping, which is proto3's
 * JSON mapping with lowerCamelCase keys (the original snake_case names are accepted too, as proto3
 * parsers must), 64-bit integers as decimal strings or numbers, enums as integers or their names,
 * doubles as numbers or "NaN"/"Infinity"/"-Infinity", bytes in base64; unknown keys are ignored (the
 * OTLP spec requires it). A value of the wrong type is a 400 naming its path. PointLimitPassed at the
 * first array of data points that passes `maxDataPoints` in all, before any of its points is read
 * (JSON.parse has read the whole body by then: it is native and linear, the model is not).
 */
export function decodeJsonRequest(body: string, maxDataPoints = Infinity): OtlpExportRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new OtlpDecodeError(`body: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const root = object(parsed, "body") ?? {};
  const budget = new PointBudget(maxDataPoints);
  const list = field(root, "resourceMetrics", "resource_metrics");
  if (Array.isArray(list)) budget.takeEntries(list.length);
  return { resourceMetrics: array(list, "resourceMetrics", (v, p) => resourceMetrics(v, p, budget)) };
}

type Json = Record<string, unknown>;

function field(o: Json, camel: string, snake?: string): unknown {
  const value = o[camel];
  return value !== undefined || snake === undefined ? value : o[snake];
}

function fail(path: string, message: string): never {
  throw new OtlpDecodeError(`${path}: ${message}`);
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

function object(value: unknown, path: string): Json | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) fail(path, `must be an object (got ${describe(value)})`);
  return value as Json;
}

function array<T>(value: unknown, path: string, item: (value: unknown, path: string) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, `must be an array (got ${describe(value)})`);
  const out = new Array<T>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = item(value[i], `${path}[${i}]`);
  return out;
}

function string(value: unknown, path: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") fail(path, `must be a string (got ${describe(value)})`);
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") fail(path, `must be true or false (got ${describe(value)})`);
  return value;
}

const INTEGER_TEXT = /^-?\d{1,20}$/;
const UNSIGNED_TEXT = /^\d{1,20}$/;

/** A JSON number or a decimal string matching `text`, at least `min`; else a 400 saying `expected`. */
function integerOf(value: unknown, path: string, text: RegExp, min: number, expected: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === "number" && Number.isInteger(value) && value >= min) return value;
  if (typeof value === "string" && text.test(value)) return Number(value);
  return fail(path, `must be ${expected} (got ${typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : describe(value)})`);
}

/** int64 and the signed 32-bit integers (offsets, scale, enums): a JSON number or a decimal string. */
function integer(value: unknown, path: string): number {
  return integerOf(value, path, INTEGER_TEXT, -Infinity, "an integer or a decimal string");
}

/** uint64/fixed64 (timestamps, counts, bucket counts) and flags: never negative. */
function unsigned(value: unknown, path: string): number {
  return integerOf(value, path, UNSIGNED_TEXT, 0, "an integer >= 0 (uint64) or a decimal string");
}

const SPECIAL_DOUBLES: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

function double(value: unknown, path: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const special = Object.hasOwn(SPECIAL_DOUBLES, value) ? SPECIAL_DOUBLES[value] : undefined;
    if (special !== undefined) return special;
    const parsed = value.trim() === "" ? NaN : Number(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return fail(path, `must be a number (got ${describe(value)})`);
}

function optionalDouble(value: unknown, path: string): number | null {
  return value === undefined || value === null ? null : double(value, path);
}

const TEMPORALITIES: Readonly<Record<string, number>> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function temporality(value: unknown, path: string): number {
  if (typeof value === "string" && Object.hasOwn(TEMPORALITIES, value)) return TEMPORALITIES[value]!;
  return integer(value, path);
}

/** Nesting allowed inside one attribute value (arrays and key-value lists). */
const MAX_ANY_VALUE_DEPTH = 32;

function anyValue(value: unknown, path: string, depth = 0): OtlpAnyValue | null {
  const o = object(value, path);
  if (o === null) return null;
  if (depth > MAX_ANY_VALUE_DEPTH) fail(path, `attribute values nest deeper than ${MAX_ANY_VALUE_DEPTH} levels`);
  const out: OtlpAnyValue = {};
  if (o.stringValue !== undefined || o.string_value !== undefined) out.stringValue = string(field(o, "stringValue", "string_value"), `${path}.stringValue`);
  else if (o.boolValue !== undefined || o.bool_value !== undefined) out.boolValue = boolean(field(o, "boolValue", "bool_value"), `${path}.boolValue`);
  else if (o.intValue !== undefined || o.int_value !== undefined) out.intValue = integer(field(o, "intValue", "int_value"), `${path}.intValue`);
  else if (o.doubleValue !== undefined || o.double_value !== undefined) out.doubleValue = double(field(o, "doubleValue", "double_value"), `${path}.doubleValue`);
  else if (o.bytesValue !== undefined || o.bytes_value !== undefined) out.bytesValue = Buffer.from(string(field(o, "bytesValue", "bytes_value"), `${path}.bytesValue`), "base64");
  else if (o.arrayValue !== undefined || o.array_value !== undefined) {
    const list = object(field(o, "arrayValue", "array_value"), `${path}.arrayValue`) ?? {};
    out.arrayValue = { values: array(list.values, `${path}.arrayValue.values`, (v, p) => anyValue(v, p, depth + 1) ?? {}) };
  } else if (o.kvlistValue !== undefined || o.kvlist_value !== undefined) {
    const list = object(field(o, "kvlistValue", "kvlist_value"), `${path}.kvlistValue`) ?? {};
    out.kvlistValue = { values: array(list.values, `${path}.kvlistValue.values`, (v, p) => keyValue(v, p, depth + 1)) };
  }
  return out;
}

function keyValue(value: unknown, path: string, depth = 0): OtlpKeyValue {
  const o = object(value, path) ?? {};
  return { key: string(o.key, `${path}.key`), value: anyValue(o.value, `${path}.value`, depth) };
}

function attributes(o: Json, path: string): OtlpKeyValue[] {
  return array(o.attributes, `${path}.attributes`, (v, p) => keyValue(v, p));
}

function pointBase(o: Json, path: string) {
  return {
    attributes: attributes(o, path),
    startTimeUnixNano: unsigned(field(o, "startTimeUnixNano", "start_time_unix_nano"), `${path}.startTimeUnixNano`),
    timeUnixNano: unsigned(field(o, "timeUnixNano", "time_unix_nano"), `${path}.timeUnixNano`),
    flags: unsigned(o.flags, `${path}.flags`),
  };
}

function numberPoint(value: unknown, path: string): OtlpNumberPoint {
  const o = object(value, path) ?? {};
  return {
    ...pointBase(o, path),
    asDouble: optionalDouble(field(o, "asDouble", "as_double"), `${path}.asDouble`),
    asInt: field(o, "asInt", "as_int") == null ? null : integer(field(o, "asInt", "as_int"), `${path}.asInt`),
  };
}

function histogramPoint(value: unknown, path: string): OtlpHistogramPoint {
  const o = object(value, path) ?? {};
  return {
    ...pointBase(o, path),
    count: unsigned(o.count, `${path}.count`),
    sum: optionalDouble(o.sum, `${path}.sum`),
    bucketCounts: array(field(o, "bucketCounts", "bucket_counts"), `${path}.bucketCounts`, unsigned),
    explicitBounds: array(field(o, "explicitBounds", "explicit_bounds"), `${path}.explicitBounds`, double),
    min: optionalDouble(o.min, `${path}.min`),
    max: optionalDouble(o.max, `${path}.max`),
  };
}

function buckets(value: unknown, path: string): OtlpExponentialBuckets | null {
  const o = object(value, path);
  if (o === null) return null;
  return { offset: integer(o.offset, `${path}.offset`), bucketCounts: array(field(o, "bucketCounts", "bucket_counts"), `${path}.bucketCounts`, unsigned) };
}

function exponentialPoint(value: unknown, path: string): OtlpExponentialHistogramPoint {
  const o = object(value, path) ?? {};
  return {
    ...pointBase(o, path),
    count: unsigned(o.count, `${path}.count`),
    sum: optionalDouble(o.sum, `${path}.sum`),
    scale: integer(o.scale, `${path}.scale`),
    zeroCount: unsigned(field(o, "zeroCount", "zero_count"), `${path}.zeroCount`),
    zeroThreshold: optionalDouble(field(o, "zeroThreshold", "zero_threshold"), `${path}.zeroThreshold`),
    positive: buckets(o.positive, `${path}.positive`),
    negative: buckets(o.negative, `${path}.negative`),
    min: optionalDouble(o.min, `${path}.min`),
    max: optionalDouble(o.max, `${path}.max`),
  };
}

function summaryPoint(value: unknown, path: string, budget: PointBudget): OtlpSummaryPoint {
  const o = object(value, path) ?? {};
  const quantileValues = field(o, "quantileValues", "quantile_values");
  // Each quantile value becomes a point.
  if (Array.isArray(quantileValues)) budget.take(quantileValues.length);
  return {
    ...pointBase(o, path),
    count: unsigned(o.count, `${path}.count`),
    sum: optionalDouble(o.sum, `${path}.sum`) ?? 0,
    quantileValues: array(quantileValues, `${path}.quantileValues`, (v, p) => {
      const q = object(v, p) ?? {};
      return { quantile: optionalDouble(q.quantile, `${p}.quantile`) ?? 0, value: optionalDouble(q.value, `${p}.value`) ?? 0 };
    }),
  };
}

function metric(value: unknown, path: string, budget: PointBudget): OtlpMetric {
  const o = object(value, path) ?? {};
  const out: OtlpMetric = { name: string(o.name, `${path}.name`), description: string(o.description, `${path}.description`), unit: string(o.unit, `${path}.unit`) };
  const data = (key: string, snake?: string) => {
    const p = `${path}.${key}`;
    const d = object(field(o, key, snake), p);
    if (d === null) return null;
    return { d, p, temporality: temporality(field(d, "aggregationTemporality", "aggregation_temporality"), `${p}.aggregationTemporality`) };
  };
  const dataPoints = <T>(d: Json, p: string, item: (value: unknown, path: string) => T) => {
    const list = field(d, "dataPoints", "data_points");
    // Counted before any is read: points past the limit cost nothing more.
    if (Array.isArray(list)) budget.take(list.length);
    return array(list, `${p}.dataPoints`, item);
  };
  let x;
  if ((x = data("gauge"))) out.gauge = { dataPoints: dataPoints(x.d, x.p, numberPoint) };
  else if ((x = data("sum"))) {
    out.sum = {
      dataPoints: dataPoints(x.d, x.p, numberPoint),
      aggregationTemporality: x.temporality,
      isMonotonic: boolean(field(x.d, "isMonotonic", "is_monotonic"), `${x.p}.isMonotonic`),
    };
  } else if ((x = data("histogram"))) out.histogram = { dataPoints: dataPoints(x.d, x.p, histogramPoint), aggregationTemporality: x.temporality };
  else if ((x = data("exponentialHistogram", "exponential_histogram"))) {
    out.exponentialHistogram = { dataPoints: dataPoints(x.d, x.p, exponentialPoint), aggregationTemporality: x.temporality };
  } else if ((x = data("summary"))) out.summary = { dataPoints: dataPoints(x.d, x.p, (v, p) => summaryPoint(v, p, budget)) };
  return out;
}

function resourceMetrics(value: unknown, path: string, budget: PointBudget): OtlpResourceMetrics {
  const o = object(value, path) ?? {};
  const resource = object(o.resource, `${path}.resource`);
  // Entries are counted before an array is walked: its items cost a path string each even when empty.
  if (resource !== null && Array.isArray(resource.attributes)) budget.takeEntries(resource.attributes.length);
  const scopes = field(o, "scopeMetrics", "scope_metrics");
  if (Array.isArray(scopes)) budget.takeEntries(scopes.length);
  return {
    resource: resource === null ? null : { attributes: attributes(resource, `${path}.resource`) },
    scopeMetrics: array(scopes, `${path}.scopeMetrics`, (v, p) => {
      const scope = object(v, p) ?? {};
      if (Array.isArray(scope.metrics)) budget.takeEntries(scope.metrics.length);
      return { metrics: array(scope.metrics, `${p}.metrics`, (m, mp) => metric(m, mp, budget)) };
    }),
  };
}
