import { canonicalSelector, formatSelector, parseSelector } from "@livedash/events";

/** What one chart asks for: a series selector (`host.cpu.total{cpu!=""}`), one line per matching series. */
export interface ChartQuery {
  /** The canonical selector text. */
  selector: string;
}

/** Parses one chart query; null when it is not a valid selector (a bad link opens without it). */
export function parseChartQuery(text: string): ChartQuery | null {
  const selector = canonicalSelector(text.trim());
  return selector === null ? null : { selector };
}

/** The text of a chart query; parseChartQuery(formatChartQuery(q)) equals q. */
export function formatChartQuery(query: ChartQuery): string {
  return query.selector;
}

/**
 * Splits a comma-separated list of chart queries on the commas outside braces, parentheses and quotes:
 * `a{x="1",y="2"},b` is two.
 */
export function splitChartList(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== null) {
      if (c === "\\" && quote !== "`") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "{" || c === "(") depth++;
    else if (c === "}" || c === ")") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out.filter((piece) => piece !== "");
}

/** `selector` with `label="value"` added to its matchers (the overview's host); null when it does not parse. */
export function withLabel(selector: string, label: string, value: string): string | null {
  const parsed = parseSelector(selector);
  if (!parsed.ok) return null;
  return canonicalSelector(formatSelector({ name: parsed.value.name, matchers: [...parsed.value.matchers, { label, op: "=", value }] }));
}
