import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatPath, parseJsonIngest, validateIngestPoints } from "../src/ingest/json-ingest";
import { summarizeErrors } from "../src/ingest/result";

const NOW_MS = 1_700_000_000_000;
const opts = { nowMs: NOW_MS, maxPoints: 5, maxFutureMs: 5 * 60_000 };

function messages(body: string) {
  const result = parseJsonIngest(body, opts);
  if (result.ok) throw new Error("expected errors");
  return result.errors.map((e) => e.message);
}

describe("parseJsonIngest", () => {
  it("accepts points, defaults ts to nowMs, and passes meta through", () => {
    const body = JSON.stringify({
      points: [{ series: "app.req", value: 3 }, { series: "app.lat", value: 1.5, ts: NOW_MS - 10 }],
      meta: [{ series: "app.lat", unit: "ms", kind: "gauge" }],
    });
    expect(parseJsonIngest(body, opts)).toEqual({
      ok: true,
      points: [{ series: "app.req", ts: NOW_MS, value: 3 }, { series: "app.lat", ts: NOW_MS - 10, value: 1.5 }],
      meta: [{ series: "app.lat", unit: "ms", kind: "gauge" }],
    });
  });

  it("accepts an empty batch", () => {
    expect(parseJsonIngest('{"points":[]}', opts)).toEqual({ ok: true, points: [] });
  });

  it("malformed JSON is one clear body error", () => {
    const result = parseJsonIngest('{"points": [', opts);
    expect(result).toEqual({ ok: false, truncated: false, errors: [{ path: "body", message: expect.stringMatching(/^body: not valid JSON \(/) }] });
  });

  it.each(["[]", "null", "42", '"x"'])("non-object JSON %s is a body error", (body) => {
    expect(messages(body)[0]).toMatch(/^body: expected a JSON object/);
  });

  it("names the JSON path of every bad field", () => {
    const body = JSON.stringify({
      points: [
        { series: "ok", value: 1 },
        { series: "bad name!", value: 1 },
        { series: "a", value: "1" },
        { series: "a" },
        { series: "a", value: 1, ts: -1, extra: true },
      ],
    });
    expect(messages(body)).toEqual([
      "points[1].series: series name may only contain letters, digits and _ . : -",
      "points[2].value: must be a number (got string)",
      "points[3].value: is required (number)",
      "points[4].ts: ts must not be negative",
      'points[4]: Unrecognized key: "extra"',
    ]);
  });

  it("reports a value too large for a double (JSON 1e999 is Infinity)", () => {
    expect(messages('{"points":[{"series":"a","value":1e999}]}')).toEqual([
      "points[0].value: must be a finite number (got Infinity; JSON numbers beyond ±1.7e308 overflow)",
    ]);
  });

  it("missing points array", () => {
    expect(messages("{}")).toEqual(["points: is required (array)"]);
  });

  it("rejects more than maxPoints before validating entries", () => {
    const body = JSON.stringify({ points: Array.from({ length: 6 }, () => ({ nonsense: true })) });
    expect(messages(body)).toEqual(["points: 6 entries (limit 5 per request)"]);
  });

  it("rejects timestamps too far in the future", () => {
    const body = JSON.stringify({ points: [{ series: "a", value: 1, ts: NOW_MS + 86_400_000 * 10 }] });
    expect(messages(body)).toEqual(["points[0].ts: timestamp is 10 days in the future (limit 5m)"]);
  });

  it("caps errors at 20", () => {
    const body = JSON.stringify({ points: Array.from({ length: 30 }, () => ({ series: "", value: 1 })) });
    const result = parseJsonIngest(body, { ...opts, maxPoints: 100 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(20);
    expect(result.truncated).toBe(true);
    expect(summarizeErrors(result.errors, result.truncated, "field")).toBe(
      "more than 20 invalid fields; first: points[0].series: series name must not be empty",
    );
  });

  it.each([
    ["an empty body", "", "body", /^body: not valid JSON/],
    ["a NUL byte", "\u0000", "body", /^body: not valid JSON/],
    ["10,000 open braces", "{".repeat(10_000), "body", /^body: not valid JSON/],
    ["an array-like object for points", '{"points":{"length":1e9}}', "points", /^points: must be an array \(got object\)$/],
    ["points hidden under __proto__", '{"__proto__":{"points":[]}}', "points", /^points: is required/],
  ])("answers junk (%s) with an error naming where it is, never a throw", (_, body, path, message) => {
    const result = parseJsonIngest(body, opts);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]?.path).toBe(path);
    expect(result.errors[0]?.message).toMatch(message);
  });
});

describe("validateIngestPoints", () => {
  it("defaults ts, enforces count and future limits with paths", () => {
    expect(validateIngestPoints([{ series: "a", value: 1 }], opts)).toEqual({ ok: true, points: [{ series: "a", value: 1, ts: NOW_MS }] });
    expect(validateIngestPoints(Array.from({ length: 6 }, () => ({ series: "a", value: 1 })), opts)).toMatchObject({
      ok: false,
      errors: [{ path: "points", message: "points: 6 entries (limit 5 per request)" }],
    });
    expect(validateIngestPoints([{ series: "a", value: 1 }, { series: "a", value: 1, ts: NOW_MS + 5 * 60_000 + 1 }], opts)).toMatchObject({
      ok: false,
      errors: [{ path: "points[1].ts", message: "points[1].ts: timestamp is 5 minutes in the future (limit 5m)" }],
    });
  });
});

describe("summarizeErrors / formatPath", () => {
  it("summarizes one or many errors", () => {
    expect(summarizeErrors([{ message: "line 2: x" }], false, "line")).toBe("line 2: x");
    expect(summarizeErrors([{ message: "line 2: x" }, { message: "line 3: y" }], false, "line")).toBe("2 invalid lines; first: line 2: x");
    expect(summarizeErrors([], false, "line")).toBe("invalid line");
  });

  it("formats paths", () => {
    expect(formatPath(["points", 3, "value"])).toBe("points[3].value");
    expect(formatPath([])).toBe("body");
    expect(formatPath(["meta", 0, "thresholds", "warn"])).toBe("meta[0].thresholds.warn");
  });
});

describe("parseJsonIngest properties", () => {
  it("never throws on arbitrary strings or JSON values, and errors always name a path", () => {
    const bodies = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 4 }),
      fc.record({ points: fc.array(fc.dictionary(fc.constantFrom("series", "value", "ts", "x"), fc.jsonValue({ maxDepth: 1 })), { maxLength: 8 }) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        const result = parseJsonIngest(body, opts);
        if (result.ok) {
          for (const p of result.points) expect(Number.isFinite(p.value) && Number.isFinite(p.ts)).toBe(true);
        } else {
          expect(result.errors.length).toBeGreaterThan(0);
          expect(result.errors.length).toBeLessThanOrEqual(20);
          for (const e of result.errors) expect(e.message.startsWith(`${e.path}: `)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("round-trips generated valid points", () => {
    const point = fc.record(
      {
        series: fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,200}$/),
        value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0),
        ts: fc.integer({ min: 0, max: NOW_MS }),
      },
      { requiredKeys: ["series", "value"] },
    );
    fc.assert(
      fc.property(fc.array(point, { maxLength: 5 }), (points) => {
        const result = parseJsonIngest(JSON.stringify({ points }), opts);
        expect(result).toEqual({ ok: true, points: points.map((p) => ({ ...p, ts: p.ts ?? NOW_MS })) });
      }),
      { numRuns: 300 },
    );
  });
});

describe("labels on JSON points", () => {
  it("sorts a point's labels and its key's labels into one canonical series key", () => {
    const body = JSON.stringify({
      points: [
        { series: "host.cpu.total", labels: { host: "web1", cpu: "0" }, value: 1, ts: 5 },
        { series: 'host.cpu.total{host="web1"}', labels: { cpu: "0" }, value: 2, ts: 6 },
        { series: 'host.cpu.total{host="web1",cpu="0"}', value: 3, ts: 7 },
      ],
    });
    const result = parseJsonIngest(body, opts);
    expect(result.ok && result.points.map((p) => p.series)).toEqual(Array(3).fill('host.cpu.total{cpu="0",host="web1"}'));
  });

  it("names the label that conflicts with the key", () => {
    const result = parseJsonIngest(JSON.stringify({ points: [{ series: 'm{host="a"}', labels: { host: "b" }, value: 1 }] }), opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toBe('points[0].labels.host: label host is "a" in the series key and "b" in labels');
  });
});
