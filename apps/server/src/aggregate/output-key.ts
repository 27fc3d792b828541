import { parseSeriesKey, seriesKey } from "@livedash/events";

/**
 * The output series a member belongs to: its NAME plus those of its labels named in `by` (so series
 * with different names never merge; a member without one of the labels has it absent, as an empty
 * label is absent in Prometheus). `by` sorted or not, the key is canonical. Null for a key that does
 * not parse (never from the store: every stored key was validated on ingest).
 */
export function outputKeyOf(member: string, by: readonly string[]): string | null {
  const brace = member.indexOf("{");
  if (brace === -1) return member;
  if (by.length === 0) return member.slice(0, brace);
  const parsed = parseSeriesKey(member);
  if (!parsed.ok) return null;
  const kept: Record<string, string> = {};
  for (const label of by) {
    const value = parsed.value.labels[label];
    if (value !== undefined) kept[label] = value;
  }
  return seriesKey(parsed.value.name, kept);
}
