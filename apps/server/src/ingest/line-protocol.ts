import type { Point } from "@livedash/events";
import { ErrorList, quoteForError, type IngestParseResult, type LineError } from "./result";
import { buildLineHead, LineHeadCache, SeriesKeyProblem, type LineHead } from "./line-heads";
import { timestampToMs, type Precision } from "./timestamp";

export interface LineProtocolOptions {
  /** Unit of the timestamps in the body; InfluxDB and Telegraf default to ns. */
  readonly precision: Precision;
  /** Time of the request, epoch ms: the ts of lines without a timestamp, and the base of maxFutureMs. */
  readonly nowMs: number;
  /**
   * Data lines (comments and blank lines do not count) allowed in one body. The server leaves it and
   * maxPoints unset: its ingest service checks LIVEDASH_MAX_POINTS_PER_REQUEST once for every entry point.
   * @default no cap (the body byte limit bounds the work)
   */
  readonly maxLines?: number;
  /** How far ahead of nowMs a timestamp may be. */
  readonly maxFutureMs: number;
  /**
   * Points allowed in one body; every numeric field of a line is one point.
   * @default no cap (the body byte limit bounds the work)
   */
  readonly maxPoints?: number;
  /**
   * Stop reading once the body is known to hold more points than this, and answer the points so far
   * with `more: true`. Not a limit of its own: the server passes its ingest service's
   * LIVEDASH_MAX_POINTS_PER_REQUEST, so an oversized body costs no more parsing than limit+1 points
   * and the service, which checks the limit once for every entry point, refuses it.
   * @default the whole body is read
   */
  readonly stopAfterPoints?: number;
  /**
   * Heads (`measurement,tags`) already mapped to series keys, shared across requests: the server passes
   * one it owns, so a producer's tag sets are checked and sorted once, not once per body.
   * @default a fresh cache for this body
   */
  readonly heads?: LineHeadCache;
}

/**
 * Parses an InfluxDB line-protocol body as Telegraf's `outputs.http` (data_format = "influx") and
 * `outputs.influxdb` send it:
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * - fields: floats (`1.5`, `-2e3`), integers (`12i`), unsigned (`12u`), booleans (t/T/true/True/TRUE,
 *   f/F/false/False/FALSE → 1/0); string fields (`"..."`) carry no number and are skipped silently.
 * - escapes: `\,` `\ ` `\=` `\\` in the measurement, tag keys/values and field keys; `\"` `\\` in strings.
 *   A quoted string may span lines, as InfluxDB allows.
 * - `#` comment lines, blank lines, CRLF and leading whitespace are accepted.
 * - series key: the name `<measurement>.<field>`, the tags as labels (`cpu.usage_idle{cpu="cpu0",host="web1"}`),
 *   tag keys mapped to the label charset; see series-name.ts.
 *
 * Atomic: if any line is bad no point is returned and `errors` lists the bad lines (at most 20).
 * Never throws, whatever the body.
 */
export function parseLineProtocol(body: string, opts: LineProtocolOptions): IngestParseResult<LineError> {
  return new LineProtocolParser(body, opts).parse();
}

/** A problem with the current line; caught per line so one bad line does not hide the next ones. */
class LineSyntaxError {
  constructor(readonly message: string) {}
}

/**
 * Thrown out of a line once the body is known to pass stopAfterPoints; parse() turns it into `more`.
 * At most once per body, so an Error's stack capture costs nothing that matters.
 */
class StopParsing extends Error {}

const BOOLEANS: ReadonlyMap<string, number> = new Map([
  ["t", 1], ["T", 1], ["true", 1], ["True", 1], ["TRUE", 1],
  ["f", 0], ["F", 0], ["false", 0], ["False", 0], ["FALSE", 0],
]);
// Digits are capped so a megabyte of digits cannot make BigInt work hard; 21 digits exceed 64 bits anyway.
const INT_RE = /^-?\d{1,21}$/;
const UINT_RE = /^\d{1,21}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const BACKSLASH = 92;
const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;
const LF = 10;
const CR = 13;
const HASH = 35;
const QUOTE = 34;
const TAB = 9;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const MINUS = 45;
const DOT = 46;
/** 10^0..10^15, each exact in a double. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** `\,` `\ ` `\=` `\\` are escapes in keys; any other backslash is literal. */
function isKeyEscapable(code: number): boolean {
  return code === COMMA || code === SPACE || code === EQUALS || code === BACKSLASH;
}

/** At `\n`, at a `\r` that ends the line (CRLF or last char), or at the end of the body. */
function isLineEndAt(s: string, pos: number): boolean {
  if (pos >= s.length) return true;
  const c = s.charCodeAt(pos);
  if (c === LF) return true;
  return c === CR && (pos + 1 === s.length || s.charCodeAt(pos + 1) === LF);
}

/** Longest head text looked up in the cache; longer ones (far past the key limit anyway) are parsed each time. */
const MAX_CACHED_HEAD = 8192;

/**
 * Index of the unescaped space that ends a line's `measurement[,tags]` head, with readKey's escape
 * rule; -1 when the line ends first (the full parse then reports what is missing).
 */
function headEnd(s: string, pos: number): number {
  const length = s.length;
  while (pos < length) {
    const c = s.charCodeAt(pos);
    if (c === SPACE) return pos;
    if (c === BACKSLASH && pos + 1 < length && isKeyEscapable(s.charCodeAt(pos + 1))) {
      pos += 2;
      continue;
    }
    if (c === LF || c === CR) return -1;
    pos += 1;
  }
  return -1;
}

class LineProtocolParser {
  private pos = 0;
  private line = 1;
  private readonly points: Point[] = [];
  private readonly errors = new ErrorList<LineError>();
  private readonly maxPoints: number;
  private readonly stopAfterPoints: number;
  private lastTsText = "";
  /** An error was reported: points are no longer collected (the answer is the errors). */
  private bad = false;
  private readonly heads: LineHeadCache;
  /** The head of the previous line (unset after a bad line), for readHead's prediction. */
  private previousHead: LineHead | undefined = undefined;
  /** Position of the first space at or after the current head's start (s.length when none): see readHead. */
  private spaceAt = -1;
  /** Position of the first LF at or after the current head's start (s.length when none), kept the same way. */
  private lineFeedAt = -1;
  private lastTsMs = 0;

  constructor(
    private readonly s: string,
    private readonly opts: LineProtocolOptions,
  ) {
    this.maxPoints = opts.maxPoints ?? Number.POSITIVE_INFINITY;
    this.stopAfterPoints = opts.stopAfterPoints ?? Number.POSITIVE_INFINITY;
    this.heads = opts.heads ?? new LineHeadCache();
  }

  parse(): IngestParseResult<LineError> {
    let dataLines = 0;
    let more = false;
    while (this.pos < this.s.length) {
      this.skipBlanks();
      if (this.pos >= this.s.length) break;
      if (this.atLineEnd()) {
        this.consumeLineEnd();
        continue;
      }
      if (this.s.charCodeAt(this.pos) === HASH) {
        this.skipRestOfLine();
        continue;
      }
      dataLines += 1;
      const startLine = this.line;
      if (this.opts.maxLines !== undefined && dataLines > this.opts.maxLines) {
        this.fail(startLine, `body has more than ${this.opts.maxLines} lines (limit ${this.opts.maxLines})`);
        break;
      }
      const mark = this.points.length;
      try {
        this.parseLine();
        if (this.points.length > this.maxPoints) {
          this.fail(startLine, `body has more than ${this.maxPoints} points (limit ${this.maxPoints}; each numeric field is one point)`);
          break;
        }
        if (this.points.length > this.stopAfterPoints) {
          more = true;
          break;
        }
      } catch (error) {
        if (error instanceof StopParsing) {
          more = true;
          break;
        }
        if (!(error instanceof LineSyntaxError)) throw error;
        this.points.length = mark; // a bad line adds no point
        this.previousHead = undefined;
        this.fail(startLine, error.message);
        this.skipRestOfLine();
      }
    }
    if (this.errors.empty) return more ? { ok: true, points: this.points, more } : { ok: true, points: this.points };
    return { ok: false, errors: this.errors.items, truncated: this.errors.truncated };
  }

  /** Once the batch is known bad, the parser keeps checking lines for errors but stops collecting points. */
  private fail(line: number, message: string): void {
    this.errors.push({ line, message: `line ${line}: ${message}` });
    this.bad = true;
    this.points.length = 0;
  }

  /** Parses one data line and appends its points to this.points (the caller drops them if it throws). */
  private parseLine(): void {
    const head = this.readHead();
    if (this.s.charCodeAt(this.pos) !== SPACE) throw new LineSyntaxError("missing fields (expected '<measurement>[,<tags>] <field>=<value>')");
    this.skipSpaces();
    const first = this.points.length;
    this.readFields(head);
    this.skipSpaces();
    if (!this.atLineEnd()) {
      const ts = this.readTimestamp();
      this.skipBlanks();
      if (!this.atLineEnd()) {
        throw new LineSyntaxError(`unexpected text ${quoteForError(this.readUntilWhitespace())} after the timestamp`);
      }
      // Fields were stamped "now" while the timestamp was still ahead in the line.
      if (ts !== this.opts.nowMs) for (let i = first; i < this.points.length; i++) this.points[i]!.ts = ts;
    }
    this.consumeLineEnd();
  }

  /**
   * The measurement and tags up to the space before the fields. A head seen before, in this body or an
   * earlier one, is found by its text (one slice, one native Map lookup): no unescaping, sorting or
   * label checks again. A new one is parsed, checked and cached.
   */
  private readHead(): LineHead {
    const s = this.s;
    const start = this.pos;
    // The head that followed the previous one last time, compared in place: no slice, no hash. Its
    // text is a whole head (no line end inside, and an unescaped space after it ends it).
    const predicted = this.heads.predict(this.previousHead);
    if (predicted !== undefined && s.charCodeAt(start + predicted.text.length) === SPACE && s.startsWith(predicted.text, start)) {
      this.pos = start + predicted.text.length;
      this.previousHead = predicted;
      return predicted;
    }
    const head = this.findHead(start);
    this.heads.link(this.previousHead, head);
    this.previousHead = head;
    return head;
  }

  private findHead(start: number): LineHead {
    const s = this.s;
    // indexOf finds the first space natively. Its answer is kept for the next lines while they start
    // before it, so a body without spaces costs one scan, not one per line.
    if (this.spaceAt < start) {
      const space = s.indexOf(" ", start);
      this.spaceAt = space === -1 ? s.length : space;
    }
    if (this.lineFeedAt < start) {
      const lineFeed = s.indexOf("\n", start);
      this.lineFeedAt = lineFeed === -1 ? s.length : lineFeed;
    }
    let end = this.spaceAt;
    // A space after a backslash may be escaped: find the head's end by the escape rule instead.
    if (end < s.length && s.charCodeAt(end - 1) === BACKSLASH) end = headEnd(s, start);
    // A space past the line's end is no head's end (the parse reports the line): never sliced or hashed.
    if (end !== -1 && end < this.lineFeedAt && end - start <= MAX_CACHED_HEAD) {
      const text = s.slice(start, end);
      const cached = this.heads.get(text);
      if (cached !== undefined) {
        // A cached text is a whole head, so no line end lies inside it.
        this.pos = end;
        return cached;
      }
      const head = this.parseHead(start);
      // Cached only when the parse ended at that space: then the text is exactly this head.
      if (this.pos === end) this.heads.add(head);
      return head;
    }
    return this.parseHead(start);
  }

  private parseHead(start: number): LineHead {
    const measurement = this.readKey(false);
    if (measurement === "") throw new LineSyntaxError("missing measurement name");
    const tags: [string, string][] = [];
    while (this.s.charCodeAt(this.pos) === COMMA) {
      this.pos += 1;
      const key = this.readKey(true);
      if (key === "") throw new LineSyntaxError(`empty tag key after measurement ${quoteForError(measurement)}`);
      if (this.s.charCodeAt(this.pos) !== EQUALS) throw new LineSyntaxError(`tag ${quoteForError(key)} has no value (expected key=value)`);
      this.pos += 1;
      const value = this.readKey(false);
      if (value === "") throw new LineSyntaxError(`tag ${quoteForError(key)} has an empty value`);
      tags.push([key, value]);
    }
    if (this.s.charCodeAt(this.pos) !== SPACE) throw new LineSyntaxError("missing fields (expected '<measurement>[,<tags>] <field>=<value>')");
    const head = buildLineHead(this.s.slice(start, this.pos), measurement, tags, this.heads);
    if (head instanceof SeriesKeyProblem) throw new LineSyntaxError(head.message);
    return head;
  }

  /** The line's timestamp: the previous line's text again (Telegraf stamps a flush alike) costs a compare in place. */
  private readTimestamp(): number {
    const last = this.lastTsText;
    if (last !== "" && this.s.startsWith(last, this.pos)) {
      const after = this.s.charCodeAt(this.pos + last.length);
      if (after !== after /* NaN: end of body */ || after === SPACE || after === TAB || after === LF || after === CR) {
        this.pos += last.length;
        return this.lastTsMs;
      }
    }
    return this.timestamp(this.readUntilWhitespace());
  }

  /** Telegraf stamps every metric of a flush alike, so the last conversion is usually the answer. */
  private timestamp(text: string): number {
    if (text === this.lastTsText) return this.lastTsMs;
    const result = timestampToMs(text, this.opts.precision, this.opts);
    if (!result.ok) throw new LineSyntaxError(result.message);
    this.lastTsText = text;
    this.lastTsMs = result.ms;
    return result.ms;
  }

  /**
   * The field set, one point per numeric field pushed straight onto this.points (stamped nowMs; the
   * line's timestamp, read after, restamps them). String fields are validated but left out. A field
   * name at the position the head's earlier lines had it is compared in place (no slice) and yields
   * the same string, so keyFor's lookup is by identity.
   */
  private readFields(head: LineHead): void {
    const s = this.s;
    const points = this.points;
    const nowMs = this.opts.nowMs;
    for (let index = 0; ; index++) {
      let key: string;
      let templated = false;
      const known = head.template[index];
      if (known !== undefined && s.charCodeAt(this.pos + known.length) === EQUALS && s.startsWith(known, this.pos)) {
        key = known;
        templated = true;
        this.pos += known.length;
      } else {
        const start = this.pos;
        key = this.readKey(true);
        if (key === "") {
          throw new LineSyntaxError(this.atLineEnd() ? "missing fields (expected <field>=<value>)" : "empty field key");
        }
        // Only escape-free names: their raw text is the name, so the in-place compare above is exact.
        if (this.pos - start === key.length && key.indexOf("\\") === -1) head.remember(index, key);
      }
      if (s.charCodeAt(this.pos) !== EQUALS) throw new LineSyntaxError(`field ${quoteForError(key)} has no value (expected key=value)`);
      this.pos += 1;
      if (s.charCodeAt(this.pos) === QUOTE) {
        this.skipString(key);
        const next = s[this.pos];
        if (next !== "," && next !== " " && !this.atLineEnd()) {
          throw new LineSyntaxError(`unexpected ${quoteForError(next ?? "")} after the string value of field ${quoteForError(key)}`);
        }
      } else {
        let value = this.readPlainDecimal();
        if (value !== value) value = parseFieldValue(key, this.readRawValue());
        const series = templated ? head.keyForTemplate(index) : head.keyFor(key);
        if (typeof series !== "string") throw new LineSyntaxError(series.message);
        if (!this.bad) points.push({ series, ts: nowMs, value });
        // One 1 MiB line can hold ~260k fields: stop inside it, not only between lines.
        if (points.length > this.stopAfterPoints) throw new StopParsing();
      }
      if (s.charCodeAt(this.pos) !== COMMA) return;
      this.pos += 1;
    }
  }

  /**
   * A field value that is a plain decimal (`-?digits[.digits]`, at most 15 digits) read in place: the
   * digits as an exact integer divided by an exact power of ten is the correctly rounded double, the
   * same as Number(text). Anything else (exponent, i/u suffix, boolean, more digits, bad text) answers
   * NaN without moving, and the caller takes the full path.
   */
  private readPlainDecimal(): number {
    const s = this.s;
    let pos = this.pos;
    const negative = s.charCodeAt(pos) === MINUS;
    if (negative) pos += 1;
    let mantissa = 0;
    let digits = 0;
    let fraction = 0;
    let c = s.charCodeAt(pos);
    while (c >= DIGIT_0 && c <= DIGIT_9) {
      mantissa = mantissa * 10 + (c - DIGIT_0);
      digits += 1;
      c = s.charCodeAt(++pos);
    }
    if (c === DOT) {
      c = s.charCodeAt(++pos);
      while (c >= DIGIT_0 && c <= DIGIT_9) {
        mantissa = mantissa * 10 + (c - DIGIT_0);
        digits += 1;
        fraction += 1;
        c = s.charCodeAt(++pos);
      }
    }
    if (digits === 0 || digits > 15) return Number.NaN;
    // c is NaN past the end of the body.
    if (!(c !== c || c === COMMA || c === SPACE || c === LF || (c === CR && isLineEndAt(s, pos)))) return Number.NaN;
    this.pos = pos;
    const value = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
    return negative ? -value : value;
  }

  /**
   * Reads a measurement, tag key/value or field key up to an unescaped separator, unescaping
   * `\,` `\ ` `\=` `\\`; any other backslash is literal, as in InfluxDB.
   */
  private readKey(stopAtEquals: boolean): string {
    const s = this.s;
    const length = s.length;
    let out = "";
    let segmentStart = this.pos;
    let pos = this.pos;
    // charCodeAt in a local loop: this is the hot path of a 1 MiB body, one call per character.
    while (pos < length) {
      const c = s.charCodeAt(pos);
      if (c === BACKSLASH && pos + 1 < length && isKeyEscapable(s.charCodeAt(pos + 1))) {
        out += s.slice(segmentStart, pos) + s.charAt(pos + 1);
        pos += 2;
        segmentStart = pos;
        continue;
      }
      if (c === COMMA || c === SPACE || (stopAtEquals && c === EQUALS) || c === LF || (c === CR && isLineEndAt(s, pos))) break;
      pos += 1;
    }
    this.pos = pos;
    return out + s.slice(segmentStart, pos);
  }

  private readRawValue(): string {
    const s = this.s;
    const start = this.pos;
    let pos = start;
    while (pos < s.length) {
      const c = s.charCodeAt(pos);
      if (c === COMMA || c === SPACE || c === LF || (c === CR && isLineEndAt(s, pos))) break;
      pos += 1;
    }
    this.pos = pos;
    return s.slice(start, pos);
  }

  /** Skips a quoted string field value (it may contain escaped quotes and newlines). */
  private skipString(field: string): void {
    const openPos = this.pos;
    const openLine = this.line;
    this.pos += 1;
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === "\\" && (this.s[this.pos + 1] === '"' || this.s[this.pos + 1] === "\\")) {
        this.pos += 2;
        continue;
      }
      if (c === '"') {
        this.pos += 1;
        return;
      }
      if (c === "\n") this.line += 1;
      this.pos += 1;
    }
    // Resume right after the opening quote so the lines it swallowed are still checked on their own.
    this.pos = openPos + 1;
    this.line = openLine;
    throw new LineSyntaxError(`string value of field ${quoteForError(field)} has no closing quote`);
  }

  private readUntilWhitespace(): string {
    const start = this.pos;
    while (this.pos < this.s.length && this.s[this.pos] !== " " && this.s[this.pos] !== "\t" && !this.atLineEnd()) this.pos += 1;
    return this.s.slice(start, this.pos);
  }

  /** At `\n`, at a `\r` that ends the line (CRLF or last char), or at the end of the body. */
  private atLineEnd(): boolean {
    return isLineEndAt(this.s, this.pos);
  }

  private consumeLineEnd(): void {
    if (this.s[this.pos] === "\r") this.pos += 1;
    if (this.s[this.pos] === "\n") {
      this.pos += 1;
      this.line += 1;
    }
  }

  private skipRestOfLine(): void {
    const newline = this.s.indexOf("\n", this.pos);
    if (newline === -1) {
      this.pos = this.s.length;
      return;
    }
    this.pos = newline + 1;
    this.line += 1;
  }

  private skipSpaces(): void {
    while (this.s[this.pos] === " ") this.pos += 1;
  }

  private skipBlanks(): void {
    while (this.s[this.pos] === " " || this.s[this.pos] === "\t") this.pos += 1;
  }
}

function parseFieldValue(field: string, raw: string): number {
  if (raw === "") throw new LineSyntaxError(`field ${quoteForError(field)} has no value`);
  const last = raw[raw.length - 1];
  if (last === "i" || last === "u") {
    const digits = raw.slice(0, -1);
    const signed = last === "i";
    if ((signed ? INT_RE : UINT_RE).test(digits)) {
      const value = BigInt(digits);
      const inRange = signed ? value >= INT64_MIN && value <= INT64_MAX : value <= UINT64_MAX;
      if (!inRange) {
        throw new LineSyntaxError(
          `field ${quoteForError(field)} value ${quoteForError(raw)} is out of the ${signed ? "signed" : "unsigned"} 64-bit integer range`,
        );
      }
      return Number(value);
    }
  }
  const boolean = BOOLEANS.get(raw);
  if (boolean !== undefined) return boolean;
  if (isFloatLiteral(raw)) {
    const value = Number(raw);
    if (Number.isFinite(value)) return value;
    throw new LineSyntaxError(`field ${quoteForError(field)} value ${quoteForError(raw)} is out of the 64-bit float range`);
  }
  throw new LineSyntaxError(
    `field ${quoteForError(field)} value ${quoteForError(raw)} is not a number (expected 1.5, 12i, 12u, true/false or "text")`,
  );
}

/** Index of the first non-digit at or after `pos`. */
function skipDigits(s: string, pos: number): number {
  while (pos < s.length) {
    const c = s.charCodeAt(pos);
    if (c < DIGIT_0 || c > DIGIT_9) break;
    pos += 1;
  }
  return pos;
}

/**
 * `-?(digits[.digits?] | .digits)([eE][-+]?digits)?`, the float syntax InfluxDB accepts, checked in
 * one pass. A RegExp for it (`\d+\.?\d*`) backtracks quadratically on a long digit run that ends in a
 * stray character: a megabyte of digits took minutes.
 */
function isFloatLiteral(s: string): boolean {
  let pos = s.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const intEnd = skipDigits(s, pos);
  let digits = intEnd - pos;
  pos = intEnd;
  if (s.charCodeAt(pos) === 46 /* . */) {
    const fracEnd = skipDigits(s, pos + 1);
    digits += fracEnd - pos - 1;
    pos = fracEnd;
  }
  if (digits === 0) return false;
  const e = s.charCodeAt(pos);
  if (e === 101 /* e */ || e === 69 /* E */) {
    pos += 1;
    const sign = s.charCodeAt(pos);
    if (sign === 43 /* + */ || sign === 45 /* - */) pos += 1;
    const expEnd = skipDigits(s, pos);
    if (expEnd === pos) return false;
    pos = expEnd;
  }
  return pos === s.length;
}
