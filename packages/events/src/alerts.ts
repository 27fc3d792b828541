import { z } from "zod";
import { LabelsSchema, parseSeriesKey, seriesKey } from "./labels";
import type { Point } from "./point";

/**
 * Alerts and annotations on the wire (issue #14): rules, their evaluated state, transitions,
 * silences, annotations and the webhook body. The server evaluates; everyone else reads these.
 */

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Longest duration a rule or silence may name (`for`, `noData`, a silence). */
export const MAX_ALERT_DURATION_MS = 30 * 86_400_000;

/** `"5s"`, `"500ms"`, `"2m"`, `"1h"`, `"1d"`, or a number of milliseconds; parsed to milliseconds. */
export const DurationSchema = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  let ms: number;
  if (typeof raw === "number") ms = raw;
  else {
    const match = DURATION_RE.exec(raw.trim());
    if (!match) {
      ctx.addIssue({ code: "custom", message: `must be a duration like "500ms", "5s", "2m", "1h" or "1d" (got "${raw.slice(0, 40)}")` });
      return z.NEVER;
    }
    ms = Number(match[1]) * DURATION_UNIT_MS[match[2] as keyof typeof DURATION_UNIT_MS];
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_ALERT_DURATION_MS) {
    ctx.addIssue({ code: "custom", message: `must be from 0 to 30d (got ${String(raw).slice(0, 40)})` });
    return z.NEVER;
  }
  return Math.round(ms);
});

export const AlertSeveritySchema = z.enum(["info", "warning", "critical"]);
export type AlertSeverity = z.infer<typeof AlertSeveritySchema>;

export const AlertRuleNameSchema = z
  .string()
  .min(1, "name must not be empty")
  .max(100, "name must be at most 100 characters")
  .regex(/^[a-zA-Z0-9_.:-]+$/, "name may only contain letters, digits and _ . : -");

const WebhookUrlSchema = z
  .string()
  .max(2_000, "webhook must be at most 2000 characters")
  .url("webhook must be a URL")
  .refine((url) => /^https?:\/\//.test(url), "webhook must start with http:// or https://");

/**
 * One rule as written in the rules file or sent by `alerts.saveRule`. Exactly one condition:
 * `above`, `below` (with an optional `clear` threshold for hysteresis) or `noData` (a duration).
 */
export const AlertRuleInputSchema = z
  .object({
    name: AlertRuleNameSchema,
    /** Series selector: a name glob (`host.cpu.*`), optionally with label matchers (`{host="web1"}`). */
    series: z.string().min(1, "series must not be empty").max(1_000, "series must be at most 1000 characters"),
    above: z.number().finite("above must be a finite number").optional(),
    below: z.number().finite("below must be a finite number").optional(),
    /** Fires when a series that was seen sends nothing for this long. */
    noData: DurationSchema.optional(),
    /** How long the condition must hold (pending) before the alert fires. @default "0s" */
    for: DurationSchema.default(0),
    /** The threshold a value must fall back past to resolve (hysteresis). @default above or below */
    clear: z.number().finite("clear must be a finite number").optional(),
    severity: AlertSeveritySchema.default("warning"),
    description: z.string().max(500, "description must be at most 500 characters").default(""),
    /** Where transitions are POSTed. @default LIVEDASH_ALERT_WEBHOOK */
    webhook: WebhookUrlSchema.optional(),
    /** `json`: the AlertNotification body; `slack`: Slack's incoming-webhook `{ text, blocks }`. @default "json" */
    format: z.enum(["json", "slack"]).default("json"),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const conditions = [rule.above, rule.below, rule.noData].filter((c) => c !== undefined).length;
    if (conditions !== 1) {
      ctx.addIssue({ code: "custom", path: ["above"], message: `a rule needs exactly one of above, below or noData (got ${conditions})` });
      return;
    }
    if (rule.clear !== undefined) {
      if (rule.noData !== undefined) ctx.addIssue({ code: "custom", path: ["clear"], message: "clear applies to above or below, not noData" });
      else if (rule.above !== undefined && rule.clear > rule.above) ctx.addIssue({ code: "custom", path: ["clear"], message: `clear (${rule.clear}) must not be above the above threshold (${rule.above})` });
      else if (rule.below !== undefined && rule.clear < rule.below) ctx.addIssue({ code: "custom", path: ["clear"], message: `clear (${rule.clear}) must not be below the below threshold (${rule.below})` });
    }
  });
export type AlertRuleInput = z.input<typeof AlertRuleInputSchema>;
/** A validated rule: durations in milliseconds, defaults filled. */
export type AlertRule = z.output<typeof AlertRuleInputSchema>;

/** The rules file: a list of rules, or `{ rules: [...] }`. */
export const MAX_ALERT_RULES = 1_000;

export const AlertStateSchema = z.enum(["ok", "pending", "firing", "resolved"]);
export type AlertState = z.infer<typeof AlertStateSchema>;

/** A state change of one rule on one series. `id` is the same on every instance (rule, series, episode, state). */
export const AlertTransitionSchema = z.object({
  id: z.string(),
  rule: AlertRuleNameSchema,
  series: z.string(),
  from: AlertStateSchema,
  to: AlertStateSchema,
  /** When it happened (epoch ms): the point's ts, or the evaluation clock for `for` and noData. */
  ts: z.number(),
  /** The value that caused it; null for noData. */
  value: z.number().nullable(),
  severity: AlertSeveritySchema,
  description: z.string(),
  /** A silence matched when it happened: listed and on the stream, but no notification is sent. */
  silenced: z.boolean(),
});
export type AlertTransition = z.infer<typeof AlertTransitionSchema>;

export const SilenceSchema = z.object({
  id: z.string(),
  rule: AlertRuleNameSchema.nullable(),
  labels: LabelsSchema.nullable(),
  reason: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
});
export type Silence = z.infer<typeof SilenceSchema>;

/** `alerts.silence`: by rule name, by labels of the series, or both; until `expiresAt` or for `duration`. */
export const SilenceInputSchema = z
  .object({
    rule: AlertRuleNameSchema.optional(),
    labels: LabelsSchema.optional(),
    reason: z.string().min(1, "reason must not be empty").max(500, "reason must be at most 500 characters"),
    duration: DurationSchema.optional(),
    expiresAt: z.number().int("expiresAt must be epoch milliseconds").positive("expiresAt must be epoch milliseconds").optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.rule === undefined && (input.labels === undefined || Object.keys(input.labels).length === 0)) {
      ctx.addIssue({ code: "custom", path: ["rule"], message: "a silence needs a rule or at least one label" });
    }
    if ((input.duration === undefined) === (input.expiresAt === undefined)) {
      ctx.addIssue({ code: "custom", path: ["duration"], message: "give exactly one of duration or expiresAt" });
    }
  });
export type SilenceInput = z.input<typeof SilenceInputSchema>;

/** One (rule, series) pair the rule has seen, with its state. */
export const AlertInstanceSchema = z.object({
  series: z.string(),
  state: AlertStateSchema,
  /** When this state began. */
  since: z.number(),
  value: z.number().nullable(),
  /** Ids of the silences that match it now (empty: not silenced). */
  silencedBy: z.array(z.string()),
});
export type AlertInstance = z.infer<typeof AlertInstanceSchema>;

export const AlertRuleStatusSchema = z.object({
  /** The rule as it runs: durations in milliseconds, defaults filled. */
  rule: z.custom<AlertRule>(),
  name: AlertRuleNameSchema,
  source: z.enum(["file", "api"]),
  severity: AlertSeveritySchema,
  /** The worst state over its series (firing > pending > resolved > ok). */
  state: AlertStateSchema,
  /** Its series, worst state first, at most MAX_LISTED_INSTANCES of them. */
  instances: z.array(AlertInstanceSchema),
  /** Every series it tracks (more than `instances` holds when past the listing limit). */
  instanceCount: z.number(),
});
/** Series listed per rule in `GET /api/alerts` (the answer stays small whatever the cardinality). */
export const MAX_LISTED_INSTANCES = 200;
export type AlertRuleStatus = z.infer<typeof AlertRuleStatusSchema>;

/** `GET /api/alerts` and `alerts.list`. */
export const AlertsListSchema = z.object({
  rules: z.array(AlertRuleStatusSchema),
  firing: z.number(),
  silences: z.array(SilenceSchema),
  recent: z.array(AlertTransitionSchema),
  /** The rules file: where, and the error of its last load when it has one (the previous rules still run). */
  rulesFile: z.object({ path: z.string().nullable(), loadedAt: z.number().nullable(), error: z.string().nullable() }),
});
export type AlertsList = z.infer<typeof AlertsListSchema>;

export const AnnotationTagSchema = z.string().min(1, "tag must not be empty").max(100, "tag must be at most 100 characters");

/** `POST /api/annotations` and `metrics.annotate`: a point (`ts`) or a range (`ts`..`endTs`) with text. */
export const AnnotationInputSchema = z
  .object({
    text: z.string().min(1, "text must not be empty").max(1_000, "text must be at most 1000 characters"),
    ts: z.number().int("ts must be epoch milliseconds").nonnegative("ts must not be negative").optional(),
    endTs: z.number().int("endTs must be epoch milliseconds").nonnegative("endTs must not be negative").optional(),
    tags: z.array(AnnotationTagSchema).max(20, "tags must have at most 20 entries").default([]),
  })
  .strict()
  .refine((a) => a.endTs === undefined || a.ts === undefined || a.endTs >= a.ts, { message: "endTs must not be before ts", path: ["endTs"] });
export type AnnotationInput = z.input<typeof AnnotationInputSchema>;

export const AnnotationSchema = z.object({
  id: z.number(),
  ts: z.number(),
  endTs: z.number().nullable(),
  text: z.string(),
  tags: z.array(z.string()),
  /** `user` (the API, the CLI) or `alert` (a transition). */
  source: z.enum(["user", "alert"]),
});
export type Annotation = z.infer<typeof AnnotationSchema>;

export const AnnotationQuerySchema = z
  .object({
    from: z.number().nonnegative("from must not be negative").optional(),
    to: z.number().nonnegative("to must not be negative").optional(),
    limit: z.number().int("limit must be an integer").min(1, "limit must be at least 1").max(10_000, "limit must be at most 10000").default(1_000),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: "from must not be after to", path: ["from"] });
export type AnnotationQuery = z.input<typeof AnnotationQuerySchema>;

/** The JSON body a webhook receives, once per transition (firing, resolved). */
export const AlertNotificationSchema = z.object({
  /** The transition id: the same on every retry and every instance, so a receiver can dedupe. */
  id: z.string(),
  rule: AlertRuleNameSchema,
  series: z.string(),
  value: z.number().nullable(),
  state: AlertStateSchema,
  previous: AlertStateSchema,
  ts: z.number(),
  severity: AlertSeveritySchema,
  description: z.string(),
  links: z.record(z.string(), z.string()),
});
export type AlertNotification = z.infer<typeof AlertNotificationSchema>;

/**
 * Transitions also travel the live stream and history as points of this series, one per rule and
 * series (`livedash.alert.state{rule="cpu-high",series="host.cpu.total"}`), valued by ALERT_STATE_CODES,
 * so every transport, resume and `metrics.history` carry them with no new event kind.
 */
export const ALERT_STATE_SERIES = "livedash.alert.state";
export const ALERT_STATE_CODES: Readonly<Record<AlertState, number>> = { ok: 0, pending: 1, firing: 2, resolved: 3 };

/** The stream point of a transition. */
export function alertStatePoint(transition: Pick<AlertTransition, "rule" | "series" | "to" | "ts">): Point {
  return { series: seriesKey(ALERT_STATE_SERIES, { rule: transition.rule, series: transition.series }), ts: transition.ts, value: ALERT_STATE_CODES[transition.to] };
}

/** Reads a stream point back as (rule, series, state); null for any other series. */
export function alertStateFromPoint(point: Point): { rule: string; series: string; state: AlertState; ts: number } | null {
  if (!point.series.startsWith(`${ALERT_STATE_SERIES}{`)) return null;
  const parsed = parseSeriesKey(point.series);
  if (!parsed.ok || parsed.value.name !== ALERT_STATE_SERIES) return null;
  const state = AlertStateSchema.options.find((s) => ALERT_STATE_CODES[s] === point.value);
  const { rule, series } = parsed.value.labels;
  if (state === undefined || rule === undefined || series === undefined) return null;
  return { rule, series, state, ts: point.ts };
}
