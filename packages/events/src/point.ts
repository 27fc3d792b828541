import { z } from "zod";
import { LabelsSchema, SeriesKeySchema } from "./labels";

/**
 * A single sample. `series` is the series key (`name` or `name{label="value",...}`, see labels.ts);
 * `ts` is epoch milliseconds; `value` must be finite (no NaN or Infinity).
 */
export const PointSchema = z
  .object({
    series: SeriesKeySchema,
    ts: z.number().finite("ts must be a finite number of epoch milliseconds").nonnegative("ts must not be negative"),
    value: z.number().finite("value must be a finite number (no NaN or Infinity)"),
  })
  .strict();
export type Point = z.infer<typeof PointSchema>;

/**
 * A point sent by a producer: `ts` defaults to the time the server accepts it; `labels` are added to
 * those of the series key (`{ "series": "host.cpu.total", "labels": { "host": "web1" } }`).
 */
export const IncomingPointSchema = PointSchema.extend({ ts: PointSchema.shape.ts.optional(), labels: LabelsSchema.optional() });
export type IncomingPoint = z.infer<typeof IncomingPointSchema>;
