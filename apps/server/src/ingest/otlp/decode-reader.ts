import protobuf from "protobufjs/minimal.js";
import { WIRE_LEN, WIRE_VARINT, subEnd } from "../protobuf-wire";
import type { OtlpExportRequest, OtlpKeyValue, OtlpMetric, OtlpResourceMetrics } from "./model";
import { attributesIn } from "./reader-attributes";
import { EXPONENTIAL, HISTOGRAM, NumberPointList, SUMMARY, dataPoint, type PointLayout, type ProtoPoint } from "./reader-points";
import { message, string, wireIs, type Reader } from "./reader-wire";
import { PointBudget } from "./point-budget";

/*
 * A decoder for ExportMetricsServiceRequest written against protobufjs' Reader, as the remote_write one
 * is (field numbers from the vendored opentelemetry-proto v1.11.0 in ./proto): plain objects of the
 * model's shape instead of the generated message classes, 64-bit fields read as numbers in place (no
 * Long), and a data point's attributes left in the body: the mapping looks their label tail up by
 * their bytes (`rawBuf`, read in place) and decodes them only on a miss. Unknown fields are skipped; a field
 * of a known number with another wire type is malformed. The generated decoder (decode-proto.ts) is
 * the reference: a property test decodes the same bodies with both.
 */

/**
 * Gauge, Sum, Histogram, ExponentialHistogram, Summary: data points (1), temporality (2), monotonic (3).
 * `read` takes each data point's body (r.pos to its end) into `dataPoints`.
 */
function metricData<L>(r: Reader, end: number, budget: PointBudget, dataPoints: L, read: (dataPoints: L, end: number) => void) {
  const out = { dataPoints, aggregationTemporality: 0, isMonotonic: false };
  message(r, end, (tag, stop) => {
    switch (tag >>> 3) {
      case 1:
        wireIs(tag, WIRE_LEN);
        // Counted before it is read: a point past the limit costs nothing.
        budget.take();
        read(dataPoints, subEnd(r, stop));
        return true;
      case 2:
        wireIs(tag, WIRE_VARINT);
        out.aggregationTemporality = r.int32();
        return true;
      case 3:
        wireIs(tag, WIRE_VARINT);
        out.isMonotonic = r.bool();
        return true;
    }
    return false;
  });
  return out;
}

function metric(r: Reader, end: number, budget: PointBudget): OtlpMetric {
  const out: OtlpMetric = { name: "", description: "", unit: "" };
  // Number points are noted and read later, by the mapping (NumberPointList); the others now.
  const numbers = (dataEnd: number) =>
    metricData(r, dataEnd, budget, new NumberPointList(r), (list, pointEnd) => {
      list.add(r.pos, pointEnd);
      r.pos = pointEnd;
    });
  const points = <P extends ProtoPoint>(dataEnd: number, layout: PointLayout<P>) =>
    metricData(r, dataEnd, budget, [] as P[], (list, pointEnd) => list.push(dataPoint(r, pointEnd, layout, budget)));
  // The data oneof: the last member on the wire wins, the others are unset.
  const data = (set: () => void) => {
    out.gauge = out.sum = out.histogram = out.exponentialHistogram = out.summary = null;
    set();
  };
  message(r, end, (tag, stop) => {
    const field = tag >>> 3;
    if (field === 1 || field === 2 || field === 3) {
      wireIs(tag, WIRE_LEN);
      const text = string(r, stop);
      if (field === 1) out.name = text;
      else if (field === 2) out.description = text;
      else out.unit = text;
      return true;
    }
    if (field !== 5 && field !== 7 && field !== 9 && field !== 10 && field !== 11) return false;
    wireIs(tag, WIRE_LEN);
    const dataEnd = subEnd(r, stop);
    if (field === 5) {
      const { dataPoints } = numbers(dataEnd);
      data(() => (out.gauge = { dataPoints }));
    } else if (field === 7) {
      const sum = numbers(dataEnd);
      data(() => (out.sum = sum));
    } else if (field === 9) {
      const { dataPoints, aggregationTemporality } = points(dataEnd, HISTOGRAM);
      data(() => (out.histogram = { dataPoints, aggregationTemporality }));
    } else if (field === 10) {
      const { dataPoints, aggregationTemporality } = points(dataEnd, EXPONENTIAL);
      data(() => (out.exponentialHistogram = { dataPoints, aggregationTemporality }));
    } else {
      const { dataPoints } = points(dataEnd, SUMMARY);
      data(() => (out.summary = { dataPoints }));
    }
    return true;
  });
  return out;
}

function resourceMetrics(r: Reader, end: number, budget: PointBudget): OtlpResourceMetrics {
  let resource: { attributes: OtlpKeyValue[] } | null = null;
  const scopeMetrics: { metrics: OtlpMetric[] }[] = [];
  message(r, end, (tag, stop) => {
    if (tag >>> 3 === 1) {
      wireIs(tag, WIRE_LEN);
      const resourceEnd = subEnd(r, stop);
      resource = { attributes: attributesIn(r.buf, r.pos, resourceEnd, 1, () => budget.takeEntries()) };
      r.pos = resourceEnd;
      return true;
    }
    if (tag >>> 3 === 2) {
      wireIs(tag, WIRE_LEN);
      budget.takeEntries();
      const metrics: OtlpMetric[] = [];
      message(r, subEnd(r, stop), (inner, innerEnd) => {
        if (inner >>> 3 !== 2) return false;
        wireIs(inner, WIRE_LEN);
        budget.takeEntries();
        metrics.push(metric(r, subEnd(r, innerEnd), budget));
        return true;
      });
      scopeMetrics.push({ metrics });
      return true;
    }
    return false;
  });
  return { resource, scopeMetrics };
}

/**
 * Decodes an ExportMetricsServiceRequest; throws MalformedProtobuf or RangeError on bytes that are not
 * one, PointLimitPassed (without reading further) at the first data point past `maxDataPoints`, and
 * EntryLimitPassed at the first resource, scope, metric or resource attribute past its entry limit.
 */
export function decodeExportRequest(body: Uint8Array, maxDataPoints = Infinity): OtlpExportRequest {
  const budget = new PointBudget(maxDataPoints);
  // A Buffer view, so text is read as the generated decoder's BufferReader reads it.
  const r = protobuf.Reader.create(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  const resources: OtlpResourceMetrics[] = [];
  message(r, r.len, (tag, end) => {
    if (tag >>> 3 !== 1) return false;
    wireIs(tag, WIRE_LEN);
    budget.takeEntries();
    resources.push(resourceMetrics(r, subEnd(r, end), budget));
    return true;
  });
  return { resourceMetrics: resources };
}

