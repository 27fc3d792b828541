/**
 * Wire formats the ingest scenario (scenarios/ingest.mjs) measures, Livedash beside VictoriaMetrics with
 * the same bodies and the same client. A format is a row of the report:
 *  - `body`: the module in lib/ingest-bodies/ that builds its bodies. It exports
 *    `createBodies({ lines, series, startMs, lane })` -> `{ headers, next(): { body: Buffer | Uint8Array, points } }`:
 *    `lines` lines/samples over `series` series of its own per `lane` (0..concurrency-1, so each series'
 *    points arrive in order), each call with timestamps after the previous call's.
 *  - `livedashPath`: where Livedash takes it; `vmPath`: where VictoriaMetrics does, or null when the
 *    apt build (1.79) has no such endpoint (the row then shows Livedash alone).
 * To add a row (OTLP protobuf, remote_write with labels): write its body module, append an entry here.
 * @type {{ name: string, body: string, livedashPath: string, vmPath: string | null }[]}
 */
export const INGEST_FORMATS = [
  { name: "line protocol", body: "line-protocol", livedashPath: "/api/write?precision=ms", vmPath: "/write?precision=ms" },
  { name: "remote_write with labels", body: "remote-write", livedashPath: "/api/v1/write", vmPath: "/api/v1/write" },
  // VictoriaMetrics 1.79 (apt) has no OTLP endpoint: the row shows Livedash alone.
  { name: "OTLP protobuf", body: "otlp-protobuf", livedashPath: "/v1/metrics", vmPath: null },
  // The same points as a cumulative Counter (rates from the last sample); only with --ingest-formats.
  { name: "OTLP protobuf counter", body: "otlp-protobuf-counter", livedashPath: "/v1/metrics", vmPath: null },
];
