import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonIngest } from "../src/ingest/json-ingest";
import { parseLineProtocol } from "../src/ingest/line-protocol";
import type { LineProtocolOptions } from "../src/ingest/line-protocol";

const NOW_MS = 1_700_000_000_000;
const LP: LineProtocolOptions = { precision: "ns", nowMs: NOW_MS, maxLines: 100_000, maxFutureMs: 60_000 };
const JSON_OPTS = { nowMs: NOW_MS, maxPoints: 10_000, maxFutureMs: 60_000 };

/** A long run of one token: what makes a backtracking pattern or a spread call blow up. */
const longRun = fc.tuple(fc.constantFrom("1", "9", "a", "\\", "\\\\", ",", "=", " ", '"', ".", "e", "-", "1.", "a=1,", ",a=b", "\n"), fc.integer({ min: 1_000, max: 60_000 }))
  .map(([unit, count]) => unit.repeat(Math.ceil(count / unit.length)));

/** Where a long run goes in a line: every token position of line protocol. */
const lineWithLongToken = fc.tuple(longRun, fc.constantFrom(
  (t: string) => `m f=${t}`,
  (t: string) => `m f=${t}x`,
  (t: string) => `m f=-${t}e5`,
  (t: string) => `m f=${t}i`,
  (t: string) => `m f=1 ${t}`,
  (t: string) => `${t} f=1`,
  (t: string) => `m,${t}=v f=1`,
  (t: string) => `m,k=${t} f=1`,
  (t: string) => `m ${t}=1`,
  (t: string) => `m f="${t}`,
  (t: string) => `m f="${t}" 1`,
  (t: string) => `m ${t}`,
)).map(([token, place]) => place(token));

function expectAnswered(result: ReturnType<typeof parseLineProtocol>) {
  if (result.ok) {
    for (const p of result.points) expect(Number.isFinite(p.value)).toBe(true);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  for (const e of result.errors) expect(e.message).toMatch(/^line \d+: /);
}

describe("line protocol with adversarial long tokens", () => {
  it("a 1 MiB line of fields is answered, not thrown (RangeError in push(...))", () => {
    const body = `m ${"a=1,".repeat(262_000)}b=1`;
    const all = parseLineProtocol(body, LP);
    expect(all.ok).toBe(true);
    if (all.ok) expect(all.points).toHaveLength(262_001);

    const capped = parseLineProtocol(body, { ...LP, maxPoints: 10_000 });
    expect(capped).toEqual({
      ok: false,
      errors: [{ line: 1, message: "line 1: body has more than 10000 points (limit 10000; each numeric field is one point)" }],
      truncated: false,
    });
  });

  it("a long digit run is refused as a number, naming the field (the float pattern no longer backtracks)", () => {
    const result = parseLineProtocol(`m f=${"1".repeat(200_000)}x`, LP);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/^line 1: field 'f' value '1{40}…' is not a number/);
  });

  it.each([
    ["1", 1], ["-1.5", -1.5], [".5", 0.5], ["5.", 5], ["1e3", 1000], ["-2E-2", -0.02], ["1.5e+2", 150], [`${"1".repeat(300)}`, Number("1".repeat(300))],
  ])("still reads the float %s", (text, value) => {
    expect(parseLineProtocol(`m f=${text}`, LP)).toEqual({ ok: true, points: [{ series: "m.f", ts: NOW_MS, value }] });
  });

  it.each(["", "-", ".", "-.", "1e", "1e+", "e5", "1.2.3", "1..2", "--1", "+1", "1e5.5", "0x10", "1_000", "Infinity", "NaN"])("refuses the float %j", (text) => {
    const result = parseLineProtocol(`m f=${text}`, LP);
    expect(result.ok).toBe(false);
  });

  it("never throws and always answers, whatever long token a line carries", () => {
    fc.assert(
      fc.property(fc.array(lineWithLongToken, { minLength: 1, maxLength: 3 }), (lines) => {
        expectAnswered(parseLineProtocol(lines.join("\n"), LP));
      }),
      { numRuns: 150 },
    );
  });
});

describe("JSON ingest with adversarial long tokens", () => {
  const jsonBodies = fc.tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom(
    (n: number) => "[".repeat(n) + "]".repeat(n),
    (n: number) => `{"points":${"[".repeat(n)}${"]".repeat(n)}}`,
    (n: number) => `{"points":[],"x":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`,
    (n: number) => `{"points":[{"series":"${"a".repeat(n)}","value":1}]}`,
    (n: number) => `{"points":[{"series":"a","value":${"1".repeat(n)}}]}`,
    (n: number) => `{"points":[{"series":"a","value":1${"0".repeat(n)}.5e-${n}}]}`,
    (n: number) => `{"points":[${'{"series":"a","value":"x"},'.repeat(Math.min(n, 20_000))}{"series":"a","value":1}]}`,
    (n: number) => `{"points":[{"series":"a","value":1}],"meta":[{"series":"a","description":"${"\\u0000".repeat(n)}"}]}`,
    (n: number) => `{"points":[{"series":"a","value":1}]${" ".repeat(n)}`,
    (n: number) => `{"points":[{"series":"${"\\\\".repeat(n)}","value":1}]}`,
  )).map(([n, body]) => body(n));

  it("never throws and always answers ok or errors that name a path", () => {
    fc.assert(
      fc.property(jsonBodies, (body) => {
        const result = parseJsonIngest(body, JSON_OPTS);
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        expect(result.errors.length).toBeLessThanOrEqual(20);
        for (const e of result.errors) expect(e.message.startsWith(`${e.path}: `)).toBe(true);
        // Error text stays small whatever the token: no echo of a megabyte back to the caller.
        expect(JSON.stringify(result.errors).length).toBeLessThan(10_000);
      }),
      { numRuns: 100 },
    );
  });
});
