import { labelNameProblem } from "./labels";
import { formatSelector, parseSelector } from "./selector";
import type { LabelMatcher } from "./selector";

/** One label's condition: a value (`=`), or `{ ne }` (`!=`), `{ re }` (`=~`), `{ nre }` (`!~`). */
export type LabelMatch = string | { readonly ne: string } | { readonly re: string } | { readonly nre: string };

function toMatcher(label: string, match: LabelMatch): LabelMatcher {
  if (typeof match === "string") return { label, op: "=", value: match };
  if ("ne" in match) return { label, op: "!=", value: match.ne };
  if ("re" in match) return { label, op: "=~", value: match.re };
  return { label, op: "!~", value: match.nre };
}

/**
 * Builds a selector's canonical text from parts, quoting and escaping the values, and checks it as the
 * server will (throws an Error naming the matcher and the limit):
 * `selector("host.cpu.total", { host: "web1", cpu: { ne: "0" } })` is `host.cpu.total{cpu!="0",host="web1"}`;
 * `selector(null, { dev: { re: "sd.*" } })` is `{dev=~"sd.*"}` (any name).
 */
export function selector(name: string | null, labels: Readonly<Record<string, LabelMatch | readonly LabelMatch[]>> = {}): string {
  const matchers: LabelMatcher[] = [];
  for (const [label, match] of Object.entries(labels)) {
    const problem = label === "__name__" ? null : labelNameProblem(label);
    if (problem) throw new Error(`matcher ${label}: ${problem}`);
    for (const one of Array.isArray(match) ? (match as readonly LabelMatch[]) : [match as LabelMatch]) matchers.push(toMatcher(label, one));
  }
  const text = formatSelector({ name, matchers });
  const parsed = parseSelector(text);
  if (!parsed.ok) throw new Error(`selector ${text}: ${parsed.message}`);
  return formatSelector(parsed.value);
}
