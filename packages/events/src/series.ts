import { z } from "zod";

/** Longest series name or pattern accepted anywhere on the wire. */
export const SERIES_NAME_MAX_LENGTH = 200;

const SERIES_NAME_RE = /^[a-zA-Z0-9_.:-]+$/;

/** A series name: `[a-zA-Z0-9_.:-]`, 1..200 chars, dotted hierarchy (`host.cpu.user`). */
export const SeriesNameSchema = z
  .string()
  .min(1, "series name must not be empty")
  .max(SERIES_NAME_MAX_LENGTH, `series name must be at most ${SERIES_NAME_MAX_LENGTH} characters`)
  .regex(SERIES_NAME_RE, "series name may only contain letters, digits and _ . : -");
export type SeriesName = z.infer<typeof SeriesNameSchema>;

export const SeriesKindSchema = z.enum(["gauge", "counter", "rate"]);
export type SeriesKind = z.infer<typeof SeriesKindSchema>;

/** Units the dashboard knows how to format; `none` for plain numbers. */
export const SeriesUnitSchema = z.enum(["percent", "bytes", "bytes_per_second", "ms", "seconds", "per_second", "count", "none"]);
export type SeriesUnit = z.infer<typeof SeriesUnitSchema>;

/** Optional warning/critical levels; the dashboard colors values at or above them. */
export const ThresholdsSchema = z
  .object({ warn: z.number().finite().optional(), crit: z.number().finite().optional() })
  .strict();
export type Thresholds = z.infer<typeof ThresholdsSchema>;

/** Metadata a producer may declare for a series (on first push or through metrics.describe). */
export const SeriesMetaSchema = z
  .object({
    series: SeriesNameSchema,
    unit: SeriesUnitSchema.optional(),
    kind: SeriesKindSchema.optional(),
    description: z.string().max(500, "description must be at most 500 characters").optional(),
    thresholds: ThresholdsSchema.optional(),
  })
  .strict();
export type SeriesMeta = z.infer<typeof SeriesMetaSchema>;

export const SeriesInfoSchema = z.object({
  name: SeriesNameSchema,
  unit: SeriesUnitSchema,
  kind: SeriesKindSchema,
  description: z.string(),
  thresholds: ThresholdsSchema.optional(),
  /** Last accepted point, null before the first one. */
  last: z.object({ ts: z.number(), value: z.number() }).nullable(),
});
export type SeriesInfo = z.infer<typeof SeriesInfoSchema>;
