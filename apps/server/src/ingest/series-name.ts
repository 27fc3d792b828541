import { SERIES_NAME_MAX_LENGTH } from "@livedash/events";

// Everything a series name may not contain; /u so one emoji becomes one `_`, not two.
const UNSAFE_CHARS = /[^a-zA-Z0-9_.:-]/gu;

/** Replaces every character outside `[a-zA-Z0-9_.:-]` with `_`. */
export function sanitizeSeriesPart(part: string): string {
  return part.replace(UNSAFE_CHARS, "_");
}

/**
 * Maps one line-protocol field to a series name: `<measurement>[.<tagvalue>...].<field>`, tag values
 * in sorted tag-key order, so `cpu,host=web1,cpu=cpu0 usage_idle=97.5` is `cpu.cpu0.web1.usage_idle`
 * whatever order the producer wrote its tags in.
 *
 * `sortedTagValues` must already be in tag-key order (the caller sorts once per line, not per field).
 */
export function lineSeriesName(measurement: string, sortedTagValues: readonly string[], field: string): string {
  const parts = [measurement, ...sortedTagValues, field].map(sanitizeSeriesPart);
  return parts.join(".");
}

/** `lineSeriesName` minus the field: `<measurement>.<tag values...>.`, computed once per line. */
export function seriesPrefix(measurement: string, sortedTagValues: readonly string[]): string {
  let prefix = sanitizeSeriesPart(measurement) + ".";
  for (const value of sortedTagValues) prefix += sanitizeSeriesPart(value) + ".";
  return prefix;
}

/** null when the name fits, else the reason (names the length and the limit). */
export function checkSeriesNameLength(name: string): string | null {
  if (name.length <= SERIES_NAME_MAX_LENGTH) return null;
  return `series name '${name.slice(0, 40)}…' is ${name.length} characters (limit ${SERIES_NAME_MAX_LENGTH})`;
}
