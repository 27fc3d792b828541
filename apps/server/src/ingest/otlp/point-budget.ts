/**
 * Thrown by the OTLP decoders once a request holds more data points than the points-per-request limit:
 * the rest of the body is not read, so the work a request costs is bounded by the limit, not by its size.
 */
export class PointLimitPassed extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} data points`);
    this.name = "PointLimitPassed";
  }
}

/**
 * Data points a decoder may still read (a summary's quantile values count as one each: each becomes a
 * point). Data points are what the body costs to decode; the mapping checks the points they become.
 */
export class PointBudget {
  private left: number;

  constructor(
    /** LIVEDASH_MAX_POINTS_PER_REQUEST; Infinity reads everything. */
    readonly limit: number,
  ) {
    this.left = limit;
  }

  /** Counts `n` more; throws PointLimitPassed past the limit. */
  take(n = 1): void {
    this.left -= n;
    if (this.left < 0) throw new PointLimitPassed(this.limit);
  }
}
