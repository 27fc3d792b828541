/**
 * The tier list of LIVEDASH_RETENTION, e.g. `1s:24h,1m:30d,1h:365d`: each entry is
 * `<step>:<retention>`. The first tier keeps every point as accepted (its step is the nominal
 * resolution used to pick a tier for a query); each further tier keeps one rollup (min, max, sum,
 * count, last) per `step`.
 */
export interface RetentionTier {
  readonly stepMs: number;
  readonly retentionMs: number;
}

export const DEFAULT_RETENTION = "1s:24h,1m:30d,15m:90d,1h:365d";
const MAX_TIERS = 4;
const MAX_RETENTION_MS = 10 * 366 * 86_400_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const DURATION_RE = /^(\d{1,9})(ms|s|m|h|d|w)$/;

function parseDuration(text: string): number | null {
  const match = DURATION_RE.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** A duration in the largest unit that divides it, for messages and logs: 86_400_000 -> "1d". */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Parses and checks a tier list; the error names `variable` and what is wrong. */
export function parseRetention(text: string, variable = "LIVEDASH_RETENTION"): { ok: true; tiers: RetentionTier[] } | { ok: false; message: string } {
  const entries = text.split(",").map((entry) => entry.trim()).filter(Boolean);
  const fail = (message: string) => ({ ok: false as const, message: `${variable}: ${message} (expected a list like ${DEFAULT_RETENTION}, got "${text}")` });
  if (entries.length === 0) return fail("at least one tier is required");
  if (entries.length > MAX_TIERS) return fail(`at most ${MAX_TIERS} tiers`);
  const tiers: RetentionTier[] = [];
  for (const entry of entries) {
    const [stepText, retentionText, extra] = entry.split(":");
    if (stepText === undefined || retentionText === undefined || extra !== undefined) return fail(`"${entry}" is not <step>:<retention>`);
    const stepMs = parseDuration(stepText);
    const retentionMs = parseDuration(retentionText);
    if (stepMs === null || stepMs <= 0) return fail(`step "${stepText}" is not a duration like 1s, 1m, 1h (units ms, s, m, h, d, w)`);
    if (retentionMs === null || retentionMs <= 0) return fail(`retention "${retentionText}" is not a duration like 24h, 30d`);
    if (retentionMs > MAX_RETENTION_MS) return fail(`retention "${retentionText}" is longer than 10 years`);
    if (retentionMs < stepMs) return fail(`retention "${retentionText}" is shorter than its step "${stepText}"`);
    const previous = tiers[tiers.length - 1];
    if (previous) {
      if (stepMs <= previous.stepMs) return fail(`steps must grow from tier to tier ("${stepText}" follows ${formatDuration(previous.stepMs)})`);
      if (stepMs % previous.stepMs !== 0 && tiers.length > 1) return fail(`rollup step "${stepText}" must be a multiple of the previous rollup step ${formatDuration(previous.stepMs)}`);
      if (retentionMs < previous.retentionMs) return fail(`a coarser tier must keep at least as long as a finer one ("${entry}" keeps less than ${formatDuration(previous.retentionMs)})`);
    }
    tiers.push({ stepMs, retentionMs });
  }
  return { ok: true, tiers };
}
