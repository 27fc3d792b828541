import protobuf from "protobufjs/minimal.js";
import type { Point } from "@livedash/events";
import { LABEL_LIMITS } from "@livedash/events";
import { ErrorList } from "../result";
import type { PathError } from "../result";
import { checkFuture } from "../timestamp";
import { METRIC_NAME_LABEL, prometheusSeriesKey } from "../prometheus-series";
import { decodeMetricMetadata, type FamilyMetadata } from "./metadata";
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, isWireError, readInt64, skip, subEnd } from "../protobuf-wire";

/** Metadata entries kept from one request (Prometheus sends at most 500 per request by default). */
const MAX_METADATA = 10_000;

/*
 * A decoder for prometheus.WriteRequest (remote_write 1.0), field numbers from prompb/remote.proto and
 * prompb/types.proto (vendored in ./proto for reference; the tests encode with them). Written against
 * protobufjs' Reader rather than a generated decoder so a sample costs no object: labels go straight
 * into a key and a sample straight into a Point, and timestamps are read as plain numbers instead of
 * the Long objects protobufjs builds for int64.
 */


/** A valid key's labels on the wire: its text plus a few bytes of tags and lengths per label. */
const MAX_CACHED_LABEL_BYTES = LABEL_LIMITS.keyLength + 8 * LABEL_LIMITS.labelsPerSeries;

/** What the decoder left out on purpose; counted so /metrics can show it. */
export interface RemoteWriteSkipped {
  /** NaN samples other than staleness markers (Prometheus' own metrics have some). */
  nan: number;
  /** Prometheus staleness markers (NaN with bits 0x7ff0000000000002): a series ended, no value. */
  stale: number;
  /** +Inf/-Inf samples: a Livedash point holds a finite value. */
  infinite: number;
  /** Native histogram samples (a remote_write 1.0 extension Livedash does not store). */
  histograms: number;
  /** Metric metadata entries (TYPE/HELP/UNIT per metric family): not points, but used for descriptions. */
  metadata: number;
}

export type RemoteWriteDecodeResult =
  | { ok: true; points: Point[]; skipped: RemoteWriteSkipped; metadata: FamilyMetadata[]; more: boolean }
  | { ok: false; errors: PathError[]; truncated: boolean };

export interface RemoteWriteDecodeOptions {
  nowMs: number;
  maxFutureMs: number;
  /** Stop once the request is known to hold more points than this (the service answers 413). */
  stopAfterPoints: number;
  /** Keys of series seen in earlier requests (the receiver keeps one). */
  keyCache?: SeriesKeyCache;
}

/** Little-endian bits of a stale marker; only this NaN payload means "series ended". */
const STALE_HI = 0x7ff0_0000;
const STALE_LO = 0x0000_0002;

function uint32At(buf: Uint8Array, at: number): number {
  return (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0;
}

/**
 * Decodes a WriteRequest into points. A batch is atomic as every Livedash ingest: a series with a bad
 * name or label fails the request (400) with errors naming `timeseries[i]` and the label. NaN,
 * staleness markers, infinities, native histograms and metadata are skipped and counted.
 */
export function decodeWriteRequest(bytes: Buffer, options: RemoteWriteDecodeOptions): RemoteWriteDecodeResult {
  const r = protobuf.Reader.create(bytes);
  const points: Point[] = [];
  const skipped: RemoteWriteSkipped = { nan: 0, stale: 0, infinite: 0, histograms: 0, metadata: 0 };
  const metadata: FamilyMetadata[] = [];
  const errors = new ErrorList<PathError>();
  const limits = { nowMs: options.nowMs, maxFutureMs: options.maxFutureMs };
  let index = 0;
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 1 && (tag & 7) === WIRE_LEN) {
        const end = subEnd(r, r.len);
        decodeTimeSeries(r, bytes, end, `timeseries[${index}]`, points, skipped, errors, limits, options.keyCache);
        r.pos = end;
        index++;
        if (errors.full) break;
        if (points.length > options.stopAfterPoints) return { ok: true, points, skipped, metadata, more: true };
      } else {
        if (field === 3 && (tag & 7) === WIRE_LEN) {
          const end = subEnd(r, r.len);
          const entry = decodeMetricMetadata(r, end);
          if (entry !== null && metadata.length < MAX_METADATA) metadata.push(entry);
          r.pos = end;
          skipped.metadata++;
        } else skip(r, tag, r.len);
      }
    }
  } catch (error) {
    // protobufjs' Reader throws RangeError past the end of its buffer.
    if (!isWireError(error)) throw error;
    errors.push({ path: "body", message: `body: not a valid protobuf prometheus.WriteRequest (${error.message})` });
  }
  if (!errors.empty) return { ok: false, errors: errors.items, truncated: errors.truncated };
  return { ok: true, points, skipped, metadata, more: false };
}

/**
 * Validated keys by the raw bytes of a series' labels. A sender repeats the same series in every
 * request, so a hit skips the UTF-8 decoding, the validation, the sort and the key building: one Map
 * lookup on a latin1 view of bytes already in memory. Only valid keys are cached, so every error is
 * still found and reported; the map is emptied when full, which bounds it whatever a sender sends.
 */
export interface SeriesKeyCache {
  readonly map: Map<string, string>;
  readonly maxEntries: number;
}

/** @param maxEntries @default 50_000 (a few MB of label bytes and keys at most) */
export function createSeriesKeyCache(maxEntries = 50_000): SeriesKeyCache {
  return { map: new Map(), maxEntries };
}

/** The key of the labels in `[start, end)` (every label field of one TimeSeries), or null with the error pushed. */
function keyFromLabels(r: protobuf.Reader, start: number, end: number, path: string, errors: ErrorList<PathError>): string | null {
  let name: string | undefined;
  // No prototype: `__proto__` is a plain key here, refused as reserved like any other `__` name.
  const labels = Object.create(null) as Record<string, string>;
  r.pos = start;
  while (r.pos < end) {
    const tag = r.uint32();
    if (!(tag >>> 3 === 1 && (tag & 7) === WIRE_LEN)) {
      skip(r, tag, end);
      continue;
    }
    const labelEnd = subEnd(r, end);
    let labelName = "";
    let value = "";
    while (r.pos < labelEnd) {
      const labelTag = r.uint32();
      if (labelTag >>> 3 === 1 && (labelTag & 7) === WIRE_LEN) labelName = r.string();
      else if (labelTag >>> 3 === 2 && (labelTag & 7) === WIRE_LEN) value = r.string();
      else skip(r, labelTag, labelEnd);
    }
    r.pos = labelEnd;
    if (labelName === METRIC_NAME_LABEL ? name !== undefined : Object.hasOwn(labels, labelName)) {
      errors.push({ path: `${path}.labels.${labelName}`, message: `${path}: label ${labelName} appears twice` });
      return null;
    }
    if (labelName === METRIC_NAME_LABEL) name = value;
    else labels[labelName] = value;
  }
  if (name === undefined) {
    errors.push({ path: `${path}.labels.${METRIC_NAME_LABEL}`, message: `${path}: label ${METRIC_NAME_LABEL} (the metric name) is missing` });
    return null;
  }
  const key = prometheusSeriesKey(name, labels);
  if (!key.ok) {
    const where = key.label ? `${path}.labels.${key.label}` : `${path}.labels`;
    errors.push({ path: where, message: `${where}: ${key.message}` });
    return null;
  }
  return key.key;
}

function decodeTimeSeries(
  r: protobuf.Reader,
  bytes: Buffer,
  end: number,
  path: string,
  points: Point[],
  skipped: RemoteWriteSkipped,
  errors: ErrorList<PathError>,
  limits: { nowMs: number; maxFutureMs: number },
  cache: SeriesKeyCache | undefined,
): void {
  const start = r.pos;
  // First pass: where the labels and samples are, without decoding either. Labels written in one run
  // (as every sender does) are one byte range, the cache's key.
  let firstLabel = -1;
  let lastLabelEnd = -1;
  let oneRun = true;
  let otherSinceLabel = false;
  const sampleStarts: number[] = [];
  const sampleEnds: number[] = [];
  while (r.pos < end) {
    const tagPos = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === WIRE_LEN) {
      const labelEnd = subEnd(r, end);
      if (firstLabel === -1) firstLabel = tagPos;
      else if (otherSinceLabel) oneRun = false;
      lastLabelEnd = labelEnd;
      r.pos = labelEnd;
      continue;
    }
    if (firstLabel !== -1) otherSinceLabel = true;
    if (field === 2 && (tag & 7) === WIRE_LEN) {
      const sampleEnd = subEnd(r, end);
      sampleStarts.push(r.pos);
      sampleEnds.push(sampleEnd);
      r.pos = sampleEnd;
    } else {
      if (field === 4) skipped.histograms++;
      skip(r, tag, end);
    }
  }
  // Only label bytes a valid key can need are cached: unknown fields padding a Label would
  // otherwise make one small series hold up to a body's size in the cache per entry.
  const cacheable = cache && oneRun && firstLabel !== -1 && lastLabelEnd - firstLabel <= MAX_CACHED_LABEL_BYTES;
  const cacheKey = cacheable ? bytes.toString("latin1", firstLabel, lastLabelEnd) : null;
  let key = cacheKey === null ? undefined : cache!.map.get(cacheKey);
  if (key === undefined) {
    const made = keyFromLabels(r, start, end, path, errors);
    if (made === null) return;
    key = made;
    if (cacheKey !== null) {
      if (cache!.map.size >= cache!.maxEntries) cache!.map.clear();
      cache!.map.set(cacheKey, key);
    }
  }
  for (let i = 0; i < sampleStarts.length; i++) {
    r.pos = sampleStarts[i]!;
    const sampleEnd = sampleEnds[i]!;
    let value = 0;
    let ts = 0;
    let stale = false;
    while (r.pos < sampleEnd) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === WIRE_FIXED64) {
        const at = r.pos;
        value = r.double();
        if (Number.isNaN(value)) stale = uint32At(r.buf, at + 4) === STALE_HI && uint32At(r.buf, at) === STALE_LO;
      } else if (tag >>> 3 === 2 && (tag & 7) === WIRE_VARINT) {
        ts = readInt64(r);
      } else {
        skip(r, tag, sampleEnd);
      }
    }
    if (Number.isNaN(value)) {
      if (stale) skipped.stale++;
      else skipped.nan++;
      continue;
    }
    if (!Number.isFinite(value)) {
      skipped.infinite++;
      continue;
    }
    if (ts < 0) {
      errors.push({ path: `${path}.samples[${i}].timestamp`, message: `${path}.samples[${i}].timestamp: ${ts} is before 1970 (negative timestamps are not supported)` });
      return;
    }
    const future = checkFuture(ts, limits);
    if (!future.ok) {
      errors.push({ path: `${path}.samples[${i}].timestamp`, message: `${path}.samples[${i}].timestamp: ${future.message}` });
      return;
    }
    points.push({ series: key, ts, value });
  }
}
