import { z } from "zod";
import { SeriesInfoSchema, SeriesNameSchema } from "./series";
import { SeriesSelectorSchema } from "./selector";

/**
 * One entry of `metrics.catalog`: the series KEY (what every other procedure takes), and its parsed
 * NAME and LABELS, so a consumer never parses keys itself. A series without labels has key === name.
 */
export const CatalogEntrySchema = SeriesInfoSchema.extend({
  /** The series key: `host.cpu.total{cpu="0",host="web1"}`, or the bare name. */
  key: z.string(),
  /** The series name, the key without its labels: `host.cpu.total`. */
  name: SeriesNameSchema,
  labels: z.record(z.string(), z.string()),
});
export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;

/** Ceilings of `metrics.labels`, so its answer is bounded whatever the catalog holds. */
export const LABELS_QUERY_LIMITS = {
  /** Label names listed (a catalog may hold series with many distinct label names). */
  maxLabels: 1000,
  /** Values listed per label by default. */
  defaultValuesPerLabel: 200,
  /** Values a query may ask for per label. */
  maxValuesPerLabel: 10_000,
} as const;

/**
 * `metrics.labels`: the label names of the series a selector matches (every series when absent), each
 * with its distinct values sorted, for the explorer's filters. `__name__` lists the series names.
 */
export const LabelsInputSchema = z
  .object({
    /** Only series this selector matches; absent: every series. */
    selector: SeriesSelectorSchema.optional(),
    /** Only this label (`__name__` for the names); absent: every label. */
    label: z.string().max(128, "label must be at most 128 characters").optional(),
    valuesPerLabel: z
      .number()
      .int("valuesPerLabel must be an integer")
      .min(1, "valuesPerLabel must be at least 1")
      .max(LABELS_QUERY_LIMITS.maxValuesPerLabel, `valuesPerLabel must be at most ${LABELS_QUERY_LIMITS.maxValuesPerLabel}`)
      .default(LABELS_QUERY_LIMITS.defaultValuesPerLabel),
  })
  .strict();
export type LabelsInput = z.input<typeof LabelsInputSchema>;

export const LabelValuesSchema = z.object({
  label: z.string(),
  /** Distinct values, sorted; at most valuesPerLabel of them. */
  values: z.array(z.string()),
  /** Distinct values this label has among the matched series (may exceed values.length). */
  count: z.number().int(),
  truncated: z.boolean(),
});
export type LabelValues = z.infer<typeof LabelValuesSchema>;

export const LabelsResultSchema = z.object({
  /** Series the selector matched. */
  series: z.number().int(),
  /** Label names sorted (`__name__` first), at most LABELS_QUERY_LIMITS.maxLabels. */
  labels: z.array(LabelValuesSchema),
  /** More label names existed than were listed. */
  truncated: z.boolean(),
});
export type LabelsResult = z.infer<typeof LabelsResultSchema>;
