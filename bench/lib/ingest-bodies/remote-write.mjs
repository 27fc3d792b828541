import { compressSync } from "snappy";

/**
 * Prometheus remote_write 1.0 bodies for the ingest scenario: the same `lines` samples over `series`
 * series as the line-protocol bodies (`bench_value{cpu="c<i%10>",host="l<lane>h<i/10>"}`), grouped the way
 * Prometheus sends them (one TimeSeries per series with its samples), as a WriteRequest
 * (prompb/remote.proto) compressed with snappy. The protobuf is built once with every timestamp a
 * 6-byte varint (ms timestamps from 2^35 to 2^42 all are); next() rewrites them in place and
 * compresses, so the client spends well under a millisecond per body. Each lane (request in flight)
 * has series of its own, as each Prometheus shard does: a series' samples then arrive in order.
 * @param {{ lines: number, series: number, startMs: number, lane: number }} spec
 */
export function createBodies(spec) {
  const repeats = Math.max(1, Math.floor(spec.lines / spec.series));
  /** @type {number[]} */
  const bytes = [];
  /** Offsets of each sample's timestamp varint, and the repeat it belongs to. */
  const tsOffsets = [];
  const tsRepeat = [];
  const varint = (/** @type {number[]} */ out, /** @type {number} */ n) => {
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
  };
  const lenField = (/** @type {number[]} */ out, /** @type {number} */ tag, /** @type {number[]} */ payload) => {
    out.push(tag);
    varint(out, payload.length);
    for (const b of payload) out.push(b);
  };
  const str = (/** @type {string} */ s) => [...Buffer.from(s)];
  const label = (/** @type {string} */ name, /** @type {string} */ value) => {
    const out = /** @type {number[]} */ ([]);
    lenField(out, 0x0a, str(name));
    lenField(out, 0x12, str(value));
    return out;
  };
  const double = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < spec.series; i++) {
    const ts = /** @type {number[]} */ ([]);
    lenField(ts, 0x0a, label("__name__", "bench_value"));
    lenField(ts, 0x0a, label("cpu", `c${i % 10}`));
    lenField(ts, 0x0a, label("host", `l${spec.lane}h${Math.floor(i / 10)}`));
    /** Where this series' sample timestamps sit inside `ts`. */
    const local = [];
    for (let r = 0; r < repeats; r++) {
      double.setFloat64(0, (((i + r * spec.series) * 7919) % 10_000) / 100, true);
      // value (field 1, fixed64), then timestamp (field 2, varint) as a 6-byte placeholder.
      const sample = [0x09, ...new Uint8Array(double.buffer), 0x10];
      const tsAt = sample.length;
      for (let k = 0; k < 6; k++) sample.push(k === 5 ? 0x00 : 0x80);
      ts.push(0x12, sample.length);
      local.push(ts.length + tsAt);
      for (const b of sample) ts.push(b);
    }
    bytes.push(0x0a);
    varint(bytes, ts.length);
    const base = bytes.length;
    for (const b of ts) bytes.push(b);
    for (let r = 0; r < repeats; r++) {
      tsOffsets.push(base + /** @type {number} */ (local[r]));
      tsRepeat.push(r);
    }
  }
  const body = Buffer.from(bytes);
  let nextMs = spec.startMs;
  return {
    headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy", "x-prometheus-remote-write-version": "0.1.0" },
    /** A compressed body with timestamps after every earlier one's. */
    next() {
      for (let k = 0; k < tsOffsets.length; k++) {
        let ms = nextMs + /** @type {number} */ (tsRepeat[k]);
        const at = /** @type {number} */ (tsOffsets[k]);
        for (let b = 0; b < 6; b++) {
          body[at + b] = (ms & 0x7f) | (b < 5 ? 0x80 : 0);
          ms = Math.floor(ms / 128);
        }
      }
      nextMs += repeats;
      return { body: compressSync(body), points: repeats * spec.series };
    },
  };
}
