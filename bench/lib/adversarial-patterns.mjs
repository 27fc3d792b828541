/**
 * Series patterns built to hurt a glob matcher, and the long names they are matched against.
 * Every pattern passes SeriesPatternSchema (<= 200 chars of [a-zA-Z0-9_.:*-]) and shares the names'
 * literal prefix, so no matcher can reject it on its first character: it has to walk the name.
 */

/** The names the patterns scenario pushes: `bench.aaaa…a.s<i>`, near the 200-character limit. */
export const LONG_PREFIX = `bench.${"a".repeat(180)}`;

/**
 * `count` distinct adversarial patterns, none of which matches a `${LONG_PREFIX}.s<i>` name:
 * the 26-star pattern from issue #10, long runs of star-separated letters that all match until the
 * last segment, and near-miss repeated segments (the worst input for a naive substring search).
 * @param {number} count
 * @returns {string[]}
 */
export function adversarialPatterns(count) {
  const shapes = [
    (/** @type {number} */ k) => `${"*".repeat(26)}Q${k}`,
    (/** @type {number} */ k) => `bench.${"*a".repeat(80)}*z${k}*`,
    (/** @type {number} */ k) => `bench.*${"aab*".repeat(40)}${k}`,
    (/** @type {number} */ k) => `bench.*${"a".repeat(60)}b*${"a*".repeat(40)}s${k}x`,
    (/** @type {number} */ k) => `*${"a*".repeat(90)}Z${k}`,
  ];
  return Array.from({ length: count }, (_, k) => (shapes[k % shapes.length] ?? String)(k).slice(0, 200));
}
