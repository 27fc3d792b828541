import type { SeriesUnit, Thresholds } from "@livedash/events";

const BYTE_STEPS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;
const SI_STEPS = ["", "k", "M", "G", "T"] as const;

/** Formats a number with at most `digits` significant decimals, trimming trailing zeros. */
function trim(value: number, digits: number): string {
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? Math.min(1, digits) : digits;
  return value.toFixed(decimals).replace(/\.0+$|(\.\d*?)0+$/, "$1");
}

function scaled(value: number, base: number, steps: readonly string[]): { n: number; suffix: string } {
  let n = value;
  let i = 0;
  while (Math.abs(n) >= base && i < steps.length - 1) {
    n /= base;
    i++;
  }
  return { n, suffix: steps[i] ?? "" };
}

/** Unit-aware formatting for tiles, legends and axes: 1.5 GiB, 42 %, 3.2 MiB/s, 12 ms, 1.2k/s. */
export function formatValue(value: number | null | undefined, unit: SeriesUnit, digits = 2): string {
  if (value == null || !Number.isFinite(value)) return "–";
  switch (unit) {
    case "percent":
      return `${trim(value, 1)} %`;
    case "bytes": {
      const { n, suffix } = scaled(value, 1024, BYTE_STEPS);
      return `${trim(n, digits)} ${suffix}`;
    }
    case "bytes_per_second": {
      const { n, suffix } = scaled(value, 1024, BYTE_STEPS);
      return `${trim(n, digits)} ${suffix}/s`;
    }
    case "ms":
      return Math.abs(value) >= 1000 ? `${trim(value / 1000, digits)} s` : `${trim(value, digits)} ms`;
    case "seconds":
      return `${trim(value, digits)} s`;
    case "per_second": {
      const { n, suffix } = scaled(value, 1000, SI_STEPS);
      return `${trim(n, digits)}${suffix}/s`;
    }
    case "count":
    case "none": {
      const { n, suffix } = scaled(value, 1000, SI_STEPS);
      return `${trim(n, digits)}${suffix}`;
    }
  }
}


export type Level = "ok" | "warn" | "crit";

/** Which threshold a value reached; thresholds color tiles, sparklines and chart guide lines. */
export function levelOf(value: number | null | undefined, thresholds: Thresholds | undefined): Level {
  if (value == null || thresholds === undefined) return "ok";
  if (thresholds.crit !== undefined && value >= thresholds.crit) return "crit";
  if (thresholds.warn !== undefined && value >= thresholds.warn) return "warn";
  return "ok";
}
