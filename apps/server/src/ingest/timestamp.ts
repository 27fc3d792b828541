import { z } from "zod";
import { formatDurationLong, formatDurationShort, quoteForError } from "./result";

export type Precision = "s" | "ms" | "us" | "ns";

/**
 * The `?precision=` query parameter of /api/write. Accepts the InfluxDB 2 names (s, ms, us, ns) and the
 * InfluxDB 1 short forms (n, u); absent means ns, as in InfluxDB and Telegraf.
 */
export const PrecisionSchema = z
  .preprocess(
    (value) => (value === "n" ? "ns" : value === "u" ? "us" : value === null || value === "" ? undefined : value),
    z.enum(["s", "ms", "us", "ns"], { error: "precision must be one of s, ms, us, ns" }).default("ns"),
  );

// How many units of each precision make one millisecond (s is the only one coarser than ms).
const PER_MS: Record<Exclude<Precision, "s">, bigint> = { ms: 1n, us: 1_000n, ns: 1_000_000n };

const INTEGER_RE = /^-?\d{1,30}$/;

export type TimestampResult = { ok: true; ms: number } | { ok: false; message: string };

/**
 * Converts a line-protocol timestamp (an integer in `precision`) to epoch ms, truncating sub-ms digits.
 * Parsed as BigInt: a ns timestamp (19 digits) does not fit a double exactly, and rounding it through
 * Number first could move it by up to ~256 ns and, near a ms boundary, into the wrong millisecond.
 */
export function timestampToMs(
  text: string,
  precision: Precision,
  limits: { nowMs: number; maxFutureMs: number },
): TimestampResult {
  if (!INTEGER_RE.test(text)) return { ok: false, message: `timestamp ${quoteForError(text)} is not an integer` };
  const raw = BigInt(text);
  if (raw < 0n) return { ok: false, message: `timestamp ${quoteForError(text)} is before 1970 (negative timestamps are not supported)` };
  const msBig = precision === "s" ? raw * 1000n : raw / PER_MS[precision];
  return checkFuture(Number(msBig), limits);
}

/** Rejects a ts further than maxFutureMs ahead of nowMs, e.g. `timestamp is 10 days in the future (limit 5m)`. */
export function checkFuture(ms: number, limits: { nowMs: number; maxFutureMs: number }): TimestampResult {
  const aheadMs = ms - limits.nowMs;
  if (aheadMs > limits.maxFutureMs) {
    return {
      ok: false,
      message: `timestamp is ${formatDurationLong(aheadMs)} in the future (limit ${formatDurationShort(limits.maxFutureMs)})`,
    };
  }
  return { ok: true, ms };
}
