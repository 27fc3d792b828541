import { createOtlpBodies } from "./otlp-protobuf.mjs";

/**
 * OTLP/HTTP protobuf bodies of a monotonic cumulative Sum (an SDK Counter): the points of
 * otlp-protobuf.mjs through the server's cumulative path (last sample kept, rate per point).
 * @param {{ lines: number, series: number, startMs: number, lane: number }} spec
 */
export function createBodies(spec) {
  return createOtlpBodies(spec, "counter");
}
