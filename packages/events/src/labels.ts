import { z } from "zod";
import { SERIES_NAME_MAX_LENGTH } from "./series";

/**
 * Labels: a series is a name plus a label set, `host.cpu.total{cpu="0",host="web1"}`.
 *
 * Everywhere past ingest a series is identified by one string, its *key*: the name, then the labels
 * sorted by label name in braces, values quoted with `\\`, `\"` and `\n` escaped (Prometheus' text
 * exposition escaping). A series without labels keeps its bare name as its key, so every name that
 * was valid before labels is a valid key with the same meaning. One string keeps the store, the live
 * path, the event ids and the wire exactly as they were; `parseSeriesKey` gives the parts back.
 */

/** Limits of a label set; the errors name the label and the limit. */
export const LABEL_LIMITS = {
  /** Labels on one series (VictoriaMetrics' default maxLabelsPerTimeseries is 30). */
  labelsPerSeries: 30,
  /** Characters in a label name. */
  nameLength: 128,
  /** Characters in a label value. */
  valueLength: 1024,
  /** Characters in a whole series key, name and labels. */
  keyLength: 4096,
} as const;

/** Prometheus' label name charset: OpenTelemetry's dotted attribute keys map to underscores. */
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SERIES_NAME_RE = /^[a-zA-Z0-9_.:-]+$/;
// What a label value may not hold, found in one linear scan (no backtracking: single-character classes):
// C0 controls other than \n, DEL and the C1 controls; lone surrogates (no UTF-8 form, attack review F5);
// the line and paragraph separators; and every Unicode Default_Ignorable_Code_Point and Bidi_Control
// character. Those render as nothing: `web\u00ad1`, `web\u20601`, `web\u{e0020}1` showed in the fleet
// view as a second `web1`, and an override makes a value read as another (Trojan Source, CVE-2021-42574).
// Deriving the set from Unicode properties rather than a hand-written list (attack review F4: U+00AD,
// U+034F, U+115F, U+180E, U+2060-2064, U+3164, U+FE0F, U+FFA0, tag characters... all passed the list).
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const REFUSED_CHAR_RE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/gu;
const ZWNJ = 0x200c;
const ZWJ = 0x200d;
/** LRM, RLM, ALM: the implicit direction marks (not overrides, embeddings or isolates). */
const DIRECTION_MARKS = new Set([0x200e, 0x200f, 0x061c]);
/** Letters and marks of the scripts whose spelling uses ZWJ/ZWNJ: Arabic-script languages (Persian, Urdu, Kurdish), Syriac, N'Ko, Mongolian, the Brahmic scripts (after a virama). */
const JOINING_SCRIPT_RE =
  /^(?=[\p{L}\p{M}])[\p{scx=Arabic}\p{scx=Syriac}\p{scx=Nko}\p{scx=Mandaic}\p{scx=Mongolian}\p{scx=Devanagari}\p{scx=Bengali}\p{scx=Gurmukhi}\p{scx=Gujarati}\p{scx=Oriya}\p{scx=Tamil}\p{scx=Telugu}\p{scx=Kannada}\p{scx=Malayalam}\p{scx=Sinhala}\p{scx=Myanmar}\p{scx=Khmer}]$/u;
/** A letter of a right-to-left script: where LRM/RLM/ALM have a job. */
const RTL_LETTER_RE = /[\p{sc=Hebrew}\p{sc=Arabic}\p{sc=Syriac}\p{sc=Thaana}\p{sc=Nko}\p{sc=Samaritan}\p{sc=Mandaic}](?<=\p{L})/u;
const INVISIBLE_RULE =
  "label value must not contain invisible or bidirectional formatting characters (Unicode Default_Ignorable_Code_Point, Bidi_Control, U+2028, U+2029; " +
  "ZWJ/ZWNJ only between two letters of a script that joins, U+FE0E/U+FE0F only after an emoji, LRM/RLM/ALM only in a value with right-to-left letters)";

export type Labels = Readonly<Record<string, string>>;

/** Why a label name is refused, or null. */
export function labelNameProblem(name: string): string | null {
  if (name.length === 0) return "label name must not be empty";
  if (name.length > LABEL_LIMITS.nameLength) return `label name must be at most ${LABEL_LIMITS.nameLength} characters`;
  if (!LABEL_NAME_RE.test(name)) return "label name must match [a-zA-Z_][a-zA-Z0-9_]*";
  if (name.startsWith("__")) return "label names starting with __ are reserved";
  return null;
}

/** [a-zA-Z0-9_] by char code. */
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * Maps a foreign key (an Influx tag key, an OpenTelemetry attribute key) into the label name charset as
 * Prometheus does: every character outside `[a-zA-Z0-9_]` becomes `_` (one per code point), and a
 * leading digit gets a `_` in front (`host-name` -> `host_name`, `0x` -> `_0x`). The result may still be
 * refused by labelNameProblem (longer than 128 characters, or starting with the reserved `__`).
 */
export function toLabelName(key: string): string {
  let out = "";
  let clean = 0; // chars of `key` before the first one that needed mapping
  let mapped = false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (isLabelChar(c)) {
      if (mapped) out += key[i];
      else clean = i + 1;
      continue;
    }
    if (!mapped) out = key.slice(0, clean);
    mapped = true;
    out += "_";
    // A surrogate pair is one code point: one `_`, not two.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < key.length) {
      const next = key.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  const name = mapped ? out : key;
  const first = name.charCodeAt(0);
  return first >= 48 && first <= 57 ? "_" + name : name;
}

// With the u flag a surrogate pair is one code point, so this matches only a lone (unpaired) surrogate.
const LONE_SURROGATE_RE = /[\ud800-\udfff]/u;

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;

/** The code point that ends at `index - 1` (one or two UTF-16 units), or -1 at the start. */
function codePointBefore(value: string, index: number): number {
  if (index === 0) return -1;
  const low = value.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) return value.codePointAt(index - 2)!;
  return low;
}

const EMOJI_RE = /^\p{Extended_Pictographic}$/u;

/**
 * Whether the formatting character at `index` has a job there (docs/ingest.md, label limits): ZWJ and
 * ZWNJ between two letters or marks of a script whose spelling uses them (Persian `می‌شود`, Hindi `क्‍ष`;
 * an approximation of IDNA's CONTEXTJ rule, RFC 5892 A.1/A.2, without its joining-type tables); an emoji
 * variation selector after an emoji (`🖥️`); LRM/RLM/ALM in a value that holds right-to-left letters.
 */
function formattingAllowed(value: string, code: number, index: number, rtl: () => boolean): boolean {
  if (code === ZWJ || code === ZWNJ) {
    return JOINING_SCRIPT_RE.test(value.charAt(index - 1)) && JOINING_SCRIPT_RE.test(value.charAt(index + 1));
  }
  if (code === 0xfe0e || code === 0xfe0f) {
    const before = codePointBefore(value, index);
    return before >= 0 && EMOJI_RE.test(String.fromCodePoint(before));
  }
  return DIRECTION_MARKS.has(code) && rtl();
}

/** Why a label value is refused, or null. An empty value means "no such label" (Prometheus). */
export function labelValueProblem(value: string): string | null {
  if (value.length > LABEL_LIMITS.valueLength) return `label value must be at most ${LABEL_LIMITS.valueLength} characters (got ${value.length})`;
  // A lone surrogate has no UTF-8 form: SQLite, Redis and every wire turn it into U+FFFD, so `x\ud800` and
  // `x\udc00` would be two series in memory and one after a restart (attack review F5).
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    const lone = LONE_SURROGATE_RE.exec(value)!;
    return `label value must be well-formed Unicode: lone surrogate ${hex(lone[0].charCodeAt(0))} at index ${lone.index} has no UTF-8 form`;
  }
  let hasRtl: boolean | undefined;
  const rtl = () => (hasRtl ??= RTL_LETTER_RE.test(value));
  REFUSED_CHAR_RE.lastIndex = 0;
  for (let refused = REFUSED_CHAR_RE.exec(value); refused !== null; refused = REFUSED_CHAR_RE.exec(value)) {
    const code = refused[0].codePointAt(0)!;
    if (code <= 0x9f) return "label value must not contain control characters";
    if (!formattingAllowed(value, code, refused.index, rtl)) return `${INVISIBLE_RULE}: ${hex(code)} at index ${refused.index}`;
  }
  return null;
}

const EDGE_SPACE_RE = /^\s|\s$/u;

/**
 * Why a `host` label value is refused, or null: labelValueProblem, and no whitespace at either end
 * (`web1 `, `web1\n`, `web1\u00a0` showed in the fleet view as a second `web1`; attack review F4).
 */
export function hostValueProblem(value: string): string | null {
  const problem = labelValueProblem(value);
  if (problem !== null) return problem;
  const edge = EDGE_SPACE_RE.exec(value);
  if (edge === null) return null;
  return `host label value must not begin or end with whitespace: ${hex(edge[0].charCodeAt(0))} at index ${edge.index}`;
}

/** Why `value` is refused for label `name`, or null: the value rule, and the host rule for `host`. */
export function labelValueProblemFor(name: string, value: string): string | null {
  return name === "host" ? hostValueProblem(value) : labelValueProblem(value);
}

/** Why a series name is refused, or null (the same rules as SeriesNameSchema). */
export function seriesNameProblem(name: string): string | null {
  if (name.length === 0) return "series name must not be empty";
  if (name.length > SERIES_NAME_MAX_LENGTH) return `series name must be at most ${SERIES_NAME_MAX_LENGTH} characters`;
  if (!SERIES_NAME_RE.test(name)) return "series name may only contain letters, digits and _ . : -";
  return null;
}

/**
 * The first problem of a label set as `[label, message]` (label "" when it is about the set), or null.
 * Bounded by the count check first: a hostile set of a million labels costs one Object.keys.
 */
export function labelsProblem(labels: Labels): [label: string, message: string] | null {
  const names = Object.keys(labels);
  if (names.length > LABEL_LIMITS.labelsPerSeries) return ["", `a series may have at most ${LABEL_LIMITS.labelsPerSeries} labels (got ${names.length})`];
  for (const name of names) {
    const value = labels[name];
    if (typeof value !== "string") return [name, "label value must be a string"];
    const problem = labelNameProblem(name) ?? labelValueProblemFor(name, value);
    if (problem) return [name, problem];
  }
  return null;
}

/** A JSON point's `labels`: `{ "host": "web1" }`. Issues carry the label's name in their path. */
export const LabelsSchema = z
  // Checked on the object as sent, not a copy: a record parse assigns `__proto__` into a fresh
  // object, which drops it silently instead of refusing it as a reserved name.
  .custom<Record<string, string>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "labels must be an object of label names to string values")
  .superRefine((labels, ctx) => {
    const problem = labelsProblem(labels);
    if (problem) ctx.addIssue({ code: "custom", message: problem[1], path: problem[0] ? [problem[0]] : [] });
  });

function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * The canonical key of `name` with `labels` (already valid): labels sorted by name, empty values
 * dropped, so the same series always has the same key whatever order a producer wrote its labels in.
 */
export function seriesKey(name: string, labels?: Labels | null): string {
  if (!labels) return name;
  const names = Object.keys(labels).filter((label) => labels[label] !== "");
  if (names.length === 0) return name;
  names.sort();
  let key = name + "{";
  for (let i = 0; i < names.length; i++) {
    const label = names[i]!;
    key += (i === 0 ? "" : ",") + label + '="' + escapeLabelValue(labels[label]!) + '"';
  }
  return key + "}";
}

export interface ParsedSeriesKey {
  readonly name: string;
  readonly labels: Labels;
}

const NO_LABELS: Labels = Object.freeze({});

/**
 * Parses `name{a="x",b="y"}` (or a bare name) in one left-to-right pass. Accepts any label order and
 * an empty `{}`; refuses duplicates, bad names or values, and anything past the closing brace.
 */
export function parseSeriesKey(key: string): { ok: true; value: ParsedSeriesKey } | { ok: false; label?: string; message: string } {
  if (key.length > LABEL_LIMITS.keyLength) return { ok: false, message: `series key must be at most ${LABEL_LIMITS.keyLength} characters` };
  const brace = key.indexOf("{");
  const name = brace === -1 ? key : key.slice(0, brace);
  const nameProblem = seriesNameProblem(name);
  if (nameProblem) return { ok: false, message: nameProblem };
  if (brace === -1) return { ok: true, value: { name, labels: NO_LABELS } };
  const labels: Record<string, string> = {};
  const seen = new Set<string>();
  let i = brace + 1;
  const fail = (message: string, label?: string) => ({ ok: false as const, message, ...(label === undefined ? {} : { label }) });
  if (key.charCodeAt(i) === 0x7d /* } */) {
    if (i !== key.length - 1) return fail("nothing may follow the closing } of the labels");
    return { ok: true, value: { name, labels: NO_LABELS } };
  }
  for (;;) {
    const eq = key.indexOf("=", i);
    if (eq === -1) return fail(`expected label="value" at character ${i}`);
    const label = key.slice(i, eq);
    const labelProblem = labelNameProblem(label);
    if (labelProblem) return fail(labelProblem, label);
    if (key.charCodeAt(eq + 1) !== 0x22 /* " */) return fail("label value must be in double quotes", label);
    let value = "";
    let j = eq + 2;
    for (;;) {
      if (j >= key.length) return fail("label value has no closing quote", label);
      const c = key[j]!;
      if (c === '"') break;
      if (c === "\\") {
        const next = key[j + 1];
        if (next === "\\" || next === '"') value += next;
        else if (next === "n") value += "\n";
        else return fail("label value has a bad escape (only \\\\, \\\" and \\n)", label);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    const valueProblem = labelValueProblemFor(label, value);
    if (valueProblem) return fail(valueProblem, label);
    if (seen.has(label)) return fail("label appears twice", label);
    seen.add(label);
    if (seen.size > LABEL_LIMITS.labelsPerSeries) return fail(`a series may have at most ${LABEL_LIMITS.labelsPerSeries} labels`);
    if (value !== "") labels[label] = value;
    j++; // past the closing quote
    const sep = key[j];
    if (sep === "}") {
      if (j !== key.length - 1) return fail("nothing may follow the closing } of the labels");
      return { ok: true, value: { name, labels } };
    }
    if (sep !== ",") return fail(`expected , or } after the value of ${label}`, label);
    i = j + 1;
  }
}

/** A series key on the wire: a bare name or `name{label="value",...}`; the error names the label. */
export const SeriesKeySchema = z.string().superRefine((key, ctx) => {
  const parsed = parseSeriesKey(key);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.label === undefined ? parsed.message : `label ${parsed.label}: ${parsed.message}` });
});

/** The canonical form of a key a producer wrote (any label order, escapes): null when it does not parse. */
export function canonicalSeriesKey(key: string): string | null {
  if (key.indexOf("{") === -1) return seriesNameProblem(key) ? null : key;
  const parsed = parseSeriesKey(key);
  return parsed.ok ? seriesKey(parsed.value.name, parsed.value.labels) : null;
}

/**
 * `key` with `labels` added (a JSON point's `series` and `labels`): the canonical key, or the problem
 * naming the label. A label in both with different values is refused rather than silently picked.
 */
export function addLabels(key: string, labels: Labels): { ok: true; key: string } | { ok: false; label?: string; message: string } {
  const parsed = parseSeriesKey(key);
  if (!parsed.ok) return parsed;
  const merged: Record<string, string> = { ...parsed.value.labels };
  for (const [label, value] of Object.entries(labels)) {
    const existing = merged[label];
    if (existing !== undefined && existing !== value) return { ok: false, label, message: `label ${label} is "${existing}" in the series key and "${value}" in labels` };
    merged[label] = value;
  }
  const problem = labelsProblem(merged);
  if (problem) return { ok: false, ...(problem[0] ? { label: problem[0] } : {}), message: problem[1] };
  const merges = seriesKey(parsed.value.name, merged);
  if (merges.length > LABEL_LIMITS.keyLength) return { ok: false, message: `series key must be at most ${LABEL_LIMITS.keyLength} characters (got ${merges.length})` };
  return { ok: true, key: merges };
}
