/**
 * Child process of the patterns scenario (run with `node --import tsx`): times the real glob matcher
 * from packages/events in-process, with no cache, so the figure is the matcher's own cost; then the
 * same for selectors with label matchers (hostile re2js regexes against 1000-character label values).
 * Prints one JSON line: { patterns, names, nsPerNamePerPattern, usPerNameAllPatterns, compileMs, selectors }.
 */
import { compileSeriesMatcher, seriesKey } from "@livedash/events";
import { adversarialPatterns, LONG_PREFIX } from "./lib/adversarial-patterns.mjs";

const PATTERNS = Number(process.argv[2] ?? 256);
const NAMES = Number(process.argv[3] ?? 2000);
const patterns = adversarialPatterns(PATTERNS);
const names = Array.from({ length: NAMES }, (_, i) => `${LONG_PREFIX}.s${i}`);

const compileStart = performance.now();
const matches = compileSeriesMatcher(patterns);
const compileMs = performance.now() - compileStart;
let hits = 0;
// Warm the JIT on a few names first, then time every name once (each is new: nothing to memoise).
for (let i = 0; i < 50; i++) if (matches(names[i % names.length] ?? "")) hits++;
const start = performance.now();
for (const name of names) if (matches(name)) hits++;
const elapsedMs = performance.now() - start;

// Selectors: each a name glob plus a catastrophic-for-backtracking regex and a != matcher, every one
// missing on its last character, against keys whose label values are 1000 characters long and all
// distinct (the worst case: a regex matcher remembers its answer per value, and real values repeat).
const selectors = Array.from({ length: PATTERNS }, (_, i) => `bench.*{host=~"(a*)*b${i}",cpu!="${i}"}`);
const keys = Array.from({ length: NAMES }, (_, i) => seriesKey(`bench.s${i}`, { host: "a".repeat(1000 - String(i).length) + i, cpu: String(i % 64) }));
const selectorCompileStart = performance.now();
const selects = compileSeriesMatcher(selectors);
const selectorCompileMs = performance.now() - selectorCompileStart;
let selectorHits = 0;
for (let i = 0; i < 50; i++) if (selects(keys[i % keys.length] ?? "")) selectorHits++;
const selectorStart = performance.now();
for (const key of keys) if (selects(key)) selectorHits++;
const selectorMs = performance.now() - selectorStart;

console.log(JSON.stringify({
  patterns: PATTERNS, names: NAMES, hits, compileMs: Math.round(compileMs * 100) / 100,
  usPerNameAllPatterns: Math.round((elapsedMs * 1000 / NAMES) * 10) / 10,
  nsPerNamePerPattern: Math.round((elapsedMs * 1e6) / NAMES / PATTERNS),
  selectors: {
    selectors: PATTERNS, keys: NAMES, valueLength: 1000, hits: selectorHits, compileMs: Math.round(selectorCompileMs * 100) / 100,
    usPerKeyAllSelectors: Math.round((selectorMs * 1000 / NAMES) * 10) / 10,
    nsPerKeyPerSelector: Math.round((selectorMs * 1e6) / NAMES / PATTERNS),
  },
}));
