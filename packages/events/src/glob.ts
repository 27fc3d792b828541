/**
 * Compiles series patterns into one predicate. `*` matches any run of characters (dots included).
 * Patterns are validated by SeriesPatternSchema first, so only `*` needs translating; the other
 * allowed characters are escaped where they mean something in a RegExp.
 */
export function compileSeriesMatcher(patterns: readonly string[]): (series: string) => boolean {
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const pattern of patterns) {
    if (pattern === "*") return () => true;
    if (pattern.includes("*")) globs.push(pattern);
    else exact.add(pattern);
  }
  if (globs.length === 0) return (series) => exact.has(series);
  const source = globs.map((g) => g.split("*").map(escapeRegExp).join(".*")).join("|");
  const re = new RegExp(`^(?:${source})$`);
  return (series) => exact.has(series) || re.test(series);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.\\^$+?()[\]{}|-]/g, "\\$&");
}
