import { LABELS_QUERY_LIMITS, compileSeriesMatcher, parseSelector, parseSeriesKey, selectorLiteralName, seriesKey, seriesKeyName } from "@livedash/events";
import type { CatalogEntry, LabelValues, LabelsInputSchema, LabelsResult, SeriesInfo } from "@livedash/events";
import { TRPCError } from "@trpc/server";
import type { z } from "zod";

/** The store's catalog with each key split into its name and labels (the store keeps keys only). */
export function catalogEntries(infos: readonly SeriesInfo[]): CatalogEntry[] {
  return infos.map((info) => {
    const parsed = parseSeriesKey(info.name);
    return parsed.ok ? { ...info, key: info.name, name: parsed.value.name, labels: { ...parsed.value.labels } } : { ...info, key: info.name, labels: {} };
  });
}

/** The key a selector names exactly (a literal name and only non-empty `=` matchers), or null. */
function exactKey(selector: string): string | null {
  const parsed = parseSelector(selector);
  if (!parsed.ok) return null;
  const name = selectorLiteralName(parsed.value);
  if (name === null) return null;
  const labels: Record<string, string> = {};
  for (const m of parsed.value.matchers) {
    if (m.op !== "=" || m.value === "" || m.label === "__name__" || labels[m.label] !== undefined) return null;
    labels[m.label] = m.value;
  }
  return seriesKey(name, labels);
}

/**
 * The catalog keys the selectors match, none twice: first those of the selectors limited to one name,
 * in request order (found through a name index, so asking for 200 exact keys costs 200 lookups, not
 * 200 passes over the catalog), then those of the other selectors in one combined pass, in key order.
 * A selector naming one exact series that matches nothing keeps its key (history answers it with no
 * points, as for a name never pushed). Past `limit` keys it throws PAYLOAD_TOO_LARGE naming the count
 * and the limit, before any history is read.
 */
export function expandSelectors(selectors: readonly string[], keys: readonly string[], limit: number): string[] {
  const byName = new Map<string, string[]>();
  for (const key of keys) {
    const name = seriesKeyName(key);
    const list = byName.get(name);
    if (list === undefined) byName.set(name, [key]);
    else list.push(key);
  }
  const out = new Set<string>();
  const add = (key: string) => {
    out.add(key);
    if (out.size > limit) tooMany(selectors, keys, limit);
  };
  const rest: string[] = [];
  for (const selector of selectors) {
    const parsed = parseSelector(selector);
    const name = parsed.ok ? selectorLiteralName(parsed.value) : null;
    if (name === null) {
      rest.push(selector);
      continue;
    }
    const match = compileSeriesMatcher([selector]);
    let matched = false;
    for (const key of byName.get(name) ?? []) {
      if (!match(key)) continue;
      matched = true;
      add(key);
    }
    const exact = matched ? null : exactKey(selector);
    if (exact !== null) add(exact);
  }
  if (rest.length > 0) {
    const match = compileSeriesMatcher(rest);
    for (const key of keys) if (match(key)) add(key);
  }
  return [...out];
}

function tooMany(selectors: readonly string[], keys: readonly string[], limit: number): never {
  const match = compileSeriesMatcher(selectors);
  const count = keys.reduce((n, key) => n + (match(key) ? 1 : 0), 0);
  throw new TRPCError({
    code: "PAYLOAD_TOO_LARGE",
    message: `series: the selectors match ${Math.max(count, limit + 1)} series, over the limit of ${limit} per history query; narrow them with label matchers`,
  });
}

/**
 * Label names and their distinct values over the series a selector matches, sorted, each list cut at
 * its limit (counts stay exact). Costs one pass over the catalog.
 */
export function labelValues(entries: readonly CatalogEntry[], input: z.output<typeof LabelsInputSchema>): LabelsResult {
  const match = input.selector === undefined ? null : compileSeriesMatcher([input.selector]);
  const values = new Map<string, Set<string>>();
  const add = (label: string, value: string) => {
    if (input.label !== undefined && label !== input.label) return;
    let set = values.get(label);
    if (set === undefined) values.set(label, (set = new Set()));
    set.add(value);
  };
  let series = 0;
  for (const entry of entries) {
    if (match !== null && !match(entry.key)) continue;
    series++;
    add("__name__", entry.name);
    for (const [label, value] of Object.entries(entry.labels)) add(label, value);
  }
  const names = [...values.keys()].sort((a, b) => (a === "__name__" ? -1 : b === "__name__" ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const labels: LabelValues[] = names.slice(0, LABELS_QUERY_LIMITS.maxLabels).map((label) => {
    const all = [...values.get(label)!].sort();
    return { label, values: all.slice(0, input.valuesPerLabel), count: all.length, truncated: all.length > input.valuesPerLabel };
  });
  return { series, labels, truncated: names.length > LABELS_QUERY_LIMITS.maxLabels };
}
