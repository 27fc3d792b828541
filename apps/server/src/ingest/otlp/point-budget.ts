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

/** The fewest entries a request may hold, whatever LIVEDASH_MAX_POINTS_PER_REQUEST is. */
export const MIN_ENTRY_LIMIT = 1000;

/**
 * Thrown by the OTLP decoders once a request holds more resources, scopes, metrics and resource
 * attributes than its entry limit: those cost decoding (and mapping) whether or not they hold a data
 * point, so 1 MiB of empty metrics (524k in 1 KB of gzip) cost 0.2-0.9 s before this limit. A 400.
 */
export class EntryLimitPassed extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} resources, scopes, metrics and resource attributes in one request (at most max(LIVEDASH_MAX_POINTS_PER_REQUEST, ${MIN_ENTRY_LIMIT}))`);
    this.name = "EntryLimitPassed";
  }
}

/**
 * Data points a decoder may still read (a summary's quantile values count as one each: each becomes a
 * point). Data points are what the body costs to decode; the mapping checks the points they become.
 */
export class PointBudget {
  private left: number;
  /** Resources, scopes, metrics and resource attributes: max(limit, MIN_ENTRY_LIMIT). */
  readonly entryLimit: number;
  private entriesLeft: number;

  constructor(
    /** LIVEDASH_MAX_POINTS_PER_REQUEST; Infinity reads everything. */
    readonly limit: number,
  ) {
    this.left = limit;
    this.entryLimit = this.entriesLeft = Math.max(limit, MIN_ENTRY_LIMIT);
  }

  /** Counts `n` more entries (resources, scopes, metrics, resource attributes); throws EntryLimitPassed past the limit. */
  takeEntries(n = 1): void {
    this.entriesLeft -= n;
    if (this.entriesLeft < 0) throw new EntryLimitPassed(this.entryLimit);
  }

  /** Counts `n` more; throws PointLimitPassed past the limit. */
  take(n = 1): void {
    this.left -= n;
    if (this.left < 0) throw new PointLimitPassed(this.limit);
  }
}
