import { SELECTOR_LIMITS, formatSelector } from "@livedash/events";
import type { LabelsResult } from "@livedash/events";

/** RE2 metacharacters: a search term is matched as text. */
const RE2_SPECIAL = /[\\.+*?()|[\]{}^$]/g;

/**
 * The selector whose label names and values the explorer offers for a search: series whose NAME
 * contains every term (case-insensitive, as the explorer searches), one `__name__=~` matcher per term
 * (at most the selector's matcher limit; a term too long for a regex is left out). Null: no terms,
 * every series.
 */
export function explorerLabelsSelector(search: string): string | null {
  const terms = search.toLowerCase().split(/\s+/).filter(Boolean).slice(0, SELECTOR_LIMITS.matchersPerSelector);
  const matchers = terms.flatMap((term) => {
    const regex = `(?i).*${term.replace(RE2_SPECIAL, (c) => `\\${c}`)}.*`;
    return regex.length > SELECTOR_LIMITS.regexLength ? [] : [{ label: "__name__", op: "=~" as const, value: regex }];
  });
  return matchers.length === 0 ? null : formatSelector({ name: null, matchers });
}

/** metrics.labels' answer as the explorer's filters: label -> values and how many there are (`__name__` left out). */
export function labelChoices(result: LabelsResult): Map<string, { values: string[]; count: number }> {
  return new Map(result.labels.filter((l) => l.label !== "__name__").map((l) => [l.label, { values: l.values, count: l.count }]));
}
