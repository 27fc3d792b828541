/**
 * OTLP/HTTP protobuf bodies for the ingest scenario: an ExportMetricsServiceRequest
 * (opentelemetry-proto metrics_service.proto) with one resource (`service.name` = `bench-l<lane>`,
 * so each lane has series of its own), one scope and one Gauge `bench.value` whose `lines` data points
 * cover `series` attribute sets (`host` = `h<i/10>`, `cpu` = `c<i%10>`), each `lines / series` times
 * with consecutive timestamps: the same points as the line-protocol bodies, as an SDK or the Collector
 * encodes them (attributes on every data point). Built once; next() rewrites each data point's
 * time_unix_nano (fixed64, 8 bytes) in place, so the client spends well under a millisecond per body.
 * @param {{ lines: number, series: number, startMs: number, lane: number }} spec
 */
export function createBodies(spec) {
  return createOtlpBodies(spec, "gauge");
}

/**
 * The same points as `kind` "counter": a monotonic cumulative Sum `bench.total` (as an SDK Counter
 * exports it, with start_time_unix_nano), whose values grow with the timestamps, so the server keeps
 * the last sample of each series and turns the next into a rate (the cumulative path).
 * @param {{ lines: number, series: number, startMs: number, lane: number }} spec
 * @param {"gauge" | "counter"} kind
 */
export function createOtlpBodies(spec, kind) {
  const counter = kind === "counter";
  const startNs = BigInt(spec.startMs - 1000) * 1_000_000n;
  const repeats = Math.max(1, Math.floor(spec.lines / spec.series));
  const varint = (/** @type {number[]} */ out, /** @type {number} */ n) => {
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  };
  /** A length-delimited field: tag, length, payload. */
  const field = (/** @type {number} */ tag, /** @type {number[]} */ payload) => {
    const out = [tag];
    varint(out, payload.length);
    for (const b of payload) out.push(b);
    return out;
  };
  const str = (/** @type {string} */ s) => [...Buffer.from(s)];
  // KeyValue { 1: key, 2: AnyValue { 1: string_value } }
  const keyValue = (/** @type {string} */ key, /** @type {string} */ value) => [...field(0x0a, str(key)), ...field(0x12, field(0x0a, str(value)))];
  const double = new DataView(new ArrayBuffer(8));

  /** The data points, each as bytes, and where its time_unix_nano sits inside them. */
  const points = [];
  for (let line = 0; line < spec.lines; line++) {
    const i = line % spec.series;
    // NumberDataPoint { 7: attributes..., [2: start_time_unix_nano (fixed64)], 3: time_unix_nano (fixed64), 4: as_double }
    const dp = [...field(0x3a, keyValue("host", `h${Math.floor(i / 10)}`)), ...field(0x3a, keyValue("cpu", `c${i % 10}`))];
    if (counter) {
      const start = new DataView(new ArrayBuffer(8));
      start.setBigUint64(0, startNs, true);
      dp.push(0x11, ...new Uint8Array(start.buffer));
    }
    dp.push(0x19);
    const tsAt = dp.length;
    for (let k = 0; k < 8; k++) dp.push(0);
    double.setFloat64(0, ((line * 7919) % 10_000) / 100, true);
    dp.push(0x21);
    const valueAt = dp.length;
    dp.push(...new Uint8Array(double.buffer));
    points.push({ bytes: field(0x0a, dp), tsAt, valueAt, repeat: Math.floor(line / spec.series) % repeats });
  }
  const pointBytes = points.flatMap((p) => p.bytes);
  // Sum { 1: data_points..., 2: aggregation_temporality = CUMULATIVE, 3: is_monotonic = true } after its points.
  const trailer = counter ? [0x10, 0x02, 0x18, 0x01] : [];
  // Metric { 1: name, 5: gauge | 7: sum }
  const metric = [...field(0x0a, str(counter ? "bench.total" : "bench.value")), ...field(counter ? 0x3a : 0x2a, [...pointBytes, ...trailer])];
  // ScopeMetrics { 1: scope { 1: name }, 2: metrics }
  const scope = [...field(0x0a, field(0x0a, str("bench"))), ...field(0x12, metric)];
  // ResourceMetrics { 1: resource { 1: attributes }, 2: scope_metrics }
  const resource = [...field(0x0a, field(0x0a, keyValue("service.name", `bench-l${spec.lane}`))), ...field(0x12, scope)];
  const request = field(0x0a, resource);
  const body = Buffer.from(request);

  // The data points sit in order at the end of the gauge (the sum: before its trailer): find them once, then walk them.
  const pointsAt = body.length - trailer.length - pointBytes.length;
  const tsOffsets = [];
  const valueOffsets = [];
  const tsRepeat = [];
  let at = pointsAt;
  for (const p of points) {
    tsOffsets.push(at + headerLength(p.bytes) + p.tsAt);
    valueOffsets.push(at + headerLength(p.bytes) + p.valueAt);
    tsRepeat.push(p.repeat);
    at += p.bytes.length;
  }
  let nextMs = spec.startMs;
  return {
    headers: { "content-type": "application/x-protobuf" },
    /** A body with timestamps after every earlier one's; valid until the next call. */
    next() {
      const stamps = Array.from({ length: repeats }, (_, r) => BigInt(nextMs + r) * 1_000_000n);
      nextMs += repeats;
      for (let k = 0; k < tsOffsets.length; k++) {
        const repeat = /** @type {number} */ (tsRepeat[k]);
        body.writeBigUInt64LE(/** @type {bigint} */ (stamps[repeat]), /** @type {number} */ (tsOffsets[k]));
        // A counter's total grows with its timestamps (ms since the start, plus the series' own offset).
        if (counter) body.writeDoubleLE(nextMs - repeats + repeat - spec.startMs + (k % spec.series), /** @type {number} */ (valueOffsets[k]));
      }
      return { body, points: spec.lines };
    },
  };
}

/** Bytes of a length-delimited field's tag and length varint, before its payload. */
function headerLength(/** @type {number[]} */ bytes) {
  let n = 1;
  while ((/** @type {number} */ (bytes[n]) & 0x80) !== 0) n++;
  return n + 1;
}
