import { AGGREGATE_OPS, AggregateSchema, canonicalSelector, formatSelector, parseSelector, splitSelectorList } from "@livedash/events";
import type { Aggregate, AggregateOp } from "@livedash/events";

/**
 * What one chart asks for: a series selector, and optionally an aggregation by labels computed on the
 * server (`metrics.live`/`metrics.history` with `aggregate`). Written as PromQL writes it, so a
 * Prometheus user reads it at sight and the URL keeps it whole:
 * `host.cpu.total{cpu!=""}`, `avg by (cpu) (host.cpu.total{cpu!=""})`, `sum (app.requests)`.
 */
export interface ChartQuery {
  /** The canonical selector text. */
  selector: string;
  aggregate?: Aggregate;
}

const OPS = new Set<string>(AGGREGATE_OPS);
const LABEL_LIST = /^[a-zA-Z_][a-zA-Z0-9_]*(\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*)*$/;

/** Parses one chart query; null when it is not a valid selector or aggregation (a bad link opens without it). */
export function parseChartQuery(text: string): ChartQuery | null {
  const trimmed = text.trim();
  const plain = canonicalSelector(trimmed);
  if (plain !== null) return { selector: plain };
  // `<op> [by (<labels>)] (<selector>)`: the selector is everything inside the last parentheses.
  const head = /^([a-z]+)\s*(?:by\s*\(([^()]*)\)\s*)?\(/.exec(trimmed);
  if (head === null || !trimmed.endsWith(")")) return null;
  const op = head[1] ?? "";
  if (!OPS.has(op)) return null;
  const byText = head[2]?.trim();
  if (byText !== undefined && byText !== "" && !LABEL_LIST.test(byText)) return null;
  const by = byText ? byText.split(",").map((label) => label.trim()) : [];
  const selector = canonicalSelector(trimmed.slice(head[0].length, -1).trim());
  const aggregate = AggregateSchema.safeParse({ op, ...(by.length > 0 ? { by } : {}) });
  if (selector === null || !aggregate.success) return null;
  return { selector, aggregate: aggregate.data };
}

/** The text of a chart query; parseChartQuery(formatChartQuery(q)) equals q. */
export function formatChartQuery(query: ChartQuery): string {
  if (query.aggregate === undefined) return query.selector;
  const by = query.aggregate.by ?? [];
  return `${query.aggregate.op}${by.length > 0 ? ` by (${by.join(",")})` : ""} (${query.selector})`;
}

/** A copy of the query aggregated by `op` over `by`, or plain again with op null. */
export function withAggregate(query: ChartQuery, op: AggregateOp | null, by: readonly string[]): ChartQuery {
  if (op === null) return { selector: query.selector };
  return { selector: query.selector, aggregate: { op, ...(by.length > 0 ? { by: [...by] } : {}) } };
}

/**
 * Splits a comma-separated list of chart queries on the commas outside braces, parentheses and quotes:
 * `a{x="1",y="2"},sum by (a,b) (c)` is two.
 */
export function splitChartList(text: string): string[] {
  return splitSelectorList(text, { parentheses: true, dropEmpty: true });
}

/** `selector` with `label="value"` added to its matchers (the overview's host); null when it does not parse. */
export function withLabel(selector: string, label: string, value: string): string | null {
  const parsed = parseSelector(selector);
  if (!parsed.ok) return null;
  return canonicalSelector(formatSelector({ name: parsed.value.name, matchers: [...parsed.value.matchers, { label, op: "=", value }] }));
}
