import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LABEL_LIMITS,
  SELECTOR_LIMITS,
  SeriesPatternSchema,
  SeriesSelectorSchema,
  canonicalSelector,
  compileLabelRegex,
  compileSeriesMatcher,
  formatSelector,
  parseSelector,
  parseSeriesKey,
  selector,
  seriesKey,
  seriesPatternKey,
  splitSelectorList,
} from "../src";
import type { LabelMatcher, Selector } from "../src";

const KEYS = [
  "host.cpu.total",
  'host.cpu.total{cpu="0",host="web1"}',
  'host.cpu.total{cpu="1",host="web1"}',
  'host.cpu.total{cpu="0",host="db1"}',
  'host.disk.read{dev="sda",host="web1"}',
  'host.disk.read{dev="nvme0n1",host="web1"}',
  'process.rss_bytes{host="web1"}',
];

function selected(selector: string): string[] {
  const match = compileSeriesMatcher([selector]);
  return KEYS.filter((key) => match(key));
}

describe("parseSelector", () => {
  it.each([
    ["host.cpu.*", "host.cpu.*"],
    ["*", "*"],
    ["*{}", "*"],
    ["host.cpu.total{}", "host.cpu.total"],
    ['host.cpu.total{host="web1"}', 'host.cpu.total{host="web1"}'],
    ['{ host = "web1" , cpu != \'0\' , }', '{cpu!="0",host="web1"}'],
    ['*{host="web1"}', '{host="web1"}'],
    ["x{dev=~`sd\\.+`}", 'x{dev=~"sd\\\\.+"}'],
    ['x{dev=~"sd\\.+"}', 'x{dev=~"sd\\\\.+"}'],
    ['x{a="1",a="1",b!~"q"}', 'x{a="1",b!~"q"}'],
    ['x{a="say \\"hi\\"\\n"}', 'x{a="say \\"hi\\"\\n"}'],
    ['{__name__=~"host\\..*"}', '{__name__=~"host\\\\..*"}'],
  ])("%s -> canonical %s", (text, canonical) => {
    expect(canonicalSelector(text)).toBe(canonical);
    // Canonical text is a fixed point.
    expect(canonicalSelector(canonical)).toBe(canonical);
  });

  it.each([
    ["", /must not be empty/],
    ["{}", /needs a name pattern or a label matcher/],
    ["a b", /only contain letters/],
    ["a?", /only contain letters/],
    ["x".repeat(201), /at most 200 characters/],
    ["x{host}", /matcher host: expected one of = != =~ !~/],
    ["x{host=web1}", /matcher host=: the value must be quoted/],
    ['x{host="web1}', /matcher host=: the value has no closing "/],
    ['x{host="web1" cpu="0"}', /matcher host=: expected , or }/],
    ['x{1host="a"}', /matcher 1host: label name must match/],
    ['x{__job="a"}', /matcher __job: label names starting with __ are reserved/],
    ['x{a="1"}y', /nothing may follow/],
    ['x{dev=~"(a)\\1"}', /matcher dev=~: bad regex .*invalid escape/],
    ['x{dev=~"a(?=b)"}', /matcher dev=~: bad regex .*unsupported Perl syntax/],
    ['x{dev!~"(?<!a)b"}', /matcher dev!~: bad regex/],
    ['x{dev=~"(ab"}', /matcher dev=~: bad regex .*missing closing \)/],
    [`x{dev=~"${"a".repeat(SELECTOR_LIMITS.regexLength + 1)}"}`, /matcher dev=~: the regex must be at most 512 characters \(got 513\)/],
    ['x{dev=~"(a|b|c|d){1000}"}', /matcher dev=~: the regex compiles to \d+ instructions, over the limit of 2000/],
    [`x{dev="${"v".repeat(LABEL_LIMITS.valueLength + 1)}"}`, /matcher dev=: the value must be at most 1024 characters/],
    [`x{${Array.from({ length: SELECTOR_LIMITS.matchersPerSelector + 1 }, (_, i) => `l${i}="v"`).join(",")}}`, /at most 16 label matchers/],
    [`x{a="${"v".repeat(SELECTOR_LIMITS.selectorLength)}"}`, /selector must be at most 2048 characters/],
  ])("refuses %#, naming the matcher and the limit", (text, message) => {
    const parsed = parseSelector(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it("the schema gives the canonical text and names the selector in its error", () => {
    expect(SeriesSelectorSchema.parse("{ host='web1' }")).toBe('{host="web1"}');
    const bad = SeriesSelectorSchema.safeParse('x{dev=~"(a"}');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/^matcher dev=~: bad regex .* \(in selector "x\{dev=~\\"\(a\\"\}"\)$/);
    // Every old bare glob is still a pattern, unchanged.
    for (const glob of ["a", "host.cpu.*", "*", "x".repeat(200), `${"*".repeat(26)}Q`]) expect(SeriesPatternSchema.parse(glob)).toBe(glob);
  });
});

describe("selector semantics (Prometheus)", () => {
  it.each([
    ["host.cpu.total", [KEYS[0], KEYS[1], KEYS[2], KEYS[3]]],
    ["host.*", KEYS.slice(0, 6)],
    ['host.cpu.total{host="web1"}', [KEYS[1], KEYS[2]]],
    ['host.cpu.total{host="web1",cpu!="0"}', [KEYS[2]]],
    ['{host="web1"}', [KEYS[1], KEYS[2], KEYS[4], KEYS[5], KEYS[6]]],
    // A label a series lacks has the value "".
    ['host.cpu.total{host=""}', [KEYS[0]]],
    ['host.cpu.total{host!=""}', [KEYS[1], KEYS[2], KEYS[3]]],
    ['host.cpu.total{cpu!="0"}', [KEYS[0], KEYS[2]]],
    // Regexes are anchored at both ends: "sd" alone does not match "sda".
    ['{dev=~"sd"}', []],
    ['{dev=~"sd.*"}', [KEYS[4]]],
    ['{dev=~"sd.*|nvme.*"}', [KEYS[4], KEYS[5]]],
    ['host.disk.read{dev!~"sd.*"}', [KEYS[5]]],
    ['host.cpu.total{host=~""}', [KEYS[0]]],
    ['host.cpu.total{host=~"web.*|"}', [KEYS[0], KEYS[1], KEYS[2]]],
    ['{__name__=~"process\\..*"}', [KEYS[6]]],
    ['{__name__="host.cpu.total",cpu="1"}', [KEYS[2]]],
  ])("%s", (selector, expected) => {
    expect(selected(selector)).toEqual(expected);
  });

  it("a list matches when any selector does; invalid selectors match nothing", () => {
    const match = compileSeriesMatcher(['host.cpu.total{cpu="1"}', "process.*", "{bad"]);
    expect(KEYS.filter(match)).toEqual([KEYS[2], KEYS[6]]);
    expect(compileSeriesMatcher(["{bad"])("a")).toBe(false);
  });

  it("a value with quotes, backslashes and newlines matches its key", () => {
    const key = seriesKey("app.log", { msg: 'say "hi"\\\nbye' });
    expect(compileSeriesMatcher([`app.log{msg="say \\"hi\\"\\\\\\nbye"}`])(key)).toBe(true);
    expect(compileSeriesMatcher(['app.log{msg=~"say.*bye"}'])(key)).toBe(true); // `.` matches the newline
  });
});

// ---- property test against a slow reference ----

const NAMES = ["a", "b", "a.b", "ab"];
const LABELS = ["x", "y", "z"];
const VALUES = ["", "a", "b", "ab", "a.b", "ba"];

/** The glob as a backtracking RegExp: fine on the tiny generated names, never on client input. */
function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((part) => part.replace(/[.\\^$+?()[\]{}|-]/g, "\\$&")).join(".*")}$`, "s");
}

function reference(selector: Selector, key: string): boolean {
  const parsed = parseSeriesKey(key);
  if (!parsed.ok) throw new Error(parsed.message);
  const { name, labels } = parsed.value;
  if (selector.name !== null && !globRegExp(selector.name).test(name)) return false;
  return selector.matchers.every((m) => {
    const value = m.label === "__name__" ? name : (labels[m.label] ?? "");
    if (m.op === "=") return value === m.value;
    if (m.op === "!=") return value !== m.value;
    const full = new RegExp(`^(?:${m.value})$`, "s").test(value);
    return m.op === "=~" ? full : !full;
  });
}

const regexArb = fc
  .array(fc.tuple(fc.constantFrom("a", "b", ".", "(a|b)", "ab"), fc.constantFrom("", "*", "+", "?")), { minLength: 0, maxLength: 4 })
  .chain((atoms) => fc.constantFrom("", "|a", "|").map((alt) => atoms.map(([atom, q]) => atom + q).join("") + alt));

const matcherArb: fc.Arbitrary<LabelMatcher> = fc.oneof(
  fc.record({ label: fc.constantFrom(...LABELS, "__name__"), op: fc.constantFrom("=" as const, "!=" as const), value: fc.constantFrom(...VALUES, ...NAMES) }),
  fc.record({ label: fc.constantFrom(...LABELS, "__name__"), op: fc.constantFrom("=~" as const, "!~" as const), value: regexArb }),
);

const selectorArb: fc.Arbitrary<Selector> = fc
  .record({
    name: fc.constantFrom(null, "a", "a*", "*b", "a.b", "*.*", "*"),
    matchers: fc.array(matcherArb, { minLength: 0, maxLength: 3 }),
  })
  .filter((s) => s.name !== null || s.matchers.length > 0);

const keyArb = fc
  .record({ name: fc.constantFrom(...NAMES), labels: fc.dictionary(fc.constantFrom(...LABELS), fc.constantFrom(...VALUES), { maxKeys: 3 }) })
  .map(({ name, labels }) => seriesKey(name, labels));

/** Writes a selector the way a person might: spaces, single quotes, backticks for regexes, trailing comma. */
function messyText(selector: Selector, style: number): string {
  if (selector.matchers.length === 0) return selector.name ?? "*";
  const quote = (m: LabelMatcher) => {
    if ((m.op === "=~" || m.op === "!~") && style % 2 === 0) return "`" + m.value + "`";
    return style % 3 === 0 ? `'${m.value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : JSON.stringify(m.value);
  };
  const sep = style % 4 === 0 ? " , " : ",";
  const body = selector.matchers.map((m) => `${m.label}${style % 5 === 0 ? " " : ""}${m.op}${quote(m)}`).join(sep);
  return `${selector.name ?? ""}{${body}${style % 7 === 0 ? "," : ""}}`;
}

describe("selectors against a slow reference", () => {
  it("agree on generated selectors and keys, however they are written", () => {
    fc.assert(
      fc.property(selectorArb, fc.nat(100), fc.array(keyArb, { minLength: 1, maxLength: 6 }), (selector, style, keys) => {
        const text = messyText(selector, style);
        const parsed = parseSelector(text);
        expect(parsed.ok).toBe(true);
        const canonical = formatSelector(parsed.ok ? parsed.value : selector);
        expect(canonicalSelector(canonical)).toBe(canonical);
        const match = compileSeriesMatcher([text]);
        const matchCanonical = compileSeriesMatcher([canonical]);
        for (const key of keys) {
          expect(match(key)).toBe(reference(selector, key));
          expect(matchCanonical(key)).toBe(match(key));
        }
      }),
      { numRuns: 1500 },
    );
  }, 60_000); // 1500 runs that compile re2js programs: seconds on a loaded machine, not a speed check
});

describe("hostile regexes cost linear work", () => {
  /** Reads of the value the engine makes: the value as UTF-8 bytes behind a counting proxy. */
  function reads(source: string, value: string): { matched: boolean; reads: number } {
    const test = compileLabelRegex(source);
    let count = 0;
    const bytes = [...Buffer.from(value, "utf8")];
    const counted = new Proxy(bytes, {
      get(target, property, receiver) {
        if (typeof property === "string" && /^\d+$/.test(property)) count++;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const matched = test(counted);
    return { matched, reads: count };
  }

  it.each([
    ["(a*)*b", (n: number) => "a".repeat(n), false],
    ["(a|aa)*c", (n: number) => "a".repeat(n), false],
    ["(a+)+$", (n: number) => "a".repeat(n) + "!", false],
    ["(.*a){12}", (n: number) => "a".repeat(n), true],
    ["(x+x+)+y", (n: number) => "x".repeat(n), false],
  ])("%s on values of 1k..32k characters: reads grow linearly", (source, value, expected) => {
    // A backtracking engine needs about 2^n steps on these; RE2 reads each byte a bounded number of times.
    const sizes = [1_000, 4_000, 32_000];
    const counts = sizes.map((n) => {
      const r = reads(source, value(n));
      expect(r.matched).toBe(expected);
      return r.reads;
    });
    for (let i = 0; i < sizes.length; i++) expect(counts[i]!).toBeLessThanOrEqual(3 * sizes[i]! + 16);
    expect(counts[2]! / counts[0]!).toBeLessThanOrEqual((sizes[2]! / sizes[0]!) * 1.1);
  });

  it("a selector with such a regex answers on a 1024-character label value", () => {
    const key = seriesKey("x", { v: "a".repeat(LABEL_LIMITS.valueLength) });
    expect(compileSeriesMatcher(['x{v=~"(a*)*b"}'])(key)).toBe(false);
    expect(compileSeriesMatcher(['x{v!~"(a*)*b"}'])(key)).toBe(true);
  });
});

describe("splitSelectorList", () => {
  it.each([
    ["a,b.*", ["a", "b.*"]],
    ['a{x="1",y="2"},b.*', ['a{x="1",y="2"}', "b.*"]],
    ['a{x="1,2"},{y=~"p,q"}', ['a{x="1,2"}', '{y=~"p,q"}']],
    ["a{x='}',y=`,`}, b", ["a{x='}',y=`,`}", "b"]],
    ['a{x="q\\",r"},b', ['a{x="q\\",r"}', "b"]],
    ["a,,b", ["a", "", "b"]],
    ["", [""]],
  ])("%j", (text, expected) => {
    expect(splitSelectorList(text)).toEqual(expected);
  });

  it.each([
    ['sum by (a,b) (c{x="1",y="2"}),d', { parentheses: true }, ['sum by (a,b) (c{x="1",y="2"})', "d"]],
    ["sum by (a,b) (c)", {}, ["sum by (a", "b) (c)"]],
    ['f(")",x),g', { parentheses: true }, ['f(")",x)', "g"]],
    ["a,,b,", { dropEmpty: true }, ["a", "b"]],
    ["a,,b,", { parentheses: true }, ["a", "", "b", ""]],
  ] as const)("%j with %j", (text, options, expected) => {
    expect(splitSelectorList(text, options)).toEqual(expected);
  });

  it("gives back any list of canonical selectors joined by commas", () => {
    fc.assert(
      fc.property(fc.array(selectorArb, { minLength: 1, maxLength: 5 }), (selectors) => {
        const texts = selectors.map((s) => canonicalSelector(messyText(s, 1))!);
        expect(splitSelectorList(texts.join(","))).toEqual(texts);
      }),
      { numRuns: 500 },
    );
  }, 60_000);
});

describe("seriesPatternKey", () => {
  it("cannot confuse one selector holding a comma with two selectors", () => {
    expect(seriesPatternKey(['a{x="1",y="2"}'])).not.toBe(seriesPatternKey(['a{x="1"', 'y="2"}']));
  });
});

describe("selector() builder", () => {
  it("quotes, sorts and checks what it builds", () => {
    expect(selector("host.cpu.total", { host: "web1", cpu: { ne: "0" } })).toBe('host.cpu.total{cpu!="0",host="web1"}');
    expect(selector(null, { dev: [{ re: "sd.*" }, { nre: "sda" }] })).toBe('{dev!~"sda",dev=~"sd.*"}');
    expect(selector("app.log", { msg: 'say "hi"\n' })).toBe('app.log{msg="say \\"hi\\"\\n"}');
    expect(selector("host.*")).toBe("host.*");
    expect(() => selector("x", { dev: { re: "(a)\\1" } })).toThrow(/matcher dev=~: bad regex/);
    expect(() => selector("x", { "bad-label": "1" })).toThrow(/matcher bad-label: label name must match/);
    // What it builds selects what it says.
    expect(compileSeriesMatcher([selector("host.cpu.total", { host: "web1", cpu: { ne: "0" } })])(KEYS[2]!)).toBe(true);
  });
});
