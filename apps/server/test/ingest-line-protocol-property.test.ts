import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalSeriesKey, parseSeriesKey } from "@livedash/events";
import { parseLineProtocol } from "../src/ingest/line-protocol";
import type { Precision } from "../src/ingest/timestamp";

const NOW_MS = 1_700_000_000_000;

// Test-side oracle of the mapping rules (docs/ingest.md), written from the spec rather than shared with the parser.
const oracleName = (part: string) => part.replace(/[^a-zA-Z0-9_.:-]/gu, "_");
const oracleLabel = (tag: string) => {
  const mapped = tag.replace(/[^a-zA-Z0-9_]/gu, "_");
  return /^[0-9]/.test(mapped) ? `_${mapped}` : mapped;
};
const oracleValue = (value: string) => value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
// eslint-disable-next-line no-control-regex -- the control characters a label value may not hold, and the invisible and bidi formatting ones
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;
// The few formatting characters allowed in context (ZWJ/ZWNJ, emoji variation selectors, direction
// marks) are left out of the generated keys: their context rules are tested in packages/events.
const CONTEXTUAL = /[\u200c-\u200f\u061c]|\ufe0e|\ufe0f/;
/** The `{...}` label text of a line's tags, or null when the spec says the line is refused (for any field). */
function oracleLabels(tags: readonly (readonly [string, string])[]): string | null {
  const labels = tags.map(([k, v]) => [oracleLabel(k), v] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < labels.length; i++) {
    const [label, value] = labels[i]!;
    if (label.startsWith("__") || label.length > 128 || CONTROL.test(value) || value.length > 1024) return null;
    if (label === "host" && /^\s|\s$/u.test(value)) return null;
    if (i > 0 && labels[i - 1]![0] === label) return null;
  }
  return labels.length === 0 ? "" : `{${labels.map(([l, v]) => `${l}="${oracleValue(v)}"`).join(",")}}`;
}
/** The key of a numeric field, or null when the spec refuses it (name over 200, key over 4096 characters). */
function oracleKey(measurement: string, labelText: string, field: string): string | null {
  const name = `${oracleName(measurement)}.${oracleName(field)}`;
  const key = name + labelText;
  return name.length > 200 || key.length > 4096 ? null : key;
}
const escapeKey = (text: string) => text.replace(/[\\, =]/g, (c) => `\\${c}`);
const escapeString = (text: string) => text.replace(/[\\"]/g, (c) => `\\${c}`);

// Keys: anything but newlines (which line protocol cannot carry in keys) and not starting with `#`.
const keyArb = fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" }).filter((k) => !/[\r\n\t]/.test(k) && !k.startsWith("#") && !CONTEXTUAL.test(k));
const tagsArb = fc.uniqueArray(fc.tuple(keyArb, keyArb), { maxLength: 3, selector: ([k]) => k });

type FieldValue = { kind: "float"; v: number } | { kind: "int"; v: bigint } | { kind: "uint"; v: bigint } | { kind: "bool"; v: boolean; text: string } | { kind: "string"; v: string };
const fieldValueArb: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ kind: "float" as const, v: v + 0 })), // + 0 folds -0: String(-0) is "0"
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => ({ kind: "int" as const, v })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => ({ kind: "uint" as const, v })),
  fc.constantFrom("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE").map((text) => ({ kind: "bool" as const, v: text.toLowerCase().startsWith("t"), text })),
  fc.string({ maxLength: 20 }).map((v) => ({ kind: "string" as const, v })),
);

const serializeValue = (f: FieldValue): string => {
  switch (f.kind) {
    case "float": return String(f.v);
    case "int": return `${f.v}i`;
    case "uint": return `${f.v}u`;
    case "bool": return f.text;
    case "string": return `"${escapeString(f.v)}"`;
  }
};
const expectedValue = (f: FieldValue): number | null =>
  f.kind === "string" ? null : f.kind === "bool" ? (f.v ? 1 : 0) : Number(f.v);

const lineArb = fc.record({
  measurement: keyArb,
  tags: tagsArb,
  fields: fc.uniqueArray(fc.tuple(keyArb, fieldValueArb), { minLength: 1, maxLength: 4, selector: ([k]) => k }),
  tsMs: fc.option(fc.integer({ min: 0, max: NOW_MS }), { nil: undefined }),
  subMs: fc.integer({ min: 0, max: 999_999 }),
});

const precisionArb = fc.constantFrom<Precision>("s", "ms", "us", "ns");

function serializeTs(tsMs: number, subMs: number, precision: Precision): { text: string; expectedMs: number } {
  switch (precision) {
    case "s": return { text: String(Math.floor(tsMs / 1000)), expectedMs: Math.floor(tsMs / 1000) * 1000 };
    case "ms": return { text: String(tsMs), expectedMs: tsMs };
    case "us": return { text: String(BigInt(tsMs) * 1000n + BigInt(Math.floor(subMs / 1000))), expectedMs: tsMs };
    case "ns": return { text: String(BigInt(tsMs) * 1_000_000n + BigInt(subMs)), expectedMs: tsMs };
  }
}

describe("parseLineProtocol properties", () => {
  it("round-trips generated lines (values, tags, escaping, precision, CRLF)", () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 8 }), precisionArb, fc.constantFrom("\n", "\r\n"), (lines, precision, eol) => {
        const expected: { series: string; ts: number; value: number }[] = [];
        let refused = false;
        const text = lines.map((line) => {
          const ts = line.tsMs === undefined ? undefined : serializeTs(line.tsMs, line.subMs, precision);
          const labelText = oracleLabels(line.tags);
          if (labelText === null) refused = true;
          for (const [key, value] of line.fields) {
            const v = expectedValue(value);
            if (v === null || labelText === null) continue;
            const series = oracleKey(line.measurement, labelText, key);
            if (series === null) refused = true;
            else expected.push({ series, ts: ts?.expectedMs ?? NOW_MS, value: v });
          }
          const tagText = line.tags.map(([k, v]) => `,${escapeKey(k)}=${escapeKey(v)}`).join("");
          const fieldText = line.fields.map(([k, v]) => `${escapeKey(k)}=${serializeValue(v)}`).join(",");
          return `${escapeKey(line.measurement)}${tagText} ${fieldText}${ts ? ` ${ts.text}` : ""}`;
        }).join(eol);
        const result = parseLineProtocol(text, { precision, nowMs: NOW_MS, maxLines: 100, maxFutureMs: 0 });
        if (refused) {
          expect(result.ok).toBe(false);
          return;
        }
        expect(result).toEqual({ ok: true, points: expected });
      }),
      { numRuns: 500 },
    );
  });

  it("reads any decimal text (sign, digits, point) to the same double as Number()", () => {
    const decimal = fc.tuple(fc.boolean(), fc.stringMatching(/^[0-9]{0,18}$/), fc.option(fc.stringMatching(/^[0-9]{0,18}$/), { nil: undefined }))
      .map(([neg, int, frac]) => `${neg ? "-" : ""}${int}${frac === undefined ? "" : `.${frac}`}`)
      .filter((text) => /[0-9]/.test(text));
    fc.assert(
      fc.property(decimal, (text) => {
        const result = parseLineProtocol(`m v=${text}`, { precision: "ns", nowMs: NOW_MS, maxFutureMs: 0 });
        expect(result).toEqual({ ok: true, points: [{ series: "m.v", ts: NOW_MS, value: Number(text) }] });
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on arbitrary input and always answers ok or errors with line numbers", () => {
    const noisy = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 200, unit: fc.constantFrom(..."ab=, \\\"\n\r#it0123456789.-eu") }),
    );
    fc.assert(
      fc.property(noisy, (body) => {
        const result = parseLineProtocol(body, { precision: "ns", nowMs: NOW_MS, maxLines: 50, maxFutureMs: 60_000 });
        if (result.ok) {
          for (const p of result.points) {
            const parsed = parseSeriesKey(p.series);
            expect(parsed.ok).toBe(true);
            expect(canonicalSeriesKey(p.series)).toBe(p.series);
            expect(Number.isFinite(p.value)).toBe(true);
            expect(Number.isFinite(p.ts)).toBe(true);
          }
        } else {
          expect(result.errors.length).toBeGreaterThan(0);
          expect(result.errors.length).toBeLessThanOrEqual(20);
          const lineCount = body.split("\n").length;
          for (const e of result.errors) {
            expect(e.line).toBeGreaterThanOrEqual(1);
            expect(e.line).toBeLessThanOrEqual(lineCount);
            expect(e.message.startsWith(`line ${e.line}: `)).toBe(true);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
