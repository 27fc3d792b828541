/**
 * Latency histogram with 1 ms buckets. Fixed size so every subscriber process can ship it to the
 * orchestrator as sparse [ms, count] pairs and the orchestrator can merge them exactly (percentiles
 * of merged samples, not an average of percentiles).
 */

/** Latencies at or above this land in the last bucket (reported as ">= maxMs"). */
export const HISTOGRAM_MAX_MS = 60_000;

export function createHistogram() {
  const counts = new Uint32Array(HISTOGRAM_MAX_MS + 1);
  let total = 0;
  return {
    /** @param {number} latencyMs */
    record(latencyMs) {
      const bucket = latencyMs <= 0 ? 0 : latencyMs >= HISTOGRAM_MAX_MS ? HISTOGRAM_MAX_MS : Math.round(latencyMs);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
      total += 1;
    },
    reset() {
      counts.fill(0);
      total = 0;
    },
    get total() {
      return total;
    },
    /** Sparse form for IPC: [[ms, count], ...]. */
    toSparse() {
      /** @type {Array<[number, number]>} */
      const out = [];
      counts.forEach((count, ms) => {
        if (count > 0) out.push([ms, count]);
      });
      return out;
    },
  };
}

/**
 * Merges sparse histograms and answers percentiles.
 * @param {Array<Array<[number, number]>>} sparseList
 */
export function mergeSparse(sparseList) {
  const merged = new Map();
  let total = 0;
  for (const sparse of sparseList) {
    for (const [ms, count] of sparse) {
      merged.set(ms, (merged.get(ms) ?? 0) + count);
      total += count;
    }
  }
  const sorted = [...merged.entries()].sort((a, b) => a[0] - b[0]);
  return {
    total,
    /** @param {number} q quantile in [0, 1]; null when there are no samples */
    quantile(q) {
      if (total === 0) return null;
      const rank = Math.max(1, Math.ceil(q * total));
      let seen = 0;
      for (const [ms, count] of sorted) {
        seen += count;
        if (seen >= rank) return ms;
      }
      return sorted[sorted.length - 1]?.[0] ?? null;
    },
    max() {
      return total === 0 ? null : sorted[sorted.length - 1]?.[0] ?? null;
    },
  };
}
