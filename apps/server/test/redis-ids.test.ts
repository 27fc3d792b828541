import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEntry, encodePoints, FIELD_POINTS, FIELD_PREV } from "../src/engine/redis-codec";
import { compareStreamIds, isStreamId } from "../src/engine/redis-ids";

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const streamId = fc.tuple(u64, u64).map(([ms, seq]) => ({ text: `${ms}-${seq}`, ms, seq }));

describe("redis stream ids", () => {
  it("compare like the (ms, seq) pair of unsigned 64-bit integers", () => {
    fc.assert(
      fc.property(streamId, streamId, (a, b) => {
        const expected = a.ms === b.ms ? Math.sign(Number(a.seq - b.seq)) : Math.sign(Number(a.ms - b.ms));
        expect(Math.sign(compareStreamIds(a.text, b.text))).toBe(expected);
        expect(Math.sign(compareStreamIds(b.text, a.text))).toBe(-expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("accept only what Redis writes: decimal parts without leading zeros or signs", () => {
    fc.assert(fc.property(streamId, (id) => isStreamId(id.text)));
    for (const bad of ["", "1", "1-", "-1", "01-1", "1-01", "+1-1", "1-1-1", "1.5-0", "a-1", "1-0 ", "123456789012345678901-0"]) {
      expect(isStreamId(bad), bad).toBe(false);
      expect(() => compareStreamIds(bad, "1-0")).toThrow(/not a redis stream id/);
    }
  });
});

describe("redis batch codec", () => {
  const point = fc.record({
    series: fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,40}$/),
    ts: fc.double({ min: 0, max: 1e15, noNaN: true }),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  });

  it("round-trips any valid points through the compact [series, ts, value] form", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 50 }), (points) => {
        const entry = decodeEntry("5-1", [FIELD_POINTS, encodePoints(points), FIELD_PREV, "5-0"]);
        expect(entry).toEqual({ id: "5-1", prev: "5-0", points: points.map((p) => ({ ...p, value: Object.is(p.value, -0) ? 0 : p.value })) });
      }),
    );
  });

  it("marks foreign or damaged entries instead of throwing", () => {
    expect(decodeEntry("1-0", ["other", "x"])).toEqual({ id: "1-0", prev: null, points: null });
    for (const payload of ["not json", "{}", "[[1,2,3]]", '[["a",1]]', '[["a","1",2]]', "[[\"a\",1,null]]"]) {
      expect(decodeEntry("1-0", [FIELD_POINTS, payload, FIELD_PREV, ""]).points, payload).toBeNull();
    }
  });
});
