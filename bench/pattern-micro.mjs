/**
 * Child process of the patterns scenario (run with `node --import tsx`): times the real glob matcher
 * from packages/events in-process, with no cache, so the figure is the matcher's own cost.
 * Prints one JSON line: { patterns, names, nsPerNamePerPattern, usPerNameAllPatterns, compileMs }.
 */
import { compileSeriesMatcher } from "@livedash/events";
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
console.log(JSON.stringify({
  patterns: PATTERNS, names: NAMES, hits, compileMs: Math.round(compileMs * 100) / 100,
  usPerNameAllPatterns: Math.round((elapsedMs * 1000 / NAMES) * 10) / 10,
  nsPerNamePerPattern: Math.round((elapsedMs * 1e6) / NAMES / PATTERNS),
}));
