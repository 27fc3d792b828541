import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestInputSchema, LABEL_LIMITS, addLabels, canonicalSeriesKey, formatZodIssues, hostValueProblem, labelNameProblem, labelValueProblem, parseSeriesKey, seriesKey, seriesNameProblem, toLabelName } from "../src";

const labelName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/);
// eslint-disable-next-line no-control-regex -- the generator must leave out what labels refuse
const labelValue = fc.string({ maxLength: 40 }).filter((v) => !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(v) && !/^\s|\s$/.test(v));
const INVISIBLE =
  "label value must not contain invisible or bidirectional formatting characters (Unicode Default_Ignorable_Code_Point, Bidi_Control, U+2028, U+2029; " +
  "ZWJ/ZWNJ only between two letters of a script that joins, U+FE0E/U+FE0F only after an emoji, LRM/RLM/ALM only in a value with right-to-left letters)";
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
      const rule = `${INVISIBLE}: U+${hex} at index 3`;
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

  // Attack review (F4): the hand-written list let these through, and in Chromium each rendered as `web1`.
  // The rule is now Unicode's Default_Ignorable_Code_Point and Bidi_Control properties, with ZWJ/ZWNJ,
  // emoji variation selectors and direction marks allowed only where they have a job.
  it.each([
    ["U+00AD soft hyphen", "web\u00ad1", "00AD", 3],
    ["U+034F combining grapheme joiner", "web\u034f1", "034F", 3],
    ["U+061C arabic letter mark", "web\u061c1", "061C", 3],
    ["U+115F hangul choseong filler", "web1\u115f", "115F", 4],
    ["U+180E mongolian vowel separator", "web\u180e1", "180E", 3],
    ["U+2060 word joiner", "web\u20601", "2060", 3],
    ["U+2061 function application", "web\u20611", "2061", 3],
    ["U+2064 invisible plus", "web\u20641", "2064", 3],
    ["U+206F nominal digit shapes", "web\u206f1", "206F", 3],
    ["U+2028 line separator", "web1\u2028", "2028", 4],
    ["U+2029 paragraph separator", "web1\u2029", "2029", 4],
    ["U+3164 hangul filler", "web1\u3164", "3164", 4],
    ["U+FE0F variation selector 16 after a letter", "web\ufe0f1", "FE0F", 3],
    ["U+FFA0 halfwidth hangul filler", "web1\uffa0", "FFA0", 4],
    ["U+E0020 tag space", "web\u{e0020}1", "E0020", 3],
    ["U+E0001 language tag", "web\u{e0001}1", "E0001", 3],
    ["U+E0100 variation selector 17", "web\u{e0100}1", "E0100", 3],
    ["U+1D173 musical symbol begin beam", "web\u{1d173}1", "1D173", 3],
    ["a leading byte order mark", "\ufeffweb1", "FEFF", 0],
    ["ZWJ between Latin letters", "web\u200d1", "200D", 3],
    ["ZWNJ at the end of Persian", "\u0645\u06cc\u200c", "200C", 2],
    ["two ZWNJ in a row", "\u0645\u06cc\u200c\u200c\u0634", "200C", 2],
    ["an emoji ZWJ sequence", "\u{1f468}\u200d\u{1f4bb}", "200D", 2],
    ["a tag-sequence flag", "\u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}", "E0067", 2],
    ["RLM without right-to-left letters", "web1\u200f", "200F", 4],
  ])("%s in a label value is refused naming the character and its index", (_, value, hex, index) => {
    expect(labelValueProblem(value)).toBe(`${INVISIBLE}: U+${hex} at index ${index}`);
    expect(parseSeriesKey(seriesKey("m", { dev: value }))).toMatchObject({ ok: false, label: "dev" });
  });

  it("C1 controls are refused like C0 ones", () => {
    expect(labelValueProblem("web\u00851")).toBe("label value must not contain control characters");
    expect(labelValueProblem("web\u009b1")).toBe("label value must not contain control characters");
  });

  it.each([
    ["Persian with ZWNJ between letters", "\u0645\u06cc\u200c\u0634\u0648\u062f"],
    ["Hindi with ZWJ after a virama", "\u0915\u094d\u200d\u0937"],
    ["Malayalam with ZWJ after a virama (chillu)", "\u0d28\u0d4d\u200d\u0d28"],
    ["Hebrew with RLM after punctuation", "\u05e9\u05e8\u05ea \u05d0.\u200f"],
    ["an emoji with U+FE0F", "\u{1f5a5}\ufe0f"],
  ])("%s stays valid (the old list refused the joiners and marks these need)", (_, value) => {
    expect(labelValueProblem(value)).toBeNull();
    expect(parseSeriesKey(seriesKey("m", { host: value }))).toMatchObject({ ok: true });
  });

  // Attack review (F4): `web1 `, `web1\n`, `web1\u00a0` showed in the fleet view as a second `web1`.
  it.each([
    ["web1 ", "0020", 4],
    [" web1", "0020", 0],
    ["web1\n", "000A", 4],
    ["web1\u00a0", "00A0", 4],
    ["web1\u3000", "3000", 4],
    ["\tweb1", "0009", 0],
  ])("a host value with whitespace at one end (%j) is refused; other labels keep theirs", (value, hex, index) => {
    const problem = hostValueProblem(value);
    if (value.startsWith("\t")) expect(problem).toBe("label value must not contain control characters");
    else expect(problem).toBe(`host label value must not begin or end with whitespace: U+${hex} at index ${index}`);
    expect(parseSeriesKey(seriesKey("m", { host: value }))).toMatchObject({ ok: false, label: "host", message: problem });
    expect(IngestInputSchema.safeParse({ points: [{ series: "m", value: 1, labels: { host: value } }] }).success).toBe(false);
    if (!value.startsWith("\t")) expect(parseSeriesKey(seriesKey("m", { path: value }))).toMatchObject({ ok: true });
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
