import { compileSeriesMatcher, parseSeriesKey, SeriesPatternSchema } from "@livedash/events";

export type SeriesSelector = (key: string) => boolean;

/**
 * A rule's `series`: a name glob (`host.cpu.*`), optionally followed by label matchers
 * (`host.cpu.total{host="web1"}`; `{host="web1"}` alone matches any name). The glob is tested against
 * the name part of a series key only, as everywhere else. Label matchers are equalities here; the
 * shared selector of the labels plan (selector.ts in @livedash/events) replaces this once it lands.
 */
export function compileRuleSelector(selector: string): { ok: true; match: SeriesSelector } | { ok: false; message: string } {
  const brace = selector.indexOf("{");
  const namePart = brace === -1 ? selector : selector.slice(0, brace);
  let nameMatches: SeriesSelector = () => true;
  if (namePart !== "") {
    const check = SeriesPatternSchema.safeParse(namePart);
    if (!check.success) return { ok: false, message: check.error.issues[0]?.message ?? "bad series pattern" };
    nameMatches = compileSeriesMatcher([namePart]);
  }
  if (brace === -1) return { ok: true, match: (key) => nameMatches(nameOf(key)) };
  const parsed = parseSeriesKey(`x${selector.slice(brace)}`);
  if (!parsed.ok) return { ok: false, message: `label matchers: ${parsed.label ? `${parsed.label}: ` : ""}${parsed.message}` };
  const wanted = Object.entries(parsed.value.labels);
  return {
    ok: true,
    match(key) {
      if (!nameMatches(nameOf(key))) return false;
      if (wanted.length === 0) return true;
      const labels = labelsOf(key);
      return wanted.every(([name, value]) => labels[name] === value);
    },
  };
}

function nameOf(key: string): string {
  const brace = key.indexOf("{");
  return brace === -1 ? key : key.slice(0, brace);
}

/** The labels of a series key ({} for a bare name or a key that does not parse). */
export function labelsOf(key: string): Readonly<Record<string, string>> {
  if (!key.includes("{")) return {};
  const parsed = parseSeriesKey(key);
  return parsed.ok ? parsed.value.labels : {};
}
