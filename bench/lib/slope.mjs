/**
 * Least-squares slope of y over x, with the fit's R². For RSS over time: a leak is a steady positive
 * slope with a good fit; a sawtooth GC pattern gives a slope near 0 and a poor fit.
 * @param {Array<[number, number]>} points [x, y] pairs
 * @returns {{ slope: number, intercept: number, r2: number } | null} null with fewer than 2 distinct x
 */
export function linearFit(points) {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}
