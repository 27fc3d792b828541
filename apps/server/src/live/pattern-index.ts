import { compileSelector, parseSelector, parseSeriesKey, selectorLiteralName, seriesKeyName } from "@livedash/events";
import type { KeyPredicate, ParsedSeriesKey } from "@livedash/events";
import { TRPCError } from "@trpc/server";

export interface PatternIndexOptions {
  /**
   * Distinct live selectors (deduplicated across every subscription, in canonical text) the server
   * holds at once. A new series key is tested against each distinct selector once, so this bounds what
   * a batch of new keys can cost, whoever subscribed.
   * @default 2048
   */
  maxPatterns?: number;
  /**
   * Distinct live patterns the subscriptions of one address may hold at once.
   * @default 512
   */
  maxPatternsPerAddress?: number;
  /**
   * Regex matchers (`=~`, `!~`) in the distinct live selectors of the whole server. A regex costs about
   * 20 ns per character of a label value (a glob about 1): 256 regexes x 100 new keys with distinct
   * 1000-character values is about 0.5 s of matching, so they get a cap of their own.
   * @default 256
   */
  maxRegexMatchers?: number;
  /**
   * Series whose per-pattern results are remembered; past it they are all forgotten and recomputed
   * when seen again (the store's series cap normally keeps it far below).
   * @default 65_536
   */
  maxSeriesResults?: number;
  /** Compiles one selector; a test hook (counting matcher invocations). @default compileSelector */
  compile?: (selector: string) => KeyPredicate;
}

/**
 * One distinct selector (canonical text), shared by every group that holds it. Ids only grow, never
 * reused. `glob` is true for every selector that must be tested (a name glob or label matchers); a
 * bare literal name is answered by a map lookup on the key's name instead.
 */
export interface PatternEntry {
  readonly id: number;
  readonly pattern: string;
  readonly glob: boolean;
  /** The one name a tested selector can match (`cpu{host="a"}`), or null (a name glob): other names skip the test. */
  readonly literalName: string | null;
  /** Its `=~` / `!~` matchers, counted against maxRegexMatchers while it is compiled. */
  readonly regexMatchers: number;
  readonly test: KeyPredicate;
  refs: number;
}

/** Which live globs a series matched: those with ids below upTo were all tested. */
interface SeriesResult {
  readonly matched: Set<number>;
  upTo: number;
}

/** What a group of subscribers needs to get its verdict from the shared results. */
export interface PatternSet {
  readonly ids: ReadonlySet<number>;
  readonly entries: readonly PatternEntry[];
}

/**
 * The distinct live selectors of the whole server and, per series key, which of them it matched. A new
 * key is parsed once and costs one test per distinct tested selector (each linear in the key and the
 * selector: globs by KMP, regexes in re2js), however many groups hold it; a group's verdict is then a
 * set intersection of selector ids, no matching. A bare literal name (`host.cpu.user`, every label set
 * of that name) is a map lookup on the key's name. Refuses subscriptions past the server-wide and
 * per-address caps, which count distinct selectors.
 */
export function createPatternIndex(options: PatternIndexOptions = {}) {
  const maxPatterns = options.maxPatterns ?? 2048;
  const maxPerAddress = options.maxPatternsPerAddress ?? 512;
  const maxSeriesResults = options.maxSeriesResults ?? 65_536;
  const maxRegexMatchers = options.maxRegexMatchers ?? 256;
  /** Regex matchers of the entries groups hold, and of every compiled entry (held or idle; idle ones are still tested). */
  let regexLive = 0;
  let regexCompiled = 0;
  const compile = options.compile ?? ((selector: string) => compileSelector(selector));
  const byPattern = new Map<string, PatternEntry>();
  /** Live globs in id order (Map keeps insertion order and ids grow). */
  const globs = new Map<number, PatternEntry>();
  const results = new Map<string, SeriesResult>();
  const perAddress = new Map<string, Map<string, number>>();
  /**
   * Patterns no group holds any more, least recently released first. They stay compiled with their
   * results (a client long-polling every second would otherwise re-test each series every poll) while
   * there is room under maxPatterns, and are dropped first when live ones need it.
   */
  const idle = new Map<string, PatternEntry>();
  let nextId = 0;

  function tooMany(message: string): never {
    throw new TRPCError({ code: "TOO_MANY_REQUESTS", message });
  }

  function result(series: string): SeriesResult {
    let r = results.get(series);
    if (r === undefined) {
      if (results.size >= maxSeriesResults) results.clear();
      r = { matched: new Set(), upTo: 0 };
      results.set(series, r);
    }
    if (r.upTo < nextId) {
      // Only selectors added since the last look are tested; ids of released ones are dropped. The key
      // is parsed once for all of them (keys come from ingest, so they parse; one that does not matches nothing).
      for (const id of r.matched) if (!globs.has(id)) r.matched.delete(id);
      const name = seriesKeyName(series);
      let parsed: ParsedSeriesKey | null | undefined;
      for (const entry of globs.values()) {
        if (entry.id < r.upTo || (entry.literalName !== null && entry.literalName !== name)) continue;
        if (parsed === undefined) {
          const result = parseSeriesKey(series);
          parsed = result.ok ? result.value : null;
        }
        if (parsed !== null && entry.test(parsed)) r.matched.add(entry.id);
      }
      r.upTo = nextId;
    }
    return r;
  }

  /** `pattern` is a canonical selector (the schemas hand them over so); an invalid one throws here. */
  function newEntry(pattern: string): PatternEntry {
    const parsed = parseSelector(pattern);
    if (!parsed.ok) throw new TRPCError({ code: "BAD_REQUEST", message: `series: ${parsed.message}` });
    const literalName = selectorLiteralName(parsed.value);
    const glob = literalName === null || parsed.value.matchers.length > 0;
    const regexMatchers = countRegexMatchers(parsed.value.matchers);
    regexCompiled += regexMatchers;
    return { id: nextId++, pattern, glob, literalName, regexMatchers, test: compile(pattern), refs: 0 };
  }

  /** Regex matchers `pattern` would add if a group took it now (0 when a group already holds it). */
  function addedRegex(pattern: string): number {
    const entry = byPattern.get(pattern);
    if (entry !== undefined) return entry.refs === 0 ? entry.regexMatchers : 0;
    const parsed = parseSelector(pattern);
    return parsed.ok ? countRegexMatchers(parsed.value.matchers) : 0;
  }

  function drop(entry: PatternEntry) {
    regexCompiled -= entry.regexMatchers;
    idle.delete(entry.pattern);
    byPattern.delete(entry.pattern);
    globs.delete(entry.id);
  }

  return {
    /** Throws TOO_MANY_REQUESTS, naming the limit, if a subscriber of `address` holding `patterns` passes a cap. */
    check(patterns: readonly string[], address: string | undefined) {
      const active = byPattern.size - idle.size;
      let added = 0;
      for (const pattern of patterns) if ((byPattern.get(pattern)?.refs ?? 0) === 0) added++;
      if (active + added > maxPatterns) {
        tooMany(`live patterns: the server holds at most ${maxPatterns} distinct patterns (LIVEDASH_MAX_LIVE_PATTERNS); ${active} are in use (each distinct selector counts once)`);
      }
      let regex = 0;
      for (const pattern of patterns) regex += addedRegex(pattern);
      if (regex > 0 && regexLive + regex > maxRegexMatchers) {
        tooMany(`live patterns: the server holds at most ${maxRegexMatchers} regex matchers (=~, !~) in its distinct selectors (LIVEDASH_MAX_LIVE_REGEX_MATCHERS); ${regexLive} are in use and these selectors add ${regex}`);
      }
      const held = address === undefined ? undefined : perAddress.get(address);
      let addedHere = 0;
      for (const pattern of patterns) if (!held?.has(pattern)) addedHere++;
      if ((held?.size ?? 0) + addedHere > maxPerAddress) {
        tooMany(`live patterns: one address may hold at most ${maxPerAddress} distinct patterns (LIVEDASH_MAX_LIVE_PATTERNS_PER_ADDRESS); ${held?.size ?? 0} are in use (each distinct selector counts once)`);
      }
    },
    /** check(), then counts the (deduplicated) patterns against the address until dismiss(). */
    admit(patterns: readonly string[], address: string | undefined) {
      this.check(patterns, address);
      if (address === undefined) return;
      const held = perAddress.get(address) ?? new Map<string, number>();
      for (const pattern of patterns) held.set(pattern, (held.get(pattern) ?? 0) + 1);
      perAddress.set(address, held);
    },
    /** Undoes admit() when the subscriber leaves. */
    dismiss(patterns: readonly string[], address: string | undefined) {
      if (address === undefined) return;
      const held = perAddress.get(address);
      if (!held) return;
      for (const pattern of patterns) {
        const refs = (held.get(pattern) ?? 1) - 1;
        if (refs <= 0) held.delete(pattern);
        else held.set(pattern, refs);
      }
      if (held.size === 0) perAddress.delete(address);
    },
    /** The entries of a new group's patterns (deduplicated), compiled once server-wide. */
    acquire(patterns: readonly string[]): PatternSet {
      const entries: PatternEntry[] = [];
      for (const pattern of patterns) {
        let entry = byPattern.get(pattern);
        if (!entry) {
          entry = newEntry(pattern);
          byPattern.set(pattern, entry);
          if (entry.glob) globs.set(entry.id, entry);
        }
        if (entry.refs++ === 0) {
          idle.delete(pattern);
          regexLive += entry.regexMatchers;
        }
        entries.push(entry);
      }
      for (const entry of idle.values()) {
        if (byPattern.size <= maxPatterns && regexCompiled <= maxRegexMatchers) break;
        drop(entry);
      }
      return { ids: new Set(entries.map((entry) => entry.id)), entries };
    },
    /** The group is gone: patterns no other group holds turn idle. */
    release(set: PatternSet) {
      for (const entry of set.entries) {
        if (--entry.refs > 0) continue;
        idle.set(entry.pattern, entry);
        regexLive -= entry.regexMatchers;
      }
    },
    /** Whether any selector of the set matches the key `series`; each is tested once per key, server-wide. */
    matches(set: PatternSet, series: string): boolean {
      const exact = byPattern.get(seriesKeyName(series));
      // An idle entry's id is in no live group's set, so an idle exact pattern never counts here.
      if (exact !== undefined && !exact.glob && set.ids.has(exact.id)) return true;
      const { matched } = result(series);
      if (matched.size === 0) return false;
      // Intersect from the smaller side.
      if (matched.size < set.ids.size) {
        for (const id of matched) if (set.ids.has(id)) return true;
        return false;
      }
      for (const id of set.ids) if (matched.has(id)) return true;
      return false;
    },
    stats: () => ({ patterns: byPattern.size - idle.size, idle: idle.size, globs: globs.size, regexMatchers: regexLive, addresses: perAddress.size, seriesResults: results.size }),
  };
}

function countRegexMatchers(matchers: readonly { readonly op: string }[]): number {
  let n = 0;
  for (const m of matchers) if (m.op === "=~" || m.op === "!~") n++;
  return n;
}

export type PatternIndex = ReturnType<typeof createPatternIndex>;
