import { LABEL_LIMITS, SERIES_NAME_MAX_LENGTH, labelNameProblem, labelValueProblem, seriesKey, toLabelName } from "@livedash/events";
import { quoteForError } from "./result";

/** [a-zA-Z0-9_.:-] by char code. */
function isSeriesChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 58) || c === 95 || c === 46 || c === 45;
}

/** Replaces every character outside `[a-zA-Z0-9_.:-]` with `_` (one per code point, so an emoji is one `_`). */
export function sanitizeSeriesPart(part: string): string {
  let i = 0;
  // Most parts are already clean: scan without allocating, copy only from the first bad char.
  while (i < part.length && isSeriesChar(part.charCodeAt(i))) i++;
  if (i === part.length) return part;
  let out = part.slice(0, i);
  for (; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (isSeriesChar(c)) {
      out += part[i];
      continue;
    }
    out += "_";
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < part.length) {
      const next = part.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return out;
}

/** Why a field of a line has no series key; the parser prefixes the line number. */
export class SeriesKeyProblem {
  constructor(readonly message: string) {}
}

/**
 * What one distinct `measurement[,tags]` head of a line maps to: the name prefix `<measurement>.` and
 * the label text `{tag="value",...}` (tag keys mapped to label names, sorted). The parser caches one
 * per distinct head text in a body, so a body of 5000 lines over 1000 series sorts and validates each
 * tag set once, and each field's key is built once per head.
 */
export class LineHead {
  private readonly keys = new Map<string, string | SeriesKeyProblem>();

  constructor(
    private readonly namePrefix: string,
    private readonly labelText: string,
  ) {}

  /** `<measurement>.<field>{labels}`: the series key of `field` on this head, or why there is none. */
  keyFor(field: string): string | SeriesKeyProblem {
    let key = this.keys.get(field);
    if (key === undefined) {
      key = buildKey(this.namePrefix + sanitizeSeriesPart(field), this.labelText);
      this.keys.set(field, key);
    }
    return key;
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
 * Maps a line's measurement and tags (unescaped, in line order) to a LineHead: tag keys become label
 * names (`toLabelName`: `host-name` -> `host_name`), values are checked by labelValueProblem. The
 * problem names the tag and the limit; two tags that become the same label are refused, not merged.
 */
export function buildLineHead(measurement: string, tags: readonly (readonly [string, string])[]): LineHead | SeriesKeyProblem {
  if (tags.length > LABEL_LIMITS.labelsPerSeries) {
    return new SeriesKeyProblem(`${tags.length} tags (limit ${LABEL_LIMITS.labelsPerSeries} labels per series)`);
  }
  // No prototype: a tag named `constructor` must not find Object.prototype's.
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  const tagOf: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>;
  for (const [tag, value] of tags) {
    const label = toLabelName(tag);
    const named = label === tag ? `tag ${quoteForError(tag)}` : `tag ${quoteForError(tag)} (label ${label.length > 40 ? quoteForError(label) : label})`;
    const problem = labelNameProblem(label) ?? labelValueProblem(value);
    if (problem) return new SeriesKeyProblem(`${named}: ${problem}`);
    const earlier = tagOf[label];
    if (earlier !== undefined) {
      return new SeriesKeyProblem(earlier === tag ? `${named} appears twice` : `tags ${quoteForError(earlier)} and ${quoteForError(tag)} both become label ${label}`);
    }
    tagOf[label] = tag;
    labels[label] = value;
  }
  // seriesKey("", labels) is exactly the `{...}` part of the canonical key ("" without labels).
  return new LineHead(sanitizeSeriesPart(measurement) + ".", seriesKey("", labels));
}

/** null when the name fits, else the reason (names the length and the limit). */
export function checkSeriesNameLength(name: string): string | null {
  if (name.length <= SERIES_NAME_MAX_LENGTH) return null;
  return `series name '${name.slice(0, 40)}…' is ${name.length} characters (limit ${SERIES_NAME_MAX_LENGTH})`;
}
