import { LABEL_LIMITS, labelsProblem, seriesKey, seriesNameProblem } from "@livedash/events";

/** Prometheus' metric-name label: the series name in remote_write, never a Livedash label. */
export const METRIC_NAME_LABEL = "__name__";

export type PrometheusKeyResult = { ok: true; key: string } | { ok: false; label: string; message: string };

/**
 * The Livedash key of a Prometheus series (remote_write and scrape alike): the metric name is the
 * series name, every other label a label. Prometheus names (`[a-zA-Z_:][a-zA-Z0-9_:]*`) are valid
 * series names as they are, so a series keeps the key it has in Prometheus (`up{instance="a:1",job="x"}`).
 * The error names the offending label (`__name__` for the name).
 */
export function prometheusSeriesKey(name: string, labels: Record<string, string>): PrometheusKeyResult {
  const nameProblem = seriesNameProblem(name);
  if (nameProblem) return { ok: false, label: METRIC_NAME_LABEL, message: nameProblem };
  const problem = labelsProblem(labels);
  if (problem) return { ok: false, label: problem[0], message: problem[1] };
  const key = seriesKey(name, labels);
  if (key.length > LABEL_LIMITS.keyLength) return { ok: false, label: "", message: `series key must be at most ${LABEL_LIMITS.keyLength} characters (got ${key.length})` };
  return { ok: true, key };
}
