import { expect } from "vitest";
import { google, opentelemetry } from "../../src/ingest/otlp/generated/otlp-metrics.js";

/* OTLP/HTTP requests for the receiver's tests: built with the generated code, posted with fetch. */

const { ExportMetricsServiceRequest, ExportMetricsServiceResponse } = opentelemetry.proto.collector.metrics.v1;
export const NS_PER_MS = 1_000_000;

export type RequestProps = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.$Properties;
export type MetricProps = opentelemetry.proto.metrics.v1.Metric.$Properties;

const attributes = (labels: Record<string, string>) => Object.entries(labels).map(([key, value]) => ({ key, value: { stringValue: value } }));

/** One resource (with these string attributes) and one scope holding `metrics`. */
export function request(metrics: MetricProps[], resource: Record<string, string> = { "service.name": "unit" }): RequestProps {
  return { resourceMetrics: [{ resource: { attributes: attributes(resource) }, scopeMetrics: [{ metrics }] }] };
}

export function gauge(name: string, points: { value: number; attributes?: Record<string, string>; tsMs?: number }[]): MetricProps {
  return {
    name,
    gauge: { dataPoints: points.map((p) => ({ asDouble: p.value, timeUnixNano: (p.tsMs ?? Date.now()) * NS_PER_MS, attributes: attributes(p.attributes ?? {}) })) },
  };
}

export async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  const res = await fetch(`${url}/v1/metrics`, { method: "POST", headers, body: typeof body === "string" ? body : Buffer.from(body) });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** POSTs `props` as protobuf and decodes the answer: the ExportMetricsServiceResponse on 200, the Status otherwise. */
export async function postProto(url: string, props: RequestProps | Uint8Array, headers: Record<string, string> = {}) {
  const body = props instanceof Uint8Array ? props : ExportMetricsServiceRequest.encode(props).finish();
  const res = await post(url, body, { "content-type": "application/x-protobuf", ...headers });
  expect(res.headers.get("content-type")).toBe("application/x-protobuf");
  if (res.status !== 200) return { ...res, error: google.rpc.Status.decode(res.bytes), partial: undefined };
  const answer = ExportMetricsServiceResponse.decode(res.bytes);
  const partial = answer.partialSuccess ? { rejectedDataPoints: Number(answer.partialSuccess.rejectedDataPoints), errorMessage: answer.partialSuccess.errorMessage } : null;
  return { ...res, error: undefined, partial };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await post(url, typeof body === "string" ? body : JSON.stringify(body), { "content-type": "application/json", ...headers });
  expect(res.headers.get("content-type")).toBe("application/json");
  return { ...res, json: JSON.parse(Buffer.from(res.bytes).toString("utf8")) as Record<string, unknown> };
}
