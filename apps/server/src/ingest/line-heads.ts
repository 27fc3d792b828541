import { LABEL_LIMITS, labelNameProblem, labelValueProblemFor, seriesKey, toLabelName } from "@livedash/events";
import { quoteForError } from "./result";
import { checkSeriesNameLength, sanitizeSeriesPart } from "./series-name";

/** Why a field of a line has no series key; the parser prefixes the line number. */
export class SeriesKeyProblem {
  constructor(readonly message: string) {}
}

/** Field names a head remembers by position (the usual line repeats its head's fields in one order). */
const TEMPLATE_FIELDS = 64;

/**
 * What one distinct `measurement[,tags]` head text maps to: the name prefix `<measurement>.` and the
 * label text `{tag="value",...}` (tag keys mapped to label names, sorted), and the series key of each
 * field seen on it. Shared across requests through a LineHeadCache: a head is checked and sorted once,
 * and every point of a series carries the same key string, so the store's and live path's Map lookups
 * find it by identity instead of hashing and comparing a fresh copy.
 */
export class LineHead {
  private readonly keys = new Map<string, string | SeriesKeyProblem>();
  /** Field names (raw text without escapes) in the order the last lines had them. */
  readonly template: (string | undefined)[] = [];
  /** The series key of each template field once asked for (only keys the cache holds): no Map lookup per point. */
  private readonly templateKeys: (string | SeriesKeyProblem | undefined)[] = [];
  /** The head the line after this one had last time (agents write their metrics in the same order each flush). */
  next: LineHead | undefined = undefined;

  constructor(
    /** The head text as written in the body (escapes included): the cache's key. */
    readonly text: string,
    private readonly namePrefix: string,
    private readonly labelText: string,
    private readonly budget: LineHeadCache,
    /** The cache generation it was made in: heads of an earlier one are never linked or predicted. */
    readonly generation: number,
  ) {}

  /** `<measurement>.<field>{labels}`: the series key of `field` on this head, or why there is none. */
  keyFor(field: string): string | SeriesKeyProblem {
    let key = this.keys.get(field);
    if (key === undefined) {
      key = buildKey(this.namePrefix + sanitizeSeriesPart(field), this.labelText);
      // Past the cache's budget keys are still right, just built again next time.
      if (this.budget.charge(field.length + (typeof key === "string" ? key.length : 0))) this.keys.set(field, key);
    }
    return key;
  }

  /** keyFor(template[index]), for a line whose field at `index` matched the template. */
  keyForTemplate(index: number): string | SeriesKeyProblem {
    const known = this.templateKeys[index];
    if (known !== undefined) return known;
    const field = this.template[index]!;
    const key = this.keyFor(field);
    if (this.keys.get(field) === key) this.templateKeys[index] = key;
    return key;
  }

  /** Remembers that the field at `index` of a line was `field` (escape-free raw text). */
  remember(index: number, field: string): void {
    if (index < TEMPLATE_FIELDS && this.template[index] !== field) {
      this.template[index] = field;
      this.templateKeys[index] = undefined;
    }
  }
}

function buildKey(name: string, labelText: string): string | SeriesKeyProblem {
  const tooLong = checkSeriesNameLength(name);
  if (tooLong) return new SeriesKeyProblem(tooLong);
  const key = name + labelText;
  if (key.length > LABEL_LIMITS.keyLength) {
    return new SeriesKeyProblem(`series key '${key.slice(0, 40)}…' is ${key.length} characters (limit ${LABEL_LIMITS.keyLength})`);
  }
  return key;
}

/**
 * LineHeads by head text, shared by every line-protocol request of a server (createServer owns one).
 * A Map keyed by the text: V8 hashes a string natively, faster than any hash folded in JS. Memory is
 * bounded by a budget of characters (head texts and keys); past it the cache starts over.
 */
export class LineHeadCache {
  private heads = new Map<string, LineHead>();
  private chars = 0;
  /** Bumped each time the cache starts over. */
  generation = 0;

  constructor(
    /**
     * Characters of head texts and series keys held, about twice as many bytes.
     * @default 8_388_608 (8 Mi: ~50k heads of Telegraf-sized lines)
     */
    private readonly maxChars = 8 * 1024 * 1024,
  ) {}

  get(text: string): LineHead | undefined {
    return this.heads.get(text);
  }

  /** Caches `head` under its text; past the budget the cache starts over (a new generation). */
  add(head: LineHead): void {
    if (head.generation !== this.generation) return;
    if (!this.charge(head.text.length * 2)) {
      this.startOver();
      return;
    }
    this.heads.set(head.text, head);
  }

  /**
   * The head expected after `previous` (what followed it last time), or undefined. Only heads of the
   * current generation link to each other, so dropped heads are not kept alive through `next`.
   */
  predict(previous: LineHead | undefined): LineHead | undefined {
    const next = previous?.next;
    return next !== undefined && next.generation === this.generation ? next : undefined;
  }

  /** Remembers that `head` followed `previous`. */
  link(previous: LineHead | undefined, head: LineHead): void {
    if (previous !== undefined && previous.next !== head && previous.generation === this.generation && head.generation === this.generation) previous.next = head;
  }

  private startOver(): void {
    for (const head of this.heads.values()) head.next = undefined;
    this.heads = new Map();
    this.chars = 0;
    this.generation += 1;
  }

  /** Counts `chars` against the budget; false (nothing counted) when they do not fit. */
  charge(chars: number): boolean {
    if (this.chars + chars > this.maxChars) return false;
    this.chars += chars;
    return true;
  }
}

/**
 * Maps a line's measurement and tags (unescaped, in line order) to a LineHead: tag keys become label
 * names (`toLabelName`: `host-name` -> `host_name`), values are checked by labelValueProblemFor (`host` also by the host rule). The
 * problem names the tag and the limit; two tags that become the same label are refused, not merged.
 */
export function buildLineHead(
  text: string,
  measurement: string,
  tags: readonly (readonly [string, string])[],
  cache: LineHeadCache,
): LineHead | SeriesKeyProblem {
  if (tags.length > LABEL_LIMITS.labelsPerSeries) {
    return new SeriesKeyProblem(`${tags.length} tags (limit ${LABEL_LIMITS.labelsPerSeries} labels per series)`);
  }
  // No prototype: a tag named `constructor` must not find Object.prototype's.
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  const tagOf: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [tag, value] of tags) {
    const label = toLabelName(tag);
    const named = label === tag ? `tag ${quoteForError(tag)}` : `tag ${quoteForError(tag)} (label ${label.length > 40 ? quoteForError(label) : label})`;
    const problem = labelNameProblem(label) ?? labelValueProblemFor(label, value);
    if (problem) return new SeriesKeyProblem(`${named}: ${problem}`);
    const earlier = tagOf[label];
    if (earlier !== undefined) {
      return new SeriesKeyProblem(earlier === tag ? `${named} appears twice` : `tags ${quoteForError(earlier)} and ${quoteForError(tag)} both become label ${label}`);
    }
    tagOf[label] = tag;
    labels[label] = value;
  }
  // seriesKey("", labels) is exactly the `{...}` part of the canonical key ("" without labels).
  return new LineHead(text, sanitizeSeriesPart(measurement) + ".", seriesKey("", labels), cache, cache.generation);
}
