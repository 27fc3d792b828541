/**
 * A parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, the two formats
 * Prometheus itself asks a target for. Written here because the one npm parser
 * (parse-prometheus-text-format) reads only 0.0.4, builds prom2json objects with string values, and
 * knows neither OpenMetrics' `# EOF`, `# UNIT`, seconds timestamps nor exemplars.
 *
 * One left-to-right pass over the text, no RegExp on untrusted input except the anchored,
 * backtracking-free number check on one token: the cost is linear in the body, and the number of
 * samples is capped (`maxSamples`), so a hostile target costs at most its (bounded) body.
 */

export type MetricType = "counter" | "gauge" | "histogram" | "gaugehistogram" | "summary" | "untyped" | "unknown" | "info" | "stateset";

const METRIC_TYPES = new Set<string>(["counter", "gauge", "histogram", "gaugehistogram", "summary", "untyped", "unknown", "info", "stateset"]);

export interface ExpositionSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** May be NaN or ±Inf: the caller decides. */
  readonly value: number;
  /** Epoch ms from the exposition, or null (stamp with the scrape time). */
  readonly timestampMs: number | null;
}

export type ExpositionResult =
  | ({ ok: true; samples: ExpositionSample[] } & ExpositionFamilies)
  | { ok: false; line: number; message: string };

export interface ExpositionOptions {
  /** OpenMetrics text (Content-Type application/openmetrics-text): timestamps in seconds, `# EOF`. */
  openMetrics: boolean;
  /** More samples than this fail the parse (Prometheus' sample_limit). */
  maxSamples: number;
}

/**
 * The number check for one token: anchored, and no two adjacent quantifiers can share a digit (the
 * fraction needs its dot), so a failing match backtracks at most once per character: linear.
 */
const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's strconv.ParseFloat spellings Prometheus accepts for the special values. */
function parseFloatToken(token: string): number | null {
  const lower = token.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "+inf" || lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  return FLOAT_RE.test(token) ? Number(token) : null;
}

const isNameStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a; // a-z A-Z _ :
const isNameChar = (c: number) => isNameStart(c) || (c >= 0x30 && c <= 0x39);
const isLabelStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isLabelChar = (c: number) => isLabelStart(c) || (c >= 0x30 && c <= 0x39);

class LineError extends Error {}

/** Cursor over one line (`text[pos..end)`); every method advances or throws LineError. */
class LineReader {
  constructor(
    readonly text: string,
    public pos: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  peek(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : -1;
  }

  skipSpaces(): void {
    while (this.pos < this.end && (this.text.charCodeAt(this.pos) === 0x20 || this.text.charCodeAt(this.pos) === 0x09)) this.pos++;
  }

  /** A run of characters up to the next space or the end. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.end && this.text.charCodeAt(this.pos) !== 0x20 && this.text.charCodeAt(this.pos) !== 0x09) this.pos++;
    return this.text.slice(start, this.pos);
  }

  name(start: (c: number) => boolean, rest: (c: number) => boolean, what: string): string {
    const from = this.pos;
    if (!start(this.peek())) throw new LineError(`expected ${what} at column ${this.pos + 1}`);
    this.pos++;
    while (this.pos < this.end && rest(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(from, this.pos);
  }

  /** A double-quoted label value with `\\`, `\"` and `\n` escapes (the cursor is on the opening quote). */
  quoted(label: string): string {
    this.pos++;
    let value = "";
    let runStart = this.pos;
    while (this.pos < this.end) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        value += this.text.slice(runStart, this.pos);
        this.pos++;
        return value;
      }
      if (c === 0x5c) {
        value += this.text.slice(runStart, this.pos);
        const next = this.text.charCodeAt(this.pos + 1);
        if (next === 0x5c) value += "\\";
        else if (next === 0x22) value += '"';
        else if (next === 0x6e) value += "\n";
        else throw new LineError(`label ${label}: bad escape in value (only \\\\, \\" and \\n)`);
        this.pos += 2;
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    throw new LineError(`label ${label}: value has no closing quote`);
  }

  /** `{a="x",b="y"}` (the cursor is on `{`); a trailing comma is allowed, as both formats do. */
  labels(): Record<string, string> {
    const labels: Record<string, string> = {};
    this.pos++;
    for (;;) {
      this.skipSpaces();
      if (this.peek() === 0x7d) {
        this.pos++;
        return labels;
      }
      const label = this.name(isLabelStart, isLabelChar, "a label name or }");
      this.skipSpaces();
      if (this.peek() !== 0x3d) throw new LineError(`label ${label}: expected =`);
      this.pos++;
      this.skipSpaces();
      if (this.peek() !== 0x22) throw new LineError(`label ${label}: value must be in double quotes`);
      const value = this.quoted(label);
      if (Object.hasOwn(labels, label)) throw new LineError(`label ${label} appears twice`);
      labels[label] = value;
      this.skipSpaces();
      const c = this.peek();
      if (c === 0x2c) this.pos++;
      else if (c !== 0x7d) throw new LineError(`expected , or } after the value of label ${label}`);
    }
  }
}

/** The metadata lines of one exposition, by family name. */
export interface ExpositionFamilies {
  readonly types: Map<string, MetricType>;
  /** `# HELP` texts, unescaped, at most HELP_MAX_LENGTH characters. */
  readonly help: Map<string, string>;
  /** OpenMetrics `# UNIT` (seconds, bytes...). */
  readonly units: Map<string, string>;
}

/** Characters of a HELP text kept (the catalog shows at most 500 of a description). */
const HELP_MAX_LENGTH = 1000;

function parseComment(reader: LineReader, families: ExpositionFamilies): "eof" | null {
  reader.pos++; // '#'
  reader.skipSpaces();
  const keyword = reader.token();
  if (keyword === "EOF") return "eof";
  if (keyword === "HELP" || keyword === "UNIT") {
    // Metadata only: a malformed line is ignored, never a failed scrape (as before HELP was read).
    reader.skipSpaces();
    if (!isNameStart(reader.peek())) return null;
    const name = reader.name(isNameStart, isNameChar, "a metric name");
    if (reader.peek() !== 0x20 && reader.peek() !== 0x09) return null;
    reader.pos++;
    const text = reader.text.slice(reader.pos, Math.min(reader.end, reader.pos + HELP_MAX_LENGTH));
    if (keyword === "HELP") families.help.set(name, unescapeHelp(text));
    else families.units.set(name, text.trim());
    return null;
  }
  if (keyword !== "TYPE") return null; // free comments carry nothing.
  const types = families.types;
  reader.skipSpaces();
  const name = reader.name(isNameStart, isNameChar, "a metric name after # TYPE");
  reader.skipSpaces();
  const type = reader.token().toLowerCase();
  if (!METRIC_TYPES.has(type)) throw new LineError(`# TYPE ${name}: unknown type '${type.slice(0, 40)}'`);
  types.set(name, type as MetricType);
  return null;
}

function parseSample(reader: LineReader, openMetrics: boolean): ExpositionSample {
  const name = reader.name(isNameStart, isNameChar, "a metric name");
  const labels = reader.peek() === 0x7b ? reader.labels() : {};
  reader.skipSpaces();
  const valueToken = reader.token();
  if (valueToken === "") throw new LineError(`${name}: missing value`);
  const value = parseFloatToken(valueToken);
  if (value === null) throw new LineError(`${name}: value '${valueToken.slice(0, 40)}' is not a number`);
  reader.skipSpaces();
  let timestampMs: number | null = null;
  if (!reader.done && reader.peek() !== 0x23 /* # exemplar */) {
    const tsToken = reader.token();
    const ts = parseFloatToken(tsToken);
    if (ts === null || !Number.isFinite(ts)) throw new LineError(`${name}: timestamp '${tsToken.slice(0, 40)}' is not a number`);
    // 0.0.4: integer milliseconds; OpenMetrics: seconds, with a fraction.
    timestampMs = openMetrics ? Math.round(ts * 1000) : Math.trunc(ts);
    reader.skipSpaces();
  }
  // An OpenMetrics exemplar (` # {trace_id="..."} 1.0 [ts]`) is about a trace, not the series: ignored.
  if (!reader.done && reader.peek() !== 0x23) throw new LineError(`${name}: unexpected text after the value`);
  return { name, labels, value, timestampMs };
}

/** `\\` and `\n` (and OpenMetrics' `\"`) in a HELP text. */
function unescapeHelp(text: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\" || i + 1 === text.length) out += c;
    else {
      const next = text[++i]!;
      out += next === "n" ? "\n" : next === "\\" || next === '"' ? next : `\\${next}`;
    }
  }
  return out;
}

/** Parses a whole exposition body; the first problem fails it, naming the line (1-based). */
export function parseExposition(text: string, options: ExpositionOptions): ExpositionResult {
  const samples: ExpositionSample[] = [];
  const families: ExpositionFamilies = { types: new Map(), help: new Map(), units: new Map() };
  let lineStart = 0;
  let line = 0;
  while (lineStart < text.length) {
    line++;
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const next = lineEnd + 1;
    // A CRLF line end is tolerated, as Prometheus' own parser does not but many hand-written targets send.
    const end = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 0x0d ? lineEnd - 1 : lineEnd;
    const reader = new LineReader(text, lineStart, end);
    lineStart = next;
    reader.skipSpaces();
    if (reader.done) continue;
    try {
      if (reader.peek() === 0x23) {
        if (parseComment(reader, families) === "eof") break;
        continue;
      }
      samples.push(parseSample(reader, options.openMetrics));
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      return { ok: false, line, message: error.message };
    }
    if (samples.length > options.maxSamples) return { ok: false, line, message: `more than ${options.maxSamples} samples (the scrape's sample limit)` };
  }
  return { ok: true, samples, ...families };
}
