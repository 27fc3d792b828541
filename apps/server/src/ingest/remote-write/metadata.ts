import type protobuf from "protobufjs/minimal.js";
import { ownedText } from "../owned-text";
import type { PrometheusFamily, PrometheusType } from "../prometheus-meta";

/** prompb MetricMetadata.MetricType, by enum number. */
const TYPES: readonly PrometheusType[] = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"];

/** Characters of a HELP text kept (the catalog shows at most 500 of a description). */
const HELP_MAX_LENGTH = 1000;
/** A family name is a metric name: Livedash series names stop at 200 characters. */
const FAMILY_MAX_LENGTH = 200;

/** One MetricMetadata of a WriteRequest: the family and what Prometheus knows of it. */
export interface FamilyMetadata extends PrometheusFamily {
  readonly family: string;
}

/**
 * Decodes one prompb.MetricMetadata (type = 1, metric_family_name = 2, help = 4, unit = 5) between
 * r.pos and `end`; null when it names no family or an overlong one (metadata is advisory: a bad entry
 * is dropped, never a failed write). protobufjs' Reader throws RangeError past its buffer, which the
 * caller answers as a malformed body.
 */
export function decodeMetricMetadata(r: protobuf.Reader, end: number): FamilyMetadata | null {
  let type: PrometheusType = "unknown";
  let family = "";
  let help = "";
  let unit = "";
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 0) type = TYPES[r.uint32()] ?? "unknown";
    else if (field === 2 && wire === 2) family = r.string();
    else if (field === 4 && wire === 2) help = ownedText(r.string(), HELP_MAX_LENGTH);
    else if (field === 5 && wire === 2) unit = ownedText(r.string(), 100);
    else r.skipType(wire);
  }
  if (r.pos !== end) throw new RangeError("a MetricMetadata field runs past its end");
  if (family === "" || family.length > FAMILY_MAX_LENGTH) return null;
  return { family, type, help, unit };
}
