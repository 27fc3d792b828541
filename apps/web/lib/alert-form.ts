import { AlertRuleInputSchema, SilenceInputSchema } from "@livedash/events";
import type { AlertRule, AlertRuleInput, SilenceInput } from "@livedash/events";
import type { ActionResult } from "./action-result";
import { zodFailure } from "./action-result";

/** The rule form's fields as typed (strings), so a half-typed value is never lost to parsing. */
export interface RuleFields {
  name: string;
  series: string;
  condition: "above" | "below" | "noData";
  /** The threshold (above/below) or the silence duration (noData). */
  threshold: string;
  clear: string;
  for: string;
  severity: "info" | "warning" | "critical";
  description: string;
  webhook: string;
  format: "json" | "slack";
}

export const EMPTY_RULE: RuleFields = { name: "", series: "", condition: "above", threshold: "", clear: "", for: "0s", severity: "warning", description: "", webhook: "", format: "json" };

/** "5s" for 5000: how a saved rule's milliseconds are shown for editing. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A number when the text is one; otherwise the text, which the schema then refuses naming the field. */
function numberOrText(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : trimmed;
}

/** The form as the `alerts.saveRule` input (blank optional fields left out). */
export function ruleInputOf(fields: RuleFields): Record<string, unknown> {
  const input: Record<string, unknown> = { name: fields.name.trim(), series: fields.series.trim(), severity: fields.severity, format: fields.format };
  input[fields.condition] = fields.condition === "noData" ? fields.threshold.trim() : numberOrText(fields.threshold);
  if (fields.condition !== "noData" && fields.clear.trim() !== "") input.clear = numberOrText(fields.clear);
  if (fields.for.trim() !== "") input.for = fields.for.trim();
  if (fields.description.trim() !== "") input.description = fields.description.trim();
  if (fields.webhook.trim() !== "") input.webhook = fields.webhook.trim();
  return input;
}

/** Validates the form with the wire schema (the same the server and the Server Action use). */
export function checkRule(fields: RuleFields): ActionResult<AlertRuleInput> {
  const input = ruleInputOf(fields);
  const parsed = AlertRuleInputSchema.safeParse(input);
  return parsed.success ? { ok: true, value: input as AlertRuleInput } : zodFailure(parsed.error);
}

/** A running rule back into the form (durations shown as "5s"), for editing. */
export function ruleFieldsOf(rule: AlertRule): RuleFields {
  const condition = rule.above !== undefined ? "above" : rule.below !== undefined ? "below" : "noData";
  const threshold = condition === "noData" ? formatDuration(rule.noData ?? 0) : String(rule[condition] ?? "");
  return {
    name: rule.name,
    series: rule.series,
    condition,
    threshold,
    clear: rule.clear === undefined ? "" : String(rule.clear),
    for: formatDuration(rule.for),
    severity: rule.severity,
    description: rule.description,
    webhook: rule.webhook ?? "",
    format: rule.format,
  };
}

/** The silence form's fields as typed. */
export interface SilenceFields {
  rule: string;
  /** `host=web1, cpu=0` */
  labels: string;
  reason: string;
  duration: string;
}

export const EMPTY_SILENCE: SilenceFields = { rule: "", labels: "", reason: "", duration: "1h" };

/** `host=web1, cpu=0` -> { host: "web1", cpu: "0" }; an entry without `=` is an error naming the field. */
export function parseLabelList(text: string): ActionResult<Record<string, string> | undefined> {
  const labels: Record<string, string> = {};
  const entries = text.split(",").map((e) => e.trim()).filter((e) => e !== "");
  for (const entry of entries) {
    const eq = entry.indexOf("=");
    if (eq <= 0) return { ok: false, field: "labels", message: `labels: write them as name=value, separated by commas (got "${entry.slice(0, 40)}")` };
    labels[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
  }
  return { ok: true, value: entries.length === 0 ? undefined : labels };
}

/** The form as the `alerts.silence` input, validated with the wire schema. */
export function checkSilence(fields: SilenceFields): ActionResult<SilenceInput> {
  const labels = parseLabelList(fields.labels);
  if (!labels.ok) return labels;
  const input: Record<string, unknown> = { reason: fields.reason.trim(), duration: fields.duration.trim() };
  if (fields.rule.trim() !== "") input.rule = fields.rule.trim();
  if (labels.value !== undefined) input.labels = labels.value;
  const parsed = SilenceInputSchema.safeParse(input);
  return parsed.success ? { ok: true, value: input as SilenceInput } : zodFailure(parsed.error);
}
