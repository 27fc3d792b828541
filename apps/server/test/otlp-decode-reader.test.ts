import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CumulativeState } from "../src/ingest/otlp/cumulative-state";
import { OtlpDecodeError, decodeProtobufRequest, decodeWithGeneratedCode, decodingLazily } from "../src/ingest/otlp/decode-proto";
import { opentelemetry } from "../src/ingest/otlp/generated/otlp-metrics.js";
import { RawTailCache, scopeHash } from "../src/ingest/otlp/raw-tail-cache";
import { mapExportRequest } from "../src/ingest/otlp/map-request";
import type { OtlpAnyValue, OtlpExportRequest, OtlpKeyValue, OtlpMetric, PointSeq } from "../src/ingest/otlp/model";

const { ExportMetricsServiceRequest } = opentelemetry.proto.collector.metrics.v1;

const NOW_NS = 1_700_000_000_000 * 1e6;
/** A few seconds alone; a loaded shared machine took 17 s for the 500 runs (vitest's default is 5 s). */
const PROPERTY_BUDGET_MS = 60_000;
const opts = { nowMs: NOW_NS / 1e6 + 60_000, maxFutureMs: 300_000 };

/** Own properties only: the generated classes keep their defaults on the prototype. */
function anyValue(v: OtlpAnyValue | null | undefined): unknown {
  if (v == null) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    if (value === null || value === undefined) continue;
    if (key === "arrayValue") out[key] = (value as { values: OtlpAnyValue[] }).values.map(anyValue);
    else if (key === "kvlistValue") out[key] = (value as { values: OtlpKeyValue[] }).values.map(keyValue);
    else if (key === "bytesValue") out[key] = Buffer.from(value as Uint8Array).toString("hex");
    else out[key] = value;
  }
  return out;
}
const keyValue = (kv: OtlpKeyValue) => ({ key: kv.key, value: anyValue(kv.value) });

/** `f` of each point, read in turn (the Reader-based decoder's number points are one cursor, read when asked). */
function each<T, U>(points: PointSeq<T>, f: (point: T) => U): U[] {
  return Array.from({ length: points.length }, (_, i) => f(points.at(i)!));
}

/** Both decoders' output in one comparable shape: every field the mapping reads, unset as null. */
function plain(request: OtlpExportRequest): unknown {
  const base = (p: { attributes: readonly OtlpKeyValue[]; startTimeUnixNano: number; timeUnixNano: number; flags: number }) => ({
    attributes: p.attributes.map(keyValue),
    start: p.startTimeUnixNano,
    time: p.timeUnixNano,
    flags: p.flags,
  });
  const metric = (m: OtlpMetric) => ({
    name: m.name,
    description: m.description,
    unit: m.unit,
    gauge: m.gauge ? each(m.gauge.dataPoints, (p) => ({ ...base(p), asDouble: p.asDouble ?? null, asInt: p.asInt ?? null })) : null,
    sum: m.sum
      ? { t: m.sum.aggregationTemporality, mono: m.sum.isMonotonic, points: each(m.sum.dataPoints, (p) => ({ ...base(p), asDouble: p.asDouble ?? null, asInt: p.asInt ?? null })) }
      : null,
    histogram: m.histogram
      ? {
          t: m.histogram.aggregationTemporality,
          points: m.histogram.dataPoints.map((p) => ({ ...base(p), count: p.count, sum: p.sum ?? null, buckets: [...p.bucketCounts], bounds: [...p.explicitBounds], min: p.min ?? null, max: p.max ?? null })),
        }
      : null,
    exponential: m.exponentialHistogram
      ? {
          t: m.exponentialHistogram.aggregationTemporality,
          points: m.exponentialHistogram.dataPoints.map((p) => ({
            ...base(p),
            count: p.count,
            sum: p.sum ?? null,
            scale: p.scale,
            zeroCount: p.zeroCount,
            zeroThreshold: p.zeroThreshold ?? 0,
            positive: p.positive ? { offset: p.positive.offset, counts: [...p.positive.bucketCounts] } : null,
            negative: p.negative ? { offset: p.negative.offset, counts: [...p.negative.bucketCounts] } : null,
            min: p.min ?? null,
            max: p.max ?? null,
          })),
        }
      : null,
    summary: m.summary
      ? m.summary.dataPoints.map((p) => ({ ...base(p), count: p.count, sum: p.sum, q: p.quantileValues.map((q) => [q.quantile, q.value]) }))
      : null,
  });
  return request.resourceMetrics.map((rm) => ({
    resource: rm.resource ? rm.resource.attributes.map(keyValue) : null,
    scopes: rm.scopeMetrics.map((sm) => sm.metrics.map(metric)),
  }));
}

// Generators of ExportMetricsServiceRequest objects in protobufjs' fromObject form.
const text = fc.string({ maxLength: 12 });
const scalar = fc.oneof(
  text.map((s) => ({ stringValue: s })),
  fc.boolean().map((b) => ({ boolValue: b })),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((n) => ({ intValue: n })),
  fc.double({ noNaN: true }).map((d) => ({ doubleValue: d })),
  fc.uint8Array({ maxLength: 6 }).map((b) => ({ bytesValue: b })),
);
const value = fc.oneof({ depthSize: "small" }, scalar, fc.array(scalar, { maxLength: 3 }).map((values) => ({ arrayValue: { values } })),
  fc.array(fc.record({ key: text, value: scalar }), { maxLength: 2 }).map((values) => ({ kvlistValue: { values } })));
const attributes = fc.array(fc.record({ key: fc.constantFrom("host", "http.route", "cpu", "9x", "k"), value }), { maxLength: 4 });
const times = fc.record({
  attributes,
  startTimeUnixNano: fc.constantFrom(0, NOW_NS - 10e9),
  timeUnixNano: fc.constantFrom(0, NOW_NS, NOW_NS + 1e6),
  flags: fc.constantFrom(0, 0, 1),
});
const numberPoint = fc.tuple(times, fc.oneof(fc.double({ noNaN: true }).map((d) => ({ asDouble: d })), fc.integer({ min: -(2 ** 50), max: 2 ** 50 }).map((n) => ({ asInt: n })))).map(([t, v]) => ({ ...t, ...v }));
const count = fc.integer({ min: 0, max: 2 ** 40 });
const histogramPoint = fc.tuple(times, count, fc.option(fc.double({ noNaN: true }), { nil: undefined }), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 })).map(
  ([t, c, sum, buckets]) => ({ ...t, count: c, ...(sum !== undefined && { sum, min: -1, max: sum }), bucketCounts: buckets, explicitBounds: buckets.slice(1).map((_, i) => i * 2.5) }),
);
const side = fc.record({ offset: fc.integer({ min: -100, max: 100 }), bucketCounts: fc.array(fc.integer({ min: 0, max: 1e6 }), { maxLength: 5 }) });
const exponentialPoint = fc.tuple(times, count, fc.integer({ min: -10, max: 20 }), fc.option(side, { nil: undefined }), fc.option(side, { nil: undefined }), fc.double({ min: 0, max: 1, noNaN: true })).map(
  ([t, c, scale, positive, negative, zeroThreshold]) => ({ ...t, count: c, sum: 1.5, scale, zeroCount: 3, zeroThreshold, ...(positive && { positive }), ...(negative && { negative }) }),
);
const summaryPoint = fc.tuple(times, count, fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ noNaN: true })), { maxLength: 3 })).map(
  ([t, c, qs]) => ({ ...t, count: c, sum: 2.5, quantileValues: qs.map(([quantile, v]) => ({ quantile, value: v })) }),
);
const metric = fc.tuple(fc.constantFrom("m.a", "m.b", "http.server.duration"), fc.string({ maxLength: 8 }), fc.constantFrom("", "By", "ms", "{req}"), fc.oneof(
  fc.array(numberPoint, { maxLength: 4 }).map((dataPoints) => ({ gauge: { dataPoints } })),
  fc.tuple(fc.array(numberPoint, { maxLength: 4 }), fc.constantFrom(0, 1, 2), fc.boolean()).map(([dataPoints, aggregationTemporality, isMonotonic]) => ({ sum: { dataPoints, aggregationTemporality, isMonotonic } })),
  fc.tuple(fc.array(histogramPoint, { maxLength: 3 }), fc.constantFrom(1, 2)).map(([dataPoints, aggregationTemporality]) => ({ histogram: { dataPoints, aggregationTemporality } })),
  fc.tuple(fc.array(exponentialPoint, { maxLength: 3 }), fc.constantFrom(1, 2)).map(([dataPoints, aggregationTemporality]) => ({ exponentialHistogram: { dataPoints, aggregationTemporality } })),
  fc.array(summaryPoint, { maxLength: 3 }).map((dataPoints) => ({ summary: { dataPoints } })),
)).map(([name, description, unit, data]) => ({ name, description, unit, ...data }));
const request = fc.array(fc.record({
  resource: fc.option(fc.record({ attributes: fc.array(fc.record({ key: fc.constantFrom("service.name", "host.name", "process.pid"), value: scalar }), { maxLength: 3 }) }), { nil: undefined }),
  scopeMetrics: fc.array(fc.record({ metrics: fc.array(metric, { maxLength: 3 }) }), { maxLength: 2 }),
}), { maxLength: 3 }).map((resourceMetrics) => ({ resourceMetrics }));

const encode = (object: object) => Buffer.from(ExportMetricsServiceRequest.encode(object).finish());

describe("the Reader-based OTLP decoder against the generated one", () => {
  it("decodes every request the generated code encodes to what the generated decoder gives, and maps it to the same points (property)", () => {
    fc.assert(
      fc.property(request, (object) => {
        const body = encode(object);
        const ours = decodeProtobufRequest(body);
        const reference = decodeWithGeneratedCode(body);
        expect(plain(ours)).toEqual(plain(reference));
        const a = mapExportRequest(ours, new CumulativeState(1000), opts);
        const b = mapExportRequest(reference, new CumulativeState(1000), opts);
        expect({ points: a.points, rejected: a.rejected, errors: a.errors.items, meta: a.meta }).toEqual({ points: b.points, rejected: b.rejected, errors: b.errors.items, meta: b.meta });
      }),
      { numRuns: 300 },
    );
  }, PROPERTY_BUDGET_MS);

  it("answers any corruption of a valid body with OtlpDecodeError (from the decoder, or from the mapping that reads the gauge and sum points) or a request the mapping takes (property)", () => {
    fc.assert(
      fc.property(request, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (object, flips, cut) => {
        const body = encode(object);
        if (body.length === 0) return;
        for (const [at, byte] of flips) body[at % body.length] = byte;
        const truncated = body.subarray(0, body.length - (cut % Math.min(4, body.length)));
        let decoded: OtlpExportRequest;
        try {
          decoded = decodeProtobufRequest(truncated);
        } catch (error) {
          expect(error).toBeInstanceOf(OtlpDecodeError);
          return;
        }
        // Gauge and sum points and attributes are read lazily, in the mapping: bytes the decoder let
        // through are read there, and are a point or an OtlpDecodeError (decodingLazily, as the receiver maps).
        try {
          decodingLazily(() => mapExportRequest(decoded, new CumulativeState(1000), opts));
        } catch (error) {
          expect(error).toBeInstanceOf(OtlpDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  }, PROPERTY_BUDGET_MS);

  it("answers a varint over 5 bytes (protobufjs throws a plain Error for it) with OtlpDecodeError, not a throw (seed 2116645413 found it)", () => {
    // resourceMetrics (field 1, length-delimited) whose length varint runs 6 bytes.
    const body = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => decodeProtobufRequest(body)).toThrow(OtlpDecodeError);
  });

  it("keys the label tail by the attributes' bytes, so a series seen before costs no attribute decoding", () => {
    const body = encode({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: "g", gauge: { dataPoints: [{ timeUnixNano: NOW_NS, asDouble: 1, attributes: [{ key: "host", value: { stringValue: "a" } }] }] } }] }] }] });
    const dp = decodeProtobufRequest(body).resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints.at(0)!;
    // The KeyValue field as it is on the wire: tag 0x3a (field 7, length-delimited), then its bytes.
    const kv = Buffer.from(opentelemetry.proto.common.v1.KeyValue.encode({ key: "host", value: { stringValue: "a" } }).finish());
    const wire = Buffer.concat([Buffer.from([0x3a, kv.length]), kv]);
    expect(Buffer.from(dp.rawBuf!.subarray(dp.rawStart, dp.rawEnd))).toEqual(wire);
    // A cache that already holds these bytes answers without the attributes being read: its tail is used.
    const seed = scopeHash("");
    const rawTails = new RawTailCache();
    rawTails.set(RawTailCache.hash(seed, wire, 0, wire.length), "", wire, 0, wire.length, '{host="from-cache"}');
    const mapped = mapExportRequest(decodeProtobufRequest(body), new CumulativeState(10), opts, undefined, rawTails);
    expect(mapped.points.map((p) => p.series)).toEqual(['g{host="from-cache"}']);
    // And without it, the attributes are decoded and the tail cached under their bytes.
    const fresh = new RawTailCache();
    expect(mapExportRequest(decodeProtobufRequest(body), new CumulativeState(10), opts, undefined, fresh).points.map((p) => p.series)).toEqual(['g{host="a"}']);
    expect(fresh.get(RawTailCache.hash(seed, wire, 0, wire.length), "", wire, 0, wire.length)?.tail).toBe('{host="a"}');
  });
});
