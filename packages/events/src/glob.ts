/**
 * Series pattern matching in time linear in the name and the pattern, whatever the pattern.
 *
 * A pattern is literal text with `*` wildcards (any run of characters, dots included); patterns are
 * validated by parseSelector first, so `*` is the only special character. A backtracking
 * RegExp (`^.*.*.*Q$`) costs about name^stars on a miss: one `/sse?series=**************************Q`
 * froze the event loop for minutes. Here a pattern is split at its stars into a literal prefix, a
 * literal suffix and the literal segments between; the prefix and suffix are compared in place and
 * each middle segment is searched for left to right with Knuth–Morris–Pratt. Taking the leftmost
 * occurrence of each segment is never wrong for star-only globs (anything a later occurrence could
 * match, the leftmost one leaves more room for), and each search starts where the previous match
 * ended, so one match reads every character of the name at most twice: O(len(name) + len(pattern)).
 */

/** One compiled glob: literal prefix and suffix, and the KMP tables of the segments between the stars. */
interface CompiledGlob {
  readonly prefix: string;
  readonly suffix: string;
  readonly middles: readonly Segment[];
  /** Shortest name that can match: the literal characters of the pattern. */
  readonly minLength: number;
}

interface Segment {
  readonly text: string;
  /** KMP failure function: length of the longest proper prefix of text[0..i] that is also its suffix. */
  readonly fail: readonly number[];
}

/** A plain array, not an Int32Array: patterns have up to ~100 tiny segments, and typed arrays are slow to allocate. */
function compileSegment(text: string): Segment {
  const fail: number[] = new Array<number>(text.length).fill(0);
  let k = 0;
  for (let i = 1; i < text.length; i++) {
    while (k > 0 && text.charCodeAt(i) !== text.charCodeAt(k)) k = fail[k - 1]!;
    if (text.charCodeAt(i) === text.charCodeAt(k)) k++;
    fail[i] = k;
  }
  return { text, fail };
}

/** `segments` shares one compiled Segment per distinct text across the patterns of a set. */
function compileGlob(pattern: string, segments: Map<string, Segment>): CompiledGlob {
  const parts = pattern.split("*");
  const prefix = parts[0]!;
  const suffix = parts[parts.length - 1]!;
  const middles: Segment[] = [];
  for (let i = 1; i < parts.length - 1; i++) {
    const text = parts[i]!;
    if (text === "") continue;
    let segment = segments.get(text);
    if (segment === undefined) {
      segment = compileSegment(text);
      segments.set(text, segment);
    }
    middles.push(segment);
  }
  const minLength = prefix.length + suffix.length + middles.reduce((sum, segment) => sum + segment.text.length, 0);
  return { prefix, suffix, middles, minLength };
}

/** Index just past the first occurrence of segment in name[from, to), or -1. */
function findSegment(name: string, segment: Segment, from: number, to: number): number {
  const { text, fail } = segment;
  let k = 0;
  for (let i = from; i < to; i++) {
    const c = name.charCodeAt(i);
    while (k > 0 && c !== text.charCodeAt(k)) k = fail[k - 1]!;
    if (c === text.charCodeAt(k)) k++;
    if (k === text.length) return i + 1;
  }
  return -1;
}

function matchGlob(glob: CompiledGlob, name: string): boolean {
  if (name.length < glob.minLength || !name.startsWith(glob.prefix) || !name.endsWith(glob.suffix)) return false;
  // Middle segments must fit between the prefix and the suffix, which may not overlap them.
  const end = name.length - glob.suffix.length;
  let pos = glob.prefix.length;
  for (const segment of glob.middles) {
    pos = findSegment(name, segment, pos, end);
    if (pos === -1) return false;
  }
  return true;
}

/**
 * Compiles name globs into one predicate over series NAMES; each call costs O(len(name) + total
 * pattern length). Selectors (selector.ts) match their name part with it.
 */
export function compileGlobMatcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const globs: CompiledGlob[] = [];
  const seen = new Set<string>();
  const segments = new Map<string, Segment>();
  for (const pattern of patterns) {
    if (pattern === "*") return () => true;
    if (seen.has(pattern)) continue;
    seen.add(pattern);
    if (pattern.includes("*")) globs.push(compileGlob(pattern, segments));
    else exact.add(pattern);
  }
  if (globs.length === 0) return (series) => exact.has(series);
  return (series) => {
    if (exact.has(series)) return true;
    for (const glob of globs) if (matchGlob(glob, series)) return true;
    return false;
  };
}
