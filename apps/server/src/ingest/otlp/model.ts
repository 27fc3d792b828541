/**
 * The part of an OTLP `ExportMetricsServiceRequest` the mapping reads, in the field names both
 * decoders produce: the protobuf decoder (generated from the vendored opentelemetry-proto by
 * protobufjs, see scripts/gen-otlp-proto.sh) and the JSON decoder (OTLP's JSON mapping, camelCase).
 *
 * 64-bit integers arrive as JavaScript numbers: nanosecond timestamps lose sub-microsecond digits
 * (2^53 ns is 104 days, so a 2024 timestamp keeps ~256 ns), which a millisecond store never sees,
 * and counts above 2^53 become the nearest double (unsigned ones are read as unsigned: 2^63 stays 2^63).
 * Absent optional values and unset oneof members are `null` or `undefined`.
 */

export interface OtlpAnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: number | null;
  doubleValue?: number | null;
  arrayValue?: { values: readonly OtlpAnyValue[] } | null;
  kvlistValue?: { values: readonly OtlpKeyValue[] } | null;
  bytesValue?: Uint8Array | null;
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue | null;
}

interface OtlpPointBase {
  attributes: readonly OtlpKeyValue[];
  /** 0 when the producer did not set it. */
  startTimeUnixNano: number;
  /** 0 when the producer did not set it (the point then takes the request's time). */
  timeUnixNano: number;
  /** Bit 0: FLAG_NO_RECORDED_VALUE (a staleness marker, no value). */
  flags: number;
  /**
   * Where the attributes' protobuf bytes are, from the Reader-based decoder (decode-reader.ts):
   * rawBuf[rawStart, rawEnd), empty for none; rawBuf absent when they were not one run of at most 1 KiB
   * (or from JSON). The mapping looks the label tail up by those bytes before decoding `attributes`.
   */
  rawBuf?: Uint8Array | undefined;
  rawStart?: number;
  rawEnd?: number;
}

export interface OtlpNumberPoint extends OtlpPointBase {
  asDouble?: number | null;
  asInt?: number | null;
}

export interface OtlpHistogramPoint extends OtlpPointBase {
  count: number;
  sum?: number | null;
  bucketCounts: readonly number[];
  explicitBounds: readonly number[];
  min?: number | null;
  max?: number | null;
}

export interface OtlpExponentialBuckets {
  offset: number;
  bucketCounts: readonly number[];
}

export interface OtlpExponentialHistogramPoint extends OtlpPointBase {
  count: number;
  sum?: number | null;
  scale: number;
  zeroCount: number;
  /** Observations with |x| <= zeroThreshold are in zeroCount; 0 (or absent) when only exact zeros are. */
  zeroThreshold?: number | null;
  positive?: OtlpExponentialBuckets | null;
  negative?: OtlpExponentialBuckets | null;
  min?: number | null;
  max?: number | null;
}

export interface OtlpSummaryPoint extends OtlpPointBase {
  count: number;
  sum: number;
  quantileValues: readonly { quantile: number; value: number }[];
}

/** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export const TEMPORALITY_DELTA = 1;
export const TEMPORALITY_CUMULATIVE = 2;
/** DataPointFlags.FLAG_NO_RECORDED_VALUE_MASK */
export const FLAG_NO_RECORDED_VALUE = 1;

/**
 * Data points as the mapping reads them, by index: an array, or the Reader-based decoder's list that
 * reads each when asked (NumberPointList: at() answers the same object every call, valid until the next).
 */
export interface PointSeq<T> {
  readonly length: number;
  at(index: number): T | undefined;
}

export interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  gauge?: { dataPoints: PointSeq<OtlpNumberPoint> } | null;
  sum?: { dataPoints: PointSeq<OtlpNumberPoint>; aggregationTemporality: number; isMonotonic: boolean } | null;
  histogram?: { dataPoints: readonly OtlpHistogramPoint[]; aggregationTemporality: number } | null;
  exponentialHistogram?: { dataPoints: readonly OtlpExponentialHistogramPoint[]; aggregationTemporality: number } | null;
  summary?: { dataPoints: readonly OtlpSummaryPoint[] } | null;
}

export interface OtlpResourceMetrics {
  resource?: { attributes: readonly OtlpKeyValue[] } | null;
  scopeMetrics: readonly { metrics: readonly OtlpMetric[] }[];
}

export interface OtlpExportRequest {
  resourceMetrics: readonly OtlpResourceMetrics[];
}
