import fc from "fast-check";
import protobuf from "protobufjs/minimal.js";
import { describe, expect, it } from "vitest";
import { labelValueProblem, seriesKey } from "@livedash/events";
import { createSeriesKeyCache, decodeWriteRequest } from "../src/ingest/remote-write/decode";
import { decompressSnappyBlock, snappyUncompressedLength } from "../src/ingest/remote-write/snappy-block";
import { BodyTooLargeError, HttpError } from "../src/ingest/read-body";
import { encodeWriteRequest, snappy, staleNaN } from "./helpers/remote-write";
import type { TestSeries, TestWriteRequest } from "./helpers/remote-write";

const NOW = 1_700_000_000_000;
const OPTIONS = { nowMs: NOW, maxFutureMs: 300_000, stopAfterPoints: 10_000 };
const label = (name: string, value: string) => ({ name, value });

function decode(timeseries: TestSeries[], extra: Omit<TestWriteRequest, "timeseries"> = {}) {
  return decodeWriteRequest(encodeWriteRequest({ timeseries, ...extra }), OPTIONS);
}

describe("remote_write WriteRequest decoding", () => {
  it("refuses a __proto__ label as reserved (a plain object dropped it silently)", () => {
    const result = decode([{ labels: [label("__name__", "pl"), label("__proto__", "x"), label("job", "j")], samples: [{ value: 1, timestamp: NOW }] }]);
    expect(result).toMatchObject({ ok: false, errors: [{ path: "timeseries[0].labels.__proto__" }] });
  });

  it("does not cache label bytes past a valid key's size (padding in unknown fields held ~1 MiB an entry)", () => {
    const keyCache = createSeriesKeyCache();
    // WriteRequest{ timeseries: [{ labels: [{name:"__name__",value:"up"}, {name:"job",value:"j", 3: <20 KB>}], samples: [{value:1,timestamp}] }] }
    const labelBytes = (name: string, value: string, pad = 0) => {
      const w = protobuf.Writer.create().uint32(10).string(name).uint32(18).string(value);
      if (pad > 0) w.uint32(26).bytes(new Uint8Array(pad));
      return w.finish();
    };
    const request = (pad: number) => {
      const series = protobuf.Writer.create().uint32(10).bytes(labelBytes("__name__", "up")).uint32(10).bytes(labelBytes("job", "j", pad));
      series.uint32(18).bytes(protobuf.Writer.create().uint32(9).double(1).uint32(16).int64(NOW).finish());
      return Buffer.from(protobuf.Writer.create().uint32(10).bytes(series.finish()).finish());
    };
    expect(decodeWriteRequest(request(0), { ...OPTIONS, keyCache })).toMatchObject({ ok: true, points: [{ series: 'up{job="j"}' }] });
    expect(keyCache.map.size).toBe(1);
    expect(decodeWriteRequest(request(20_000), { ...OPTIONS, keyCache })).toMatchObject({ ok: true, points: [{ series: 'up{job="j"}' }] });
    expect(keyCache.map.size).toBe(1);
  });

  it("makes __name__ the series name and every other label a label, in the canonical key whatever the wire order", () => {
    const result = decode([
      {
        labels: [label("job", "node"), label("__name__", "node_cpu_seconds_total"), label("cpu", "0"), label("mode", "idle"), label("empty", "")],
        samples: [
          { value: 12.5, timestamp: NOW - 1000 },
          { value: 13, timestamp: NOW },
        ],
      },
      { labels: [label("__name__", "up")], samples: [{ value: 1, timestamp: NOW }] },
    ]);
    expect(result).toEqual({
      ok: true,
      more: false,
      skipped: { nan: 0, stale: 0, infinite: 0, histograms: 0, metadata: 0 },
      metadata: [],
      points: [
        { series: 'node_cpu_seconds_total{cpu="0",job="node",mode="idle"}', ts: NOW - 1000, value: 12.5 },
        { series: 'node_cpu_seconds_total{cpu="0",job="node",mode="idle"}', ts: NOW, value: 13 },
        { series: "up", ts: NOW, value: 1 },
      ],
    });
  });

  it("skips and counts NaN, staleness markers, infinities, native histograms and metadata, and keeps the rest", () => {
    const result = decode(
      [
        {
          labels: [label("__name__", "go_gc_duration_seconds"), label("quantile", "0.5")],
          samples: [
            { value: Number.NaN, timestamp: NOW - 2000 },
            { value: staleNaN(), timestamp: NOW - 1000 },
            { value: Number.POSITIVE_INFINITY, timestamp: NOW - 500 },
            { value: 0.25, timestamp: NOW },
          ],
          exemplars: [{ labels: [label("trace_id", "abc")], value: 1, timestamp: NOW }],
        },
        { labels: [label("__name__", "native")], histograms: [{ sum: 3, timestamp: NOW, countInt: 2 }] },
      ],
      { metadata: [{ type: 1, metricFamilyName: "up", help: "h", unit: "" }] },
    );
    expect(result).toEqual({
      ok: true,
      more: false,
      skipped: { nan: 1, stale: 1, infinite: 1, histograms: 1, metadata: 1 },
      // Metadata is no point, but it is read: it describes the family's series (prometheus-meta.ts).
      metadata: [{ family: "up", type: "counter", help: "h", unit: "" }],
      points: [{ series: 'go_gc_duration_seconds{quantile="0.5"}', ts: NOW, value: 0.25 }],
    });
  });

  it.each([
    ["a missing __name__", [label("host", "a")], "timeseries[0].labels.__name__", /__name__ \(the metric name\) is missing/],
    ["a bad metric name", [label("__name__", "has space")], "timeseries[0].labels.__name__", /series name may only contain/],
    ["a reserved label name", [label("__name__", "up"), label("__meta_x", "1")], "timeseries[0].labels.__meta_x", /reserved/],
    ["a label name starting with a digit", [label("__name__", "up"), label("1x", "1")], "timeseries[0].labels.1x", /must match/],
    ["a repeated label", [label("__name__", "up"), label("a", "1"), label("a", "2")], "timeseries[0].labels.a", /appears twice/],
    ["a repeated __name__", [label("__name__", "up"), label("__name__", "down")], "timeseries[0].labels.__name__", /appears twice/],
    ["a label value too long", [label("__name__", "up"), label("a", "x".repeat(1025))], "timeseries[0].labels.a", /at most 1024/],
  ])("refuses %s, naming the series and the label", (_name, labels, path, message) => {
    const result = decode([{ labels, samples: [{ value: 1, timestamp: NOW }] }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]!.path).toBe(path);
    expect(result.errors[0]!.message).toMatch(message);
  });

  it("finds a bad series every time: only valid keys are cached", () => {
    const keyCache = createSeriesKeyCache();
    const bad = encodeWriteRequest({ timeseries: [{ labels: [label("__name__", "up"), label("__x", "1")], samples: [{ value: 1, timestamp: NOW }] }] });
    const good = encodeWriteRequest({ timeseries: [{ labels: [label("__name__", "up"), label("x", "1")], samples: [{ value: 1, timestamp: NOW }] }] });
    for (let i = 0; i < 2; i++) {
      expect(decodeWriteRequest(bad, { ...OPTIONS, keyCache })).toMatchObject({ ok: false, errors: [{ path: "timeseries[0].labels.__x" }] });
      expect(decodeWriteRequest(good, { ...OPTIONS, keyCache })).toMatchObject({ ok: true, points: [{ series: 'up{x="1"}' }] });
    }
    expect([...keyCache.map.values()]).toEqual(['up{x="1"}']);
  });

  it("refuses a timestamp far in the future or before 1970, naming the sample", () => {
    const future = decode([{ labels: [label("__name__", "up")], samples: [{ value: 1, timestamp: NOW }, { value: 1, timestamp: NOW + 86_400_000 }] }]);
    expect(future).toMatchObject({ ok: false, errors: [{ path: "timeseries[0].samples[1].timestamp", message: expect.stringMatching(/1 day in the future \(limit 5m\)/) }] });
    const negative = decode([{ labels: [label("__name__", "up")], samples: [{ value: 1, timestamp: -5 }] }]);
    expect(negative).toMatchObject({ ok: false, errors: [{ message: expect.stringMatching(/-5 is before 1970/) }] });
  });

  it("stops past stopAfterPoints and says there is more", () => {
    const series = Array.from({ length: 5 }, (_, i) => ({ labels: [label("__name__", `s${i}`)], samples: [{ value: i, timestamp: NOW }] }));
    const result = decodeWriteRequest(encodeWriteRequest({ timeseries: series }), { ...OPTIONS, stopAfterPoints: 2 });
    expect(result).toMatchObject({ ok: true, more: true });
    if (result.ok) expect(result.points.length).toBe(3);
  });

  it("answers garbage and cut messages with one error on the body, never a throw", () => {
    const good = encodeWriteRequest({ timeseries: [{ labels: [label("__name__", "up"), label("job", "x")], samples: [{ value: 1, timestamp: NOW }] }] });
    for (const bytes of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), good.subarray(0, good.length - 3), Buffer.from([0x0a, 0x02, 0x12, 0x7f]), Buffer.from("not protobuf at all")]) {
      const result = decodeWriteRequest(bytes, OPTIONS);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]!.message).toMatch(/^(body: not a valid protobuf prometheus\.WriteRequest|timeseries\[0\])/);
    }
  });

  it("answers over-long varints with one error on the body, never a throw (protobufjs throws a plain Error for some)", () => {
    for (const bytes of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]) {
      const result = decodeWriteRequest(bytes, OPTIONS);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]!.message).toMatch(/^body: not a valid protobuf prometheus\.WriteRequest/);
    }
  });

  it("decodes what protobufjs encodes from the vendored .proto, for any series, with and without the key cache (property)", () => {
    const cache = createSeriesKeyCache();
    const tinyCache = createSeriesKeyCache(3);
    const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/).filter((name) => !name.startsWith("__"));
    const seriesArb = fc.record({
      name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/),
      labels: fc.dictionary(labelName, fc.string({ maxLength: 20 }).filter((v) => labelValueProblem(v) === null), { maxKeys: 6 }),
      samples: fc.array(fc.record({ value: fc.double({ noNaN: true, noDefaultInfinity: true }), timestamp: fc.integer({ min: 0, max: NOW }) }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(seriesArb, { maxLength: 8 }), (all) => {
        const timeseries = all.map((s) => ({ labels: [label("__name__", s.name), ...Object.entries(s.labels).map(([n, v]) => label(n, v))], samples: s.samples }));
        const bytes = encodeWriteRequest({ timeseries });
        const expected = all.flatMap((s) => s.samples.map((sample) => ({ series: seriesKey(s.name, s.labels), ts: sample.timestamp, value: sample.value })));
        // Without the key cache, then twice with one shared across runs (a miss, then a hit; a tiny
        // one is emptied as it fills): the same points every time.
        for (const keyCache of [undefined, cache, cache, tinyCache]) {
          const result = decodeWriteRequest(bytes, { ...OPTIONS, keyCache });
          expect(result.ok).toBe(true);
          if (result.ok) expect(result.points).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("remote_write snappy block", () => {
  it("reads the uncompressed length from the header", () => {
    const body = Buffer.alloc(300_000, 7);
    expect(snappyUncompressedLength(snappy(body))).toBe(300_000);
    expect(decompressSnappyBlock(snappy(body), 300_000).equals(body)).toBe(true);
  });

  it("refuses a block that claims more than the limit before allocating, naming the limit", () => {
    // A 6-byte body whose header claims 4 GiB - 1: the refusal comes from the header alone.
    const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(snappyUncompressedLength(claim)).toBe(0xffff_ffff);
    expect(() => decompressSnappyBlock(claim, 1_048_576)).toThrow(BodyTooLargeError);
    expect(() => decompressSnappyBlock(claim, 1_048_576)).toThrow(/decompresses to 4294967295 bytes \(limit 1048576 bytes, LIVEDASH_MAX_BODY_BYTES\)/);
  });

  it("answers a corrupt block or a bad header with 400", () => {
    const good = snappy(Buffer.from("a remote write body ".repeat(50)));
    for (const bad of [Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), Buffer.alloc(0), good.subarray(0, good.length - 5), Buffer.from([0x10, 0xff, 0xff])]) {
      let caught: unknown;
      try {
        decompressSnappyBlock(bad, 1_048_576);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(HttpError);
      expect((caught as HttpError).status).toBe(400);
    }
  });
});
