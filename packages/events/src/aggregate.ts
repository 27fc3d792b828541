import { z } from "zod";
import { labelNameProblem } from "./labels";

/**
 * Aggregation by label: `{ op, by? }` in metrics.live, metrics.poll and metrics.history, and
 * `aggregate=<op>&by=<label>,<label>` on `/sse`. The selected series are grouped by their NAME plus
 * the `by` labels (series with different names never merge); each group becomes one output series
 * whose key is that name and those labels (`host.cpu.user{host="web1"}`). Semantics: docs/aggregation.md.
 */
export const AGGREGATE_OPS = ["sum", "avg", "min", "max", "count", "rate"] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];

export const AGGREGATE_LIMITS = {
  /** Labels in one `by` list: an output key carries them all, and ten is more than any panel groups by. */
  byLabels: 10,
} as const;

export const AggregateOpSchema = z.enum(AGGREGATE_OPS, {
  error: (issue) => `unknown op ${JSON.stringify(issue.input)} (known: ${AGGREGATE_OPS.join(", ")})`,
});

const ByLabelSchema = z.string().superRefine((label, ctx) => {
  const problem = labelNameProblem(label);
  if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(label.slice(0, 140))}: ${problem}` });
});

export const AggregateSchema = z
  .object({
    op: AggregateOpSchema,
    /** Labels to group by (besides the name); absent or empty: one output series per name. */
    by: z
      .array(ByLabelSchema)
      .max(AGGREGATE_LIMITS.byLabels, `by must have at most ${AGGREGATE_LIMITS.byLabels} labels`)
      .superRefine((labels, ctx) => {
        const seen = new Set<string>();
        labels.forEach((label, i) => {
          if (seen.has(label)) ctx.addIssue({ code: "custom", message: `label ${label} appears twice`, path: [i] });
          seen.add(label);
        });
      })
      .optional(),
  })
  .strict();
export type Aggregate = z.infer<typeof AggregateSchema>;

/** The same aggregation always has the same key (`sum by (cpu,host)`): subscribers sharing it share one computation. */
export function aggregateKey(aggregate: Aggregate): string {
  const by = [...(aggregate.by ?? [])].sort();
  return `${aggregate.op} by (${by.join(",")})`;
}

/**
 * `/sse?aggregate=sum&by=host,cpu`: the parameters as an Aggregate, undefined when `aggregate` is absent,
 * or the problem naming its parameter (`by` without `aggregate` is refused, never ignored).
 */
export function parseAggregateParams(
  op: string | null,
  by: string | null,
): { ok: true; value: Aggregate | undefined } | { ok: false; field: "aggregate" | "by"; message: string } {
  if (op === null) {
    if (by !== null) return { ok: false, field: "by", message: "by: needs aggregate=<op> beside it" };
    return { ok: true, value: undefined };
  }
  const raw = { op, ...(by === null || by === "" ? {} : { by: by.split(",") }) };
  const parsed = AggregateSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path[0] === "by" ? "by" : "aggregate";
  const at = issue.path[0] === "by" && typeof issue.path[1] === "number" ? `[${issue.path[1]}]` : "";
  return { ok: false, field, message: `${field}${at}: ${issue.message}` };
}
