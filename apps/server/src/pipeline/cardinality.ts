import { parseSeriesKey } from "@livedash/events";

/**
 * The label that blew the series cap: among the new keys of a refused request, the label with the most
 * distinct values (ties go to the label name first in sort order, so the answer is stable). null when
 * none of the new keys has a label. Runs only on the refusal path, bounded by the request's size.
 */
export function labelWithMostValues(keys: Iterable<string>): { label: string; values: number } | null {
  const values = new Map<string, Set<string>>();
  for (const key of keys) {
    if (key.indexOf("{") === -1) continue;
    const parsed = parseSeriesKey(key);
    if (!parsed.ok) continue;
    for (const [label, value] of Object.entries(parsed.value.labels)) {
      let seen = values.get(label);
      if (seen === undefined) values.set(label, (seen = new Set()));
      seen.add(value);
    }
  }
  let best: { label: string; values: number } | null = null;
  for (const [label, seen] of values) {
    if (best === null || seen.size > best.values || (seen.size === best.values && label < best.label)) best = { label, values: seen.size };
  }
  return best;
}
