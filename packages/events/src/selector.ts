import { RE2JS } from "re2js";
import { z } from "zod";
import { compileGlobMatcher } from "./glob";
import { LABEL_LIMITS, labelNameProblem, parseSeriesKey } from "./labels";
import type { ParsedSeriesKey } from "./labels";
import { SERIES_NAME_MAX_LENGTH } from "./series";

/**
 * Series selectors: `namePattern{matchers}`, Prometheus' instant-vector selector over Livedash keys.
 *
 * - `host.cpu.*` (a bare glob, as before labels): every series whose NAME matches, whatever its labels.
 * - `host.cpu.total{host="web1",cpu!="0",dev=~"sd.*",mode!~"idle|iowait"}`: the name and every matcher.
 * - `{host="web1"}`: any name.
 *
 * Matchers follow Prometheus: `=` / `!=` compare the value, `=~` / `!~` test a regular expression
 * anchored at both ends; a label the series does not carry has the value "" (so `dev=""` selects the
 * series without `dev`, `dev!=""` those with it). `__name__` matches the series name. Regexes run in
 * re2js (RE2's linear-time automata): no backreferences or lookaround, and no input can make one cost
 * more than linear time in the value. A JS RegExp never sees client text.
 *
 * Values are quoted with `"` or `'` (escapes `\\ \" \' \n \t`; any other backslash is kept as is, so
 * `=~"a\.b"` means the regex `a\.b`) or with backticks (raw, no escapes).
 */

/** Limits of one selector; the errors name the matcher and the limit. */
export const SELECTOR_LIMITS = {
  /** Characters in one selector as written. */
  selectorLength: 2048,
  /** Label matchers in one selector. */
  matchersPerSelector: 16,
  /** Characters in one regular expression (`=~`, `!~`). */
  regexLength: 512,
  /** RE2 program size of one regex (`[a-z]{1000}` is 1002): bounds compile time and memory. */
  regexProgramSize: 2000,
} as const;

export type MatchOp = "=" | "!=" | "=~" | "!~";

export interface LabelMatcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface Selector {
  /** The name glob (`*` any run of characters), or null for any name. */
  readonly name: string | null;
  /** Sorted by label, op, value; without duplicates. */
  readonly matchers: readonly LabelMatcher[];
}

export type SelectorResult = { ok: true; value: Selector } | { ok: false; message: string };

const NAME_PATTERN_CHAR = /[a-zA-Z0-9_.:*-]/;
const ESCAPES: Record<string, string> = { "\\": "\\", '"': '"', "'": "'", n: "\n", t: "\t" };

function describeMatcher(label: string, op?: string): string {
  return op === undefined ? `matcher ${label}` : `matcher ${label}${op}`;
}

/**
 * Parses one selector in a single left-to-right pass. Errors name the matcher (`matcher dev=~: ...`)
 * and the limit; regexes are compiled here, so an accepted selector always compiles.
 */
export function parseSelector(text: string): SelectorResult {
  const fail = (message: string): SelectorResult => ({ ok: false, message });
  if (text.length === 0) return fail("series pattern must not be empty");
  if (text.length > SELECTOR_LIMITS.selectorLength) return fail(`selector must be at most ${SELECTOR_LIMITS.selectorLength} characters (got ${text.length})`);
  let i = 0;
  while (i < text.length && NAME_PATTERN_CHAR.test(text[i]!)) i++;
  const namePart = text.slice(0, i);
  if (namePart.length > SERIES_NAME_MAX_LENGTH) return fail(`series pattern must be at most ${SERIES_NAME_MAX_LENGTH} characters`);
  if (i === text.length) return { ok: true, value: { name: namePart === "*" ? null : namePart, matchers: [] } };
  if (text[i] !== "{") {
    return fail(`series pattern may only contain letters, digits, _ . : - and the glob * (got ${JSON.stringify(text[i])} at character ${i}); label matchers go in {}`);
  }
  const matchers: LabelMatcher[] = [];
  i++;
  const skipSpace = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  };
  for (;;) {
    skipSpace();
    if (text[i] === "}") break;
    const start = i;
    while (i < text.length && /[a-zA-Z0-9_]/.test(text[i]!)) i++;
    const label = text.slice(start, i);
    if (label === "") return fail(`expected a label name at character ${start}`);
    if (label !== "__name__") {
      const problem = labelNameProblem(label);
      if (problem) return fail(`${describeMatcher(label)}: ${problem}`);
    }
    skipSpace();
    const op = text.startsWith("=~", i) ? "=~" : text.startsWith("!~", i) ? "!~" : text.startsWith("!=", i) ? "!=" : text[i] === "=" ? "=" : null;
    if (op === null) return fail(`${describeMatcher(label)}: expected one of = != =~ !~ at character ${i}`);
    i += op.length;
    skipSpace();
    const quote = text[i];
    if (quote !== '"' && quote !== "'" && quote !== "`") return fail(`${describeMatcher(label, op)}: the value must be quoted ("...", '...' or \`...\`)`);
    let value = "";
    let j = i + 1;
    for (;;) {
      if (j >= text.length) return fail(`${describeMatcher(label, op)}: the value has no closing ${quote}`);
      const c = text[j]!;
      if (c === quote) break;
      if (c === "\\" && quote !== "`") {
        const next = text[j + 1];
        if (next === undefined) return fail(`${describeMatcher(label, op)}: the value has no closing ${quote}`);
        value += ESCAPES[next] ?? "\\" + next;
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    i = j + 1;
    const regex = op === "=~" || op === "!~";
    if (!regex && value.length > LABEL_LIMITS.valueLength) {
      return fail(`${describeMatcher(label, op)}: the value must be at most ${LABEL_LIMITS.valueLength} characters (got ${value.length})`);
    }
    if (regex) {
      const problem = regexProblem(value);
      if (problem) return fail(`${describeMatcher(label, op)}: ${problem}`);
    }
    matchers.push({ label, op, value });
    if (matchers.length > SELECTOR_LIMITS.matchersPerSelector) return fail(`a selector may have at most ${SELECTOR_LIMITS.matchersPerSelector} label matchers`);
    skipSpace();
    if (text[i] === ",") {
      i++;
      continue;
    }
    if (text[i] === "}") break;
    return fail(`${describeMatcher(label, op)}: expected , or } at character ${i}`);
  }
  if (i !== text.length - 1) return fail("nothing may follow the closing } of the matchers");
  if (namePart === "" && matchers.length === 0) return fail("a selector needs a name pattern or a label matcher ({} selects nothing; * selects every series)");
  return { ok: true, value: { name: namePart === "" || namePart === "*" ? null : namePart, matchers: normalize(matchers) } };
}

function normalize(matchers: LabelMatcher[]): LabelMatcher[] {
  const key = (m: LabelMatcher) => `${m.label}\u0000${m.op}\u0000${m.value}`;
  const unique = new Map(matchers.map((m) => [key(m), m]));
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, m]) => m);
}

/** Compiles a regex as Prometheus does (`.` matches a newline); throws on bad syntax. */
function compileRegex(source: string): RE2JS {
  return RE2JS.compile(source, RE2JS.DOTALL);
}

/**
 * The one way a client's regex is run: re2js, fully anchored (`testExact`), linear in the value.
 * Takes the value as a string or as UTF-8 bytes (the tests count the engine's reads through those).
 * Throws on what RE2 refuses; parseSelector checks first and names the matcher.
 */
export function compileLabelRegex(source: string): (value: string | number[]) => boolean {
  const re = compileRegex(source);
  return (value) => re.testExact(value);
}

/** Why a regex is refused (length, syntax re2 rejects such as backreferences or lookaround, size), or null. */
function regexProblem(source: string): string | null {
  if (source.length > SELECTOR_LIMITS.regexLength) return `the regex must be at most ${SELECTOR_LIMITS.regexLength} characters (got ${source.length})`;
  let compiled: RE2JS;
  try {
    compiled = compileRegex(source);
  } catch (error) {
    return `bad regex (RE2 syntax: no backreferences or lookaround): ${error instanceof Error ? error.message : String(error)}`;
  }
  const size = compiled.programSize();
  if (size > SELECTOR_LIMITS.regexProgramSize) return `the regex compiles to ${size} instructions, over the limit of ${SELECTOR_LIMITS.regexProgramSize}`;
  return null;
}

function quoteValue(value: string): string {
  return '"' + value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t") + '"';
}

/**
 * The canonical text of a selector: `name{label op "value",...}`, matchers sorted and deduplicated,
 * `*{...}` written `{...}`, no `{}` without matchers. Equal selectors have equal text, so the server
 * compiles and tests each distinct one once.
 */
export function formatSelector(selector: Selector): string {
  const name = selector.name ?? (selector.matchers.length === 0 ? "*" : "");
  if (selector.matchers.length === 0) return name;
  return `${name}{${selector.matchers.map((m) => m.label + m.op + quoteValue(m.value)).join(",")}}`;
}

/** The canonical text of a selector as written, or null when it does not parse. */
export function canonicalSelector(text: string): string | null {
  const parsed = parseSelector(text);
  return parsed.ok ? formatSelector(parsed.value) : null;
}

/** The literal name a selector is limited to (its name has no `*`), or null when any name may match. */
export function selectorLiteralName(selector: Selector): string | null {
  return selector.name !== null && !selector.name.includes("*") ? selector.name : null;
}

/** A compiled selector over a parsed key: the name glob, then each matcher (regexes in re2js). */
export type KeyPredicate = (key: ParsedSeriesKey) => boolean;

function compileMatcher(matcher: LabelMatcher): KeyPredicate {
  const { label, op, value } = matcher;
  const read = label === "__name__" ? (key: ParsedSeriesKey) => key.name : (key: ParsedSeriesKey) => key.labels[label] ?? "";
  switch (op) {
    case "=":
      return (key) => read(key) === value;
    case "!=":
      return (key) => read(key) !== value;
    case "=~": {
      const test = memoByValue(compileLabelRegex(value));
      return (key) => test(read(key));
    }
    case "!~": {
      const test = memoByValue(compileLabelRegex(value));
      return (key) => !test(read(key));
    }
  }
}

/** Distinct values one regex matcher remembers its answer for; past it the memo starts over. */
const REGEX_MEMO_VALUES = 1024;

/**
 * A regex costs about 20 ns per character of the value in re2js (a glob about 1), and label values
 * repeat across keys (one `host` value on every series of that host): each distinct value is run once
 * per matcher while the bounded memo holds it.
 */
function memoByValue(test: (value: string) => boolean): (value: string) => boolean {
  const memo = new Map<string, boolean>();
  return (value) => {
    let hit = memo.get(value);
    if (hit === undefined) {
      if (memo.size >= REGEX_MEMO_VALUES) memo.clear();
      hit = test(value);
      memo.set(value, hit);
    }
    return hit;
  };
}

/** Compiles one selector (text or parsed) into a predicate over parsed keys; throws on an invalid text. */
export function compileSelector(selector: Selector | string): KeyPredicate {
  let parsed: Selector;
  if (typeof selector === "string") {
    const result = parseSelector(selector);
    if (!result.ok) throw new Error(`selector ${JSON.stringify(selector)}: ${result.message}`);
    parsed = result.value;
  } else parsed = selector;
  const name = parsed.name === null ? null : compileGlobMatcher([parsed.name]);
  // Cheapest first: the name glob, then = and != (a string compare), then regexes.
  const isRegex = (m: LabelMatcher) => m.op === "=~" || m.op === "!~";
  const matchers = [...parsed.matchers.filter((m) => !isRegex(m)), ...parsed.matchers.filter(isRegex)].map(compileMatcher);
  return (key) => {
    if (name !== null && !name(key.name)) return false;
    for (const matcher of matchers) if (!matcher(key)) return false;
    return true;
  };
}

/** The name part of a key without parsing its labels (a key's name never contains `{`). */
export function seriesKeyName(key: string): string {
  const brace = key.indexOf("{");
  return brace === -1 ? key : key.slice(0, brace);
}

/**
 * Compiles selectors into one predicate over series KEYS: true when any selector matches. The key is
 * parsed once per call, and only when some selector has label matchers; callers that see the same
 * key often cache the answer per key. Invalid selectors match nothing (schemas refuse them first).
 */
export function compileSeriesMatcher(selectors: readonly string[]): (key: string) => boolean {
  const names: string[] = [];
  const withMatchers: KeyPredicate[] = [];
  for (const text of selectors) {
    const parsed = parseSelector(text);
    if (!parsed.ok) continue;
    if (parsed.value.matchers.length === 0) names.push(parsed.value.name ?? "*");
    else withMatchers.push(compileSelector(parsed.value));
  }
  const byName = names.length === 0 ? null : compileGlobMatcher(names);
  if (withMatchers.length === 0) return byName === null ? () => false : (key) => byName(seriesKeyName(key));
  return (key) => {
    if (byName !== null && byName(seriesKeyName(key))) return true;
    const parsed = parseSeriesKey(key);
    if (!parsed.ok) return false;
    for (const test of withMatchers) if (test(parsed.value)) return true;
    return false;
  };
}

/** The canonical key of a selector set: sorted, without duplicates, unambiguous whatever the selectors contain. */
export function seriesPatternKey(selectors: readonly string[]): string {
  return JSON.stringify([...new Set(selectors)].sort());
}

export interface SplitSelectorListOptions {
  /**
   * Commas inside parentheses do not split either: the dashboard's chart list holds PromQL-style
   * aggregations (`sum by (host,cpu) (a{x="1"})`).
   * @default false
   */
  parentheses?: boolean;
  /**
   * Drop empty pieces (a trailing comma in a URL) instead of keeping them for the schema to name.
   * @default false
   */
  dropEmpty?: boolean;
}

/**
 * Splits a comma-separated selector list (`/sse?series=`, the CLI) on the commas outside braces and
 * quotes: `a{x="1",y="2"},b.*` is two selectors. Pieces are trimmed; empty ones are kept so the
 * schema names them (unless `dropEmpty`).
 */
export function splitSelectorList(text: string, options: SplitSelectorListOptions = {}): string[] {
  const open = options.parentheses ? "{(" : "{";
  const close = options.parentheses ? "})" : "}";
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      if (c === "\\" && quote !== "`") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (open.includes(c)) depth++;
    else if (close.includes(c)) depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return options.dropEmpty ? out.filter((piece) => piece !== "") : out;
}

/**
 * A series selector on the wire, in its canonical text: a name or glob (`host.cpu.*`, valid as before
 * labels), `name{matchers}` or `{matchers}`. The error names the matcher and the limit.
 */
export const SeriesSelectorSchema = z.string().transform((text, ctx) => {
  const parsed = parseSelector(text);
  if (!parsed.ok) {
    const shown = text.length > 80 ? text.slice(0, 80) + "..." : text;
    ctx.addIssue({ code: "custom", message: text === "" ? parsed.message : `${parsed.message} (in selector ${JSON.stringify(shown)})` });
    return z.NEVER;
  }
  return formatSelector(parsed.value);
});
export type SeriesSelector = z.input<typeof SeriesSelectorSchema>;

/** Every place that took a series pattern takes a selector; old bare globs stay valid. */
export const SeriesPatternSchema = SeriesSelectorSchema;
export type SeriesPattern = SeriesSelector;
