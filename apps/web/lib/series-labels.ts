import { parseSeriesKey } from "@livedash/events";
import type { Labels } from "@livedash/events";

/** A key's name and labels; a key that does not parse is all name (the legend still shows it). */
export function splitKey(key: string): { name: string; labels: Labels } {
  const parsed = parseSeriesKey(key);
  return parsed.ok ? parsed.value : { name: key, labels: {} };
}

/** `a="x",b="y"` without braces: what a legend or a title shows of a label set. */
export function formatLabels(labels: Labels, only?: readonly string[]): string {
  const names = (only ?? Object.keys(labels)).filter((name) => labels[name] !== undefined).sort();
  return names.map((name) => `${name}="${labels[name] ?? ""}"`).join(", ");
}

/** Dotted segments every name shares at the start (`host.cpu.user`, `host.cpu.idle` -> 2). */
function commonSegments(names: readonly string[]): number {
  const split = names.map((n) => n.split("."));
  const first = split[0] ?? [];
  let n = 0;
  // Keep at least the last segment of every name: a legend entry never becomes empty through this.
  while (n < first.length - 1 && split.every((parts) => n < parts.length - 1 && parts[n] === first[n])) n++;
  return n;
}

/**
 * Compact legend entries for the lines of one chart: only what tells them apart. Names lose the
 * dotted prefix they all share (and are left out when they are all the same); labels with the same
 * value on every line are left out (and missing on some counts as differing). One line keeps the
 * last segment of its name and all its labels but `omit` (what the page already says, as the
 * overview's host). `host.cpu.total{cpu="0",host="h"}` and `{cpu="1",host="h"}` -> `cpu="0"`, `cpu="1"`.
 */
export function legendLabels(keys: readonly string[], omit: readonly string[] = []): string[] {
  const parts = keys.map(splitKey);
  const names = parts.map((p) => p.name);
  const sameName = names.every((n) => n === names[0]);
  const drop = keys.length === 1 ? (names[0] ?? "").split(".").length - 1 : commonSegments(names);
  const labelNames = [...new Set(parts.flatMap((p) => Object.keys(p.labels)))].filter((label) => !omit.includes(label));
  // One line: all its labels (nothing to compare with, and the legend says which series it is).
  const differing = keys.length === 1 ? labelNames : labelNames.filter((label) => parts.some((p) => p.labels[label] !== parts[0]?.labels[label]));
  return parts.map((p) => {
    const name = sameName && keys.length > 1 ? "" : p.name.split(".").slice(drop).join(".");
    const labels = formatLabels(p.labels, differing.filter((label) => p.labels[label] !== undefined));
    if (name === "") return labels === "" ? p.name : labels;
    return labels === "" ? name : `${name} ${labels}`;
  });
}

/** Label names seen on `keys` with their distinct values, names and values sorted (numbers numerically). */
export function labelValues(keys: readonly string[]): Map<string, string[]> {
  const values = new Map<string, Set<string>>();
  for (const key of keys) {
    for (const [label, value] of Object.entries(splitKey(key).labels)) {
      let set = values.get(label);
      if (set === undefined) {
        set = new Set();
        values.set(label, set);
      }
      set.add(value);
    }
  }
  const collator = new Intl.Collator(undefined, { numeric: true });
  return new Map(
    [...values.keys()].sort().map((label) => [label, [...(values.get(label) ?? [])].sort(collator.compare)]),
  );
}
