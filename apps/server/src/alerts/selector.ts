import { compileSeriesMatcher, parseSelector, parseSeriesKey } from "@livedash/events";

export type SeriesSelector = (key: string) => boolean;

/**
 * A rule's `series` is a series selector like every subscription's (selector.ts in @livedash/events):
 * a name glob (`host.cpu.*`), optionally with label matchers (`host.cpu.total{host="web1",cpu!="0"}`,
 * `{dev=~"sd.*"}` for any name), regexes in re2js.
 */
export function compileRuleSelector(selector: string): { ok: true; match: SeriesSelector } | { ok: false; message: string } {
  const parsed = parseSelector(selector);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  return { ok: true, match: compileSeriesMatcher([selector]) };
}

/** The labels of a series key ({} for a bare name or a key that does not parse). */
export function labelsOf(key: string): Readonly<Record<string, string>> {
  if (!key.includes("{")) return {};
  const parsed = parseSeriesKey(key);
  return parsed.ok ? parsed.value.labels : {};
}
