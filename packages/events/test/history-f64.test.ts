import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HistoryColumnsF64Schema,
  HistoryColumnsInputSchema,
  HistoryColumnsSchema,
  base64FromBytesPortable,
  bytesFromBase64Portable,
  decodeF64,
  decodeHistoryColumns,
  encodeF64,
  encodeHistoryColumnsF64,
  type HistoryBuckets,
} from "../src";

/** What a client reads after the wire: the answer through JSON text, as tRPC sends it. */
const overWire = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

// Doubles a store answers (finite; ingest refuses NaN/Infinity) with the edge cases of JSON: -0, large integers, subnormals.
const double = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, Number.MIN_VALUE, 1.7e12 + 0.1));
const buckets: fc.Arbitrary<HistoryBuckets> = fc
  .array(fc.tuple(fc.double({ min: 0, max: 4e12, noNaN: true }), double, double, double), { maxLength: 60 })
  .map((rows) => ({ ts: rows.map((r) => r[0]), value: rows.map((r) => r[1]), min: rows.map((r) => r[2]), max: rows.map((r) => r[3]) }));
const series = fc.constantFrom("a", "host.cpu{host=\"web1\"}", "x.y_z");

describe("metrics.historyColumns f64 encoding", () => {
  it("decodes to the JSON form's numbers for any answer, gaps (absent buckets) and empty series included", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(series, buckets), { maxLength: 6 }), (answer) => {
        const json = overWire(answer.map(([name, b]) => ({ series: name, ...b })));
        const f64 = overWire(answer.map(([name, b]) => encodeHistoryColumnsF64(name, b)));
        for (const item of f64) HistoryColumnsF64Schema.parse(item);
        for (const item of json) HistoryColumnsSchema.parse(item);
        // JSON writes -0 as 0, so compare with ===; the plain form passes through untouched.
        const decoded = decodeHistoryColumns(f64);
        expect(decoded.map((c) => c.series)).toEqual(json.map((c) => c.series));
        decoded.forEach((c, i) => {
          for (const column of ["ts", "value", "min", "max"] as const) {
            expect(c[column].length).toBe(json[i]?.[column].length);
            c[column].forEach((x, k) => expect(x === json[i]?.[column][k]).toBe(true));
          }
        });
        expect(decodeHistoryColumns(json)).toEqual(json);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps every bit of every double (-0, NaN payloads, infinities, large integers)", () => {
    fc.assert(
      fc.property(fc.array(fc.double()), (numbers) => {
        const back = decodeF64(overWire(encodeF64(numbers)));
        expect(back.length).toBe(numbers.length);
        back.forEach((x, i) => expect(Object.is(x, numbers[i])).toBe(true));
      }),
    );
  });

  it("the browser's base64 path (no Buffer) reads and writes the same text as Node's", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        expect(base64FromBytesPortable(bytes)).toBe(text);
        expect(bytesFromBase64Portable(text)).toEqual(bytes);
      }),
      { numRuns: 40 },
    );
  });

  it("encodes little-endian IEEE-754 doubles", () => {
    expect(encodeF64([1])).toBe(Buffer.from([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]).toString("base64"));
    expect(encodeF64([])).toBe("");
  });

  it("refuses a column whose length is not count doubles, naming the field", () => {
    const item = { ...encodeHistoryColumnsF64("a", { ts: [1, 2], value: [1, 2], min: [1, 2], max: [1, 2] }), value: encodeF64([1]) };
    const result = HistoryColumnsF64Schema.safeParse(item);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["count"]);
    expect(result.error?.issues[0]?.message).toBe("ts, value, min and max must each hold count doubles");
  });

  it("input: encoding defaults to json, accepts f64, refuses anything else by name", () => {
    expect(HistoryColumnsInputSchema.parse({ series: ["a"] }).encoding).toBe("json");
    expect(HistoryColumnsInputSchema.parse({ series: ["a"], encoding: "f64" }).encoding).toBe("f64");
    const bad = HistoryColumnsInputSchema.safeParse({ series: ["a"], encoding: "f32" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["encoding"]);
    expect(HistoryColumnsInputSchema.safeParse({ series: ["a"], from: 2, to: 1 }).error?.issues[0]?.message).toBe("from must not be after to");
  });
});
