import { SERIES_NAME_MAX_LENGTH } from "@livedash/events";

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

/** null when the name fits, else the reason (names the length and the limit). */
export function checkSeriesNameLength(name: string): string | null {
  if (name.length <= SERIES_NAME_MAX_LENGTH) return null;
  return `series name '${name.slice(0, 40)}…' is ${name.length} characters (limit ${SERIES_NAME_MAX_LENGTH})`;
}
