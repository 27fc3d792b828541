import { z } from "zod";
import { SeriesNameSchema } from "./series";

/** A single sample. `ts` is epoch milliseconds; `value` must be finite (no NaN or Infinity). */
export const PointSchema = z
  .object({
    series: SeriesNameSchema,
    ts: z.number().finite("ts must be a finite number of epoch milliseconds").nonnegative("ts must not be negative"),
    value: z.number().finite("value must be a finite number (no NaN or Infinity)"),
  })
  .strict();
export type Point = z.infer<typeof PointSchema>;

/** A point sent by a producer: `ts` defaults to the time the server accepts it. */
export const IncomingPointSchema = PointSchema.extend({ ts: PointSchema.shape.ts.optional() });
export type IncomingPoint = z.infer<typeof IncomingPointSchema>;
