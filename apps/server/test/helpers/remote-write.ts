import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { compressSync } from "snappy";

/** The vendored prompb messages, loaded through protobufjs' own .proto parser (not our decoder). */
const root = protobuf.loadSync(fileURLToPath(new URL("../../src/ingest/remote-write/proto/remote-write.proto", import.meta.url)));
export const WriteRequest = root.lookupType("prometheus.WriteRequest");

export interface TestSeries {
  labels: { name: string; value: string }[];
  samples?: { value: number; timestamp: number }[];
  histograms?: { sum: number; timestamp: number; countInt?: number }[];
  exemplars?: { labels: { name: string; value: string }[]; value: number; timestamp: number }[];
}

export interface TestWriteRequest {
  timeseries: TestSeries[];
  metadata?: { type: number; metricFamilyName: string; help: string; unit: string }[];
}

/** A WriteRequest as protobuf bytes, encoded by protobufjs from the vendored .proto. */
export function encodeWriteRequest(request: TestWriteRequest): Buffer {
  const problem = WriteRequest.verify(request);
  if (problem) throw new Error(`test WriteRequest is invalid: ${problem}`);
  return Buffer.from(WriteRequest.encode(WriteRequest.fromObject(request)).finish());
}

/** Remote-write 1.0 on the wire: snappy block-compressed protobuf, with the headers Prometheus sends. */
export async function postRemoteWrite(baseUrl: string, body: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}/api/v1/write`, {
    method: "POST",
    headers: {
      "content-type": "application/x-protobuf",
      "content-encoding": "snappy",
      "x-prometheus-remote-write-version": "0.1.0",
      ...headers,
    },
    // A copy on its own ArrayBuffer: fetch's BodyInit type does not take a Buffer over a shared pool.
    body: new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? null : (JSON.parse(text) as { error: { message: string; errors?: { path: string; message: string }[] } }) };
}

export function snappy(bytes: Uint8Array): Buffer {
  return compressSync(Buffer.from(bytes));
}

/** The bits of a Prometheus staleness marker (value.StaleNaN), as a double. */
export function staleNaN(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff0_0000);
  view.setUint32(4, 0x0000_0002);
  return view.getFloat64(0);
}
