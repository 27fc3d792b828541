import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestInputSchema, LABEL_LIMITS, addLabels, canonicalSeriesKey, formatZodIssues, labelNameProblem, labelValueProblem, parseSeriesKey, seriesKey, seriesNameProblem, toLabelName } from "../src";

const labelName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/);
// eslint-disable-next-line no-control-regex -- the generator must leave out what labels refuse
const labelValue = fc.string({ maxLength: 40 }).filter((v) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(v));
const seriesName = fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,40}$/);

describe("series keys", () => {
  it("round-trips any name and label set, whatever order the labels were written in", () => {
    fc.assert(
      fc.property(seriesName, fc.dictionary(labelName, labelValue, { maxKeys: 8 }), (name, labels) => {
        const key = seriesKey(name, labels);
        const parsed = parseSeriesKey(key);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const kept = Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ""));
        expect(parsed.value).toEqual({ name, labels: kept });
        const reversed = Object.fromEntries(Object.entries(labels).reverse());
        expect(seriesKey(name, reversed)).toBe(key);
        expect(canonicalSeriesKey(key)).toBe(key);
      }),
    );
  });

  it("keeps a bare name as its own key, and sorts labels", () => {
    expect(seriesKey("host.load.1m")).toBe("host.load.1m");
    expect(seriesKey("host.load.1m", {})).toBe("host.load.1m");
    expect(seriesKey("host.cpu.total", { host: "web1", cpu: "0" })).toBe('host.cpu.total{cpu="0",host="web1"}');
    expect(seriesKey("m", { path: 'C:\\a "b"\nc' })).toBe('m{path="C:\\\\a \\"b\\"\\nc"}');
    expect(canonicalSeriesKey('m{b="2",a="1"}')).toBe('m{a="1",b="2"}');
    expect(canonicalSeriesKey("m{}")).toBe("m");
  });

  it.each([
    ['m{host="a",host="b"}', /label appears twice/, "host"],
    ['m{Host=web1}', /double quotes/, "Host"],
    ['m{1x="a"}', /label name must match/, "1x"],
    ['m{__name__="a"}', /reserved/, "__name__"],
    ['m{a="x"}junk', /nothing may follow/, undefined],
    ['m{a="x"', /expected , or }/, "a"],
    ['m{a="x\\q"}', /bad escape/, "a"],
    ['m{a="' + "v".repeat(LABEL_LIMITS.valueLength + 1) + '"}', /at most 1024 characters/, "a"],
    ["bad name{a=\"1\"}", /series name may only contain/, undefined],
  ])("refuses %j naming the label", (key, message, label) => {
    const parsed = parseSeriesKey(key);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(message);
    expect(parsed.label).toBe(label);
  });

  // #13 left alone (L2): `web\u200b1` showed as `web1` in the fleet view, and bidi overrides can make a
  // value read as another; such characters are refused wherever a label value is checked.
  it.each(["200B", "200C", "200D", "200E", "200F", "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068", "2069", "FEFF"])(
    "a host value with U+%s (invisible or bidi formatting: one host could pass for another) is refused naming the label and the rule",
    (hex) => {
      const code = Number.parseInt(hex, 16);
      const rule = `label value must not contain invisible or bidirectional formatting characters (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF): U+${hex} at index 3`;
      const value = `web${String.fromCharCode(code)}1`;
      expect(labelValueProblem(value)).toBe(rule);
      const parsed = parseSeriesKey(seriesKey("host.load.1m", { host: value }));
      expect(parsed).toMatchObject({ ok: false, label: "host", message: expect.stringContaining(rule) });
      const result = IngestInputSchema.safeParse({ points: [{ series: "host.load.1m", value: 1, labels: { host: value } }] });
      expect(result.success).toBe(false);
      if (!result.success) expect(formatZodIssues(result.error)).toBe(`points[0].labels.host: ${rule}`);
    },
  );

  // Attack review (F5): `x\ud800` and `x\udc00` were two series until a disk restart turned both into
  // `x\ufffd`. A lone surrogate has no UTF-8 form; label and series names are ASCII-only already.
  it.each([
    ["x\ud800", "D800", 1],
    ["x\udc00", "DC00", 1],
    ["ab\udc00\ud800", "DC00", 2],
    ["\ud83d", "D83D", 0],
  ])("a label value with a lone surrogate (%j) is refused naming the index", (value, hex, index) => {
    const rule = `label value must be well-formed Unicode: lone surrogate U+${hex} at index ${index} has no UTF-8 form`;
    expect(labelValueProblem(value)).toBe(rule);
    expect(parseSeriesKey(seriesKey("m", { host: value }))).toMatchObject({ ok: false, label: "host", message: rule });
    expect(labelNameProblem(`a${value}`)).not.toBeNull();
    expect(seriesNameProblem(`m${value}`)).not.toBeNull();
  });

  it("a surrogate pair (one astral code point) stays valid", () => {
    expect(labelValueProblem("db-\u{1f5c4}")).toBeNull();
  });

  it("other non-ASCII label values stay valid (names in any script, emoji, a lone combining mark)", () => {
    for (const value of ["wéb-1", "сервер", "サーバー", "خادم", "🖥️", "e\u0301", "\u200a"]) expect(labelValueProblem(value)).toBeNull();
  });

  it("refuses more labels than the limit", () => {
    const labels = Object.fromEntries(Array.from({ length: LABEL_LIMITS.labelsPerSeries + 1 }, (_, i) => [`l${i}`, "v"]));
    const parsed = parseSeriesKey(seriesKey("m", labels));
    expect(parsed.ok).toBe(false);
  });

  it("adds a point's labels to its key, refusing a conflict by name", () => {
    expect(addLabels('m{cpu="0"}', { host: "web1" })).toEqual({ ok: true, key: 'm{cpu="0",host="web1"}' });
    expect(addLabels('m{host="a"}', { host: "a" })).toEqual({ ok: true, key: 'm{host="a"}' });
    expect(addLabels('m{host="a"}', { host: "b" })).toMatchObject({ ok: false, label: "host" });
  });

  it("a JSON point's __proto__ label is refused as reserved, not dropped by the record parse", () => {
    const result = IngestInputSchema.safeParse(JSON.parse('{"points":[{"series":"m","value":1,"labels":{"__proto__":"x","job":"j"}}]}'));
    expect(result.success).toBe(false);
    if (!result.success) expect(formatZodIssues(result.error)).toMatch(/^points\[0\]\.labels\.__proto__: label names starting with __ are reserved/);
  });

  it("a JSON point's bad label is refused with its path", () => {
    const result = IngestInputSchema.safeParse({ points: [{ series: "m", value: 1, labels: { "bad-name": "x" } }] });
    expect(result.success).toBe(false);
    if (!result.success) expect(formatZodIssues(result.error)).toMatch(/^points\[0\]\.labels\.bad-name: label name must match/);
  });
});

describe("toLabelName", () => {
  it.each([
    ["host", "host"],
    ["host-name", "host_name"],
    ["service.name", "service_name"],
    ["0x", "_0x"],
    ["a😀b", "a_b"],
    ["--x", "__x"],
    ["", ""],
  ])("%j -> %j", (key, label) => {
    expect(toLabelName(key)).toBe(label);
  });
});
