import type { CatalogEntry, LiveEvent } from "@livedash/events";

/** `12:04:05.123` in local time: a tail is read by a person watching now. */
export function clock(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 0.001 || abs >= 1e9) ? value.toExponential(4) : String(Number(value.toFixed(4)));
}

/** Lines for one live event: a table row per point, or one JSON object per point. */
export function formatEvent(id: string, event: LiveEvent, json: boolean, seriesWidth: number): string[] {
  if (event.type === "reset") {
    return json
      ? [JSON.stringify({ type: "reset", reason: event.reason, id })]
      : [`-- reset (${event.reason}): the server could not replay what was missed; points before this line may be incomplete`];
  }
  return event.points.map((p) =>
    json
      ? JSON.stringify({ series: p.series, ts: p.ts, value: p.value, id })
      : `${clock(p.ts)}  ${p.series.padEnd(seriesWidth)}  ${formatValue(p.value)}`,
  );
}

/** The catalog as a table of series KEYS (name and labels), or one JSON entry per line with key, name and labels. */
export function formatCatalog(series: readonly CatalogEntry[], json: boolean, nowMs: number): string[] {
  if (json) return series.map((s) => JSON.stringify(s));
  if (series.length === 0) return ["(no series yet)"];
  const header = ["SERIES", "UNIT", "KIND", "LAST", "AGE"];
  const rows = [...series]
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((s) => [s.key, s.unit, s.kind, s.last ? formatValue(s.last.value) : "-", s.last ? age(nowMs - s.last.ts) : "-"]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

function age(ms: number): string {
  if (ms < 1_000) return "now";
  if (ms < 60_000) return `${Math.round(ms / 1_000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round(ms / 3_600_000)}h`;
}
